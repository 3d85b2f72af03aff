import fnmatch
import hashlib
import secrets
import socketserver
import sys

with open("/service/secrets/jump_pin") as f:
    PIN = f"{int(f.read().strip(), 16) % 1000000:06d}"
SALT = secrets.token_hex(8)
STRINGS = {
    "deploy:last": "2024-11-02T10:41:07Z build 8812 ok",
    "cache:motd": "maintenance window sundays 02:00-04:00",
    "feature:new-billing": "off",
}
HASHES = {
    "svc:jumphost": {"addr": "127.0.0.32:2222", "user": "deploy", "salt": SALT,
                     "pin_sha256": hashlib.sha256((SALT + PIN).encode()).hexdigest()},
    "svc:metrics": {"addr": "127.0.0.35:9091", "status": "decommissioned"},
}


def bulk(value):
    if value is None:
        return b"$-1\r\n"
    data = value.encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


def array(items):
    return b"*%d\r\n" % len(items) + b"".join(bulk(i) for i in items)


def answer(args):
    if not args:
        return b""
    name = args[0].upper()
    if name == "PING":
        return b"+PONG\r\n"
    if name == "KEYS" and len(args) == 2:
        return array(sorted(k for k in (*STRINGS, *HASHES) if fnmatch.fnmatchcase(k, args[1])))
    if name == "GET" and len(args) == 2:
        if args[1] in HASHES:
            return b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        return bulk(STRINGS.get(args[1]))
    if name == "TYPE" and len(args) == 2:
        kind = "string" if args[1] in STRINGS else "hash" if args[1] in HASHES else "none"
        return b"+" + kind.encode() + b"\r\n"
    if name == "HGETALL" and len(args) == 2:
        return array([x for pair in HASHES.get(args[1], {}).items() for x in pair])
    if name == "HGET" and len(args) == 3:
        return bulk(HASHES.get(args[1], {}).get(args[2]))
    if name == "INFO":
        return bulk("# Server\r\nredis_version:6.0.16\r\nredis_mode:standalone\r\n")
    if name == "QUIT":
        return None
    return b"-ERR unknown command '" + args[0].encode(errors="replace")[:40] + b"'\r\n"


class Handler(socketserver.StreamRequestHandler):
    def read_command(self):
        line = self.rfile.readline()
        if not line:
            return None
        if not line.startswith(b"*"):
            return line.decode(errors="replace").split()
        args = []
        for _ in range(int(line[1:] or 0)):
            size = int(self.rfile.readline()[1:] or 0)
            args.append(self.rfile.read(size + 2)[:-2].decode(errors="replace"))
        return args

    def handle(self):
        while (args := self.read_command()) is not None:
            reply = answer(args)
            if reply is None:
                self.wfile.write(b"+OK\r\n")
                return
            self.wfile.write(reply)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    Server(("127.0.0.31", int(sys.argv[1])), Handler).serve_forever()
