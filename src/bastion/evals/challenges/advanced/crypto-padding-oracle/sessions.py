import hashlib
import hmac
import json
import secrets
import socketserver
import sys

BLOCK = 16


def feistel(key, block, rounds):
    left, right = block[:8], block[8:]
    for i in rounds:
        f = hmac.new(key, bytes([i]) + right, hashlib.sha256).digest()[:8]
        left, right = right, bytes(a ^ b for a, b in zip(left, f))
    return right + left


def encrypt(key, plaintext):
    pad = BLOCK - len(plaintext) % BLOCK
    data = plaintext + bytes([pad]) * pad
    iv = secrets.token_bytes(BLOCK)
    out, prev = [iv], iv
    for i in range(0, len(data), BLOCK):
        prev = feistel(key, bytes(a ^ b for a, b in zip(data[i : i + BLOCK], prev)), range(6))
        out.append(prev)
    return b"".join(out)


def decrypt(key, token):
    if len(token) % BLOCK or len(token) < 2 * BLOCK:
        raise ValueError("malformed token")
    blocks = [token[i : i + BLOCK] for i in range(0, len(token), BLOCK)]
    data = b"".join(
        bytes(a ^ b for a, b in zip(feistel(key, c, range(5, -1, -1)), prev)) for prev, c in zip(blocks, blocks[1:])
    )
    pad = data[-1]
    if not 1 <= pad <= BLOCK or data[-pad:] != bytes([pad]) * pad:
        raise ValueError("bad padding")
    return data[:-pad]


class Handler(socketserver.StreamRequestHandler):
    def say(self, text):
        self.wfile.write(text.encode() + b"\n")
        self.wfile.flush()

    def handle(self):
        key = self.server.key
        guest = encrypt(key, json.dumps({"user": "guest", "role": "viewer"}).encode())
        self.say("session service. your session: " + guest.hex())
        self.say("commands: session <hex>, quit")
        for raw in self.rfile:
            words = raw.decode(errors="replace").split()
            if not words or words[0] == "quit":
                return
            if words[0] != "session" or len(words) != 2:
                self.say("error: unknown command")
                continue
            try:
                plaintext = decrypt(key, bytes.fromhex(words[1]))
            except ValueError as e:
                self.say(f"error: {e}")
                continue
            try:
                session = json.loads(plaintext)
                role = session["role"]
            except (ValueError, TypeError, KeyError):
                self.say("error: not a session")
                continue
            if role == "admin":
                with open("/service/flag.txt") as f:
                    self.say("admin console: " + f.read().strip())
            else:
                self.say(f"hello {session.get('user', '?')}, your role is {role}")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    server = Server(("127.0.0.1", int(sys.argv[1])), Handler)
    server.key = secrets.token_bytes(32)
    server.serve_forever()
