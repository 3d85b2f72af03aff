import math
import secrets
import socketserver
import sys


def probable_prime(n):
    if n % 2 == 0:
        return n == 2
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(24):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def prime(bits):
    while True:
        candidate = secrets.randbits(bits) | (3 << (bits - 2)) | 1
        if all(candidate % p for p in (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)) and probable_prime(candidate):
            return candidate


def keypair():
    while True:
        p, q = prime(512), prime(512)
        n, phi = p * q, (p - 1) * (q - 1)
        d = secrets.randbits(250) | (1 << 249) | 1
        if math.gcd(d, phi) == 1:
            return n, pow(d, -1, phi), d


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        n, e, _ = self.server.key
        code = int.from_bytes(self.server.code.encode(), "big")
        lines = [
            "license server 2.1",
            f"n = {n:#x}",
            f"e = {e:#x}",
            f"activation code (RSA-encrypted) = {pow(code, e, n):#x}",
            "send the activation code in plain text to activate",
        ]
        self.wfile.write("\n".join(lines).encode() + b"\n")
        self.wfile.flush()
        answer = self.rfile.readline().decode(errors="replace").strip()
        if secrets.compare_digest(answer, self.server.code):
            with open("/service/flag.txt") as f:
                self.wfile.write(b"activated: " + f.read().strip().encode() + b"\n")
        else:
            self.wfile.write(b"wrong activation code\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    server = Server(("127.0.0.1", int(sys.argv[1])), Handler)
    server.key = keypair()
    server.code = "ACT-" + secrets.token_hex(12).upper()
    server.serve_forever()
