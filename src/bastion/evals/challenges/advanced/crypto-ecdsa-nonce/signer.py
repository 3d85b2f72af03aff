import hashlib
import secrets
import socketserver
import sys

P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
A = P - 3
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
G = (
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)
UNLOCK = b"unlock debug port"


def add(p, q):
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0] and (p[1] + q[1]) % P == 0:
        return None
    if p == q:
        m = (3 * p[0] * p[0] + A) * pow(2 * p[1], -1, P) % P
    else:
        m = (q[1] - p[1]) * pow(q[0] - p[0], -1, P) % P
    x = (m * m - p[0] - q[0]) % P
    return x, (m * (p[0] - x) - p[1]) % P


def mul(k, p):
    out = None
    while k:
        if k & 1:
            out = add(out, p)
        p = add(p, p)
        k >>= 1
    return out


def digest(message):
    return int.from_bytes(hashlib.sha256(message).digest(), "big") % N


def sign(d, message):
    while True:
        k = secrets.randbits(128)
        r = mul(k, G)[0] % N
        s = pow(k, -1, N) * (digest(message) + r * d) % N
        if r and s:
            return r, s


def verify(q, message, r, s):
    if not (0 < r < N and 0 < s < N):
        return False
    w = pow(s, -1, N)
    point = add(mul(digest(message) * w % N, G), mul(r * w % N, q))
    return point is not None and point[0] % N == r


class Handler(socketserver.StreamRequestHandler):
    def say(self, text):
        self.wfile.write(text.encode() + b"\n")
        self.wfile.flush()

    def handle(self):
        key = self.server.key
        self.say(f"firmware signer, ECDSA P-256 / SHA-256, public key {key[1][0]:064x} {key[1][1]:064x}")
        self.say("commands: sign <hex>, unlock <r hex> <s hex>, quit")
        for raw in self.rfile:
            words = raw.decode(errors="replace").split()
            if not words or words[0] == "quit":
                return
            if words[0] == "sign" and len(words) == 2:
                try:
                    message = bytes.fromhex(words[1])
                except ValueError:
                    self.say("error: message must be hex")
                    continue
                if b"unlock" in message:
                    self.say("error: this signer does not sign unlock requests")
                    continue
                r, s = sign(key[0], message)
                self.say(f"signature {r:064x} {s:064x}")
            elif words[0] == "unlock" and len(words) == 3:
                try:
                    r, s = int(words[1], 16), int(words[2], 16)
                except ValueError:
                    self.say("error: r and s must be hex")
                    continue
                if verify(key[1], UNLOCK, r, s):
                    with open("/service/flag.txt") as f:
                        self.say("debug port unlocked: " + f.read().strip())
                else:
                    self.say(f"error: no valid signature over {UNLOCK.decode()!r}")
            else:
                self.say("error: unknown command")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    d = secrets.randbelow(N - 1) + 1
    server = Server(("127.0.0.1", int(sys.argv[1])), Handler)
    server.key = (d, mul(d, G))
    server.serve_forever()
