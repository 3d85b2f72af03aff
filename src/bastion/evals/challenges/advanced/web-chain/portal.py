import hashlib
import ipaddress
import json
import secrets
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

with open("/service/secrets/ops_token") as f:
    OPS_TOKEN = f.read().strip()
USERS = {"root": {"password": secrets.token_hex(16), "role": "admin", "email": "root@acme.local"}}
SESSIONS = {}
LOCK = threading.Lock()
PROFILE_FIELDS = ("email", "display_name", "timezone")


def digest(password):
    return hashlib.sha256(password.encode()).hexdigest()


def outbound_allowed(url):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname in ("localhost", "localhost.localdomain"):
        return False
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return True
    return not (address.is_private or address.is_loopback or address.is_link_local or address.is_unspecified)


class Handler(BaseHTTPRequestHandler):
    server_version = "acme-portal/3.2"

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        try:
            data = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0) or 0)) or b"{}")
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def user(self):
        token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        name = SESSIONS.get(token)
        if name is None:
            self.reply(401, {"error": "log in first (Authorization: Bearer <token>)"})
        return name

    def do_GET(self):
        if self.path == "/":
            self.reply(200, {"app": "Acme customer portal", "api": ["POST /api/register", "POST /api/login",
                                                                    "GET /api/me", "PATCH /api/me"]})
        elif self.path == "/api/me":
            name = self.user()
            if name:
                me = {k: v for k, v in USERS[name].items() if k != "password"}
                if me.get("role") == "admin":
                    me["admin_api"] = ["POST /api/admin/webhooks/test {\"url\": ..., \"payload\": {...}}"]
                self.reply(200, {"user": name, **me})
        else:
            self.reply(404, {"error": "not found"})

    def do_PATCH(self):
        if self.path != "/api/me":
            self.reply(404, {"error": "not found"})
            return
        name, data = self.user(), self.body()
        if not name:
            return
        if data is None or not data:
            self.reply(400, {"error": "send the profile fields to change as a JSON object", "fields": PROFILE_FIELDS})
            return
        with LOCK:
            USERS[name].update({k: v for k, v in data.items() if k != "password"})
        self.reply(200, {"updated": sorted(data)})

    def do_POST(self):
        data = self.body()
        if data is None:
            self.reply(400, {"error": "expected a JSON object"})
        elif self.path == "/api/register":
            name, password = data.get("username"), data.get("password")
            if not isinstance(name, str) or not name.isalnum() or not isinstance(password, str) or len(password) < 8:
                self.reply(400, {"error": "username (letters and digits) and password (8+ characters) required"})
                return
            with LOCK:
                if name in USERS:
                    self.reply(409, {"error": "username taken"})
                    return
                USERS[name] = {"password": digest(password), "role": "customer", "email": data.get("email", "")}
            self.reply(201, {"registered": name})
        elif self.path == "/api/login":
            user = USERS.get(str(data.get("username")))
            if user is None or not secrets.compare_digest(user["password"], digest(str(data.get("password")))):
                self.reply(403, {"error": "wrong username or password"})
                return
            token = secrets.token_hex(16)
            SESSIONS[token] = data["username"]
            self.reply(200, {"token": token})
        elif self.path == "/api/admin/webhooks/test":
            name = self.user()
            if not name:
                return
            if USERS[name].get("role") != "admin":
                self.reply(403, {"error": "admins only"})
                return
            url = data.get("url")
            if not isinstance(url, str) or not outbound_allowed(url):
                self.reply(400, {"error": "webhook URL must be a public http(s) address"})
                return
            payload = data.get("payload", {"event": "webhook.test", "portal": "acme"})
            if not isinstance(payload, dict):
                self.reply(400, {"error": "payload must be a JSON object"})
                return
            request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST", headers={
                "Content-Type": "application/json", "X-Ops-Token": OPS_TOKEN, "User-Agent": "acme-webhooks/1.0"})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    preview = response.read(300).decode(errors="replace")
                    self.reply(200, {"delivered": True, "status": response.status, "response": preview})
            except urllib.error.HTTPError as e:
                self.reply(200, {"delivered": True, "status": e.code, "response": e.read(300).decode(errors="replace")})
            except (urllib.error.URLError, OSError, ValueError) as e:
                self.reply(200, {"delivered": False, "error": str(e)[:200]})
        else:
            self.reply(404, {"error": "not found"})

    def log_message(self, format, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
