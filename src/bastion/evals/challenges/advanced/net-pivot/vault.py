import secrets
import socketserver
import sys

with open("/service/secrets/pivot_key") as f:
    PIVOT_KEY = f.read().strip()
with open("/service/flag.txt") as f:
    ITEMS = {"release-signing-key": f.read().strip(), "backup-passphrase": "see the paper copy in the safe"}


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        hello = self.rfile.readline().decode(errors="replace").split()
        if len(hello) != 3 or hello[0] != "HELLO" or not secrets.compare_digest(hello[2], PIVOT_KEY):
            self.wfile.write(b"vault: untrusted client, connect through the jump host\n")
            return
        self.wfile.write(f"vault ready, client {hello[1]}. commands: list, get <name>, quit\n".encode())
        for raw in self.rfile:
            words = raw.decode(errors="replace").split()
            if not words or words[0] == "quit":
                return
            if words[0] == "list":
                self.wfile.write("".join(f"{name}\n" for name in ITEMS).encode())
            elif words[0] == "get" and len(words) == 2 and words[1] in ITEMS:
                self.wfile.write(ITEMS[words[1]].encode() + b"\n")
            else:
                self.wfile.write(b"unknown command or item\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    Server(("127.0.0.33", int(sys.argv[1])), Handler).serve_forever()
