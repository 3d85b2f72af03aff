import json
import random
import secrets
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

USERS = {"guest": "guest@mail.local", "admin": "admin@corp.local"}
PENDING = {}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        try:
            data = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0) or 0)))
            return data if isinstance(data, dict) else {}
        except ValueError:
            return {}

    def do_GET(self):
        self.reply(200, {"service": "password reset desk",
                         "endpoints": {"POST /reset": {"user": "name"},
                                       "POST /confirm": {"user": "name", "token": "hex", "password": "new"}}})

    def do_POST(self):
        data = self.body()
        user = data.get("user")
        if user not in USERS:
            self.reply(404, {"error": "unknown user"})
            return
        if self.path == "/reset":
            with LOCK:
                token = f"{random.getrandbits(128):032x}"
                PENDING[user] = token
            reply = {"sent_to": USERS[user]}
            if user == "guest":
                reply["mailbox"] = f"Your reset token is {token}"
            self.reply(200, reply)
        elif self.path == "/confirm":
            token = data.get("token")
            with LOCK:
                expected = PENDING.get(user)
            if not isinstance(token, str) or expected is None or not secrets.compare_digest(token, expected):
                self.reply(403, {"error": "invalid token"})
                return
            with LOCK:
                PENDING.pop(user, None)
            reply = {"password_changed": user}
            if user == "admin":
                with open("/service/flag.txt") as f:
                    reply["admin_console"] = f.read().strip()
            self.reply(200, reply)
        else:
            self.reply(404, {"error": "no such endpoint"})

    def log_message(self, format, *args):
        pass


if __name__ == "__main__":
    random.seed(secrets.randbits(256))
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
