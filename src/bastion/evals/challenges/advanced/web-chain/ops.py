import json
import os
import secrets
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

with open("/service/secrets/ops_token") as f:
    OPS_TOKEN = f.read().strip()
HOOKS = "/service/hooks"


class Handler(BaseHTTPRequestHandler):
    server_version = "ops-agent/0.9"

    def reply(self, status, body, kind="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        if secrets.compare_digest(self.headers.get("X-Ops-Token", ""), OPS_TOKEN):
            return True
        self.reply(401, {"error": "X-Ops-Token required"})
        return False

    def do_GET(self):
        if not self.authorized():
            return
        if self.path == "/":
            self.reply(200, {"service": "ops agent", "api": ["POST /diag/resolve {\"host\": ...}", "GET /hooks/<name>"]})
        elif self.path.startswith("/hooks/"):
            name = os.path.basename(self.path)
            try:
                with open(os.path.join(HOOKS, name), "rb") as f:
                    self.reply(200, f.read(), "text/plain")
            except OSError:
                self.reply(404, {"error": "no such hook"})
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        if not self.authorized():
            return
        if self.path != "/diag/resolve":
            self.reply(404, {"error": "not found"})
            return
        try:
            host = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))).get("host", "")
        except (ValueError, AttributeError):
            host = ""
        if not isinstance(host, str) or not host or any(c in host for c in ";&|`\n"):
            self.reply(400, {"error": "host must be a host name"})
            return
        result = subprocess.run(f"getent hosts {host}", shell=True, capture_output=True, timeout=10)
        self.reply(200, {"host": host, "answer": (result.stdout + result.stderr).decode(errors="replace")})

    def log_message(self, format, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
