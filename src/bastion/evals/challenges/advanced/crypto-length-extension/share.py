import hashlib
import hmac
import secrets
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY = secrets.token_bytes(secrets.choice(range(12, 33)))
PUBLIC = {
    "handbook.txt": b"Welcome aboard. Badges are collected at reception.\n",
    "holidays.txt": b"Office closed: 1 Jan, 25 Dec.\n",
}
RESTRICTED = {"payroll.txt", "release-keys.txt"}


def signed_link(query):
    return f"/download?{query}&sig={hashlib.sha256(KEY + query.encode()).hexdigest()}"


def fields(raw):
    out = {}
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")
        out[name] = value
    return out


class Handler(BaseHTTPRequestHandler):
    def send(self, status, body, kind="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/":
            links = "".join(f'<li><a href="{signed_link("user=guest&file=" + name)}">{name}</a></li>' for name in PUBLIC)
            locked = "".join(f"<li>{name} (staff only)</li>" for name in sorted(RESTRICTED))
            page = (
                "<h1>File share</h1><p>Download links are signed: sig is SHA-256 over the server's key followed by "
                f"the query up to &amp;sig.</p><ul>{links}{locked}</ul>"
            )
            self.send(200, page.encode(), "text/html")
            return
        if url.path != "/download":
            self.send(404, b"not found\n")
            return
        raw, _, sig = url.query.rpartition("&sig=")
        message = urllib.parse.unquote_to_bytes(raw)
        if not hmac.compare_digest(hashlib.sha256(KEY + message).hexdigest(), sig):
            self.send(403, b"bad signature\n")
            return
        params = fields(message)
        user, name = params.get(b"user", b"").decode(errors="replace"), params.get(b"file", b"").decode(errors="replace")
        if name in PUBLIC:
            self.send(200, PUBLIC[name])
        elif name in RESTRICTED and user == "staff":
            if name == "release-keys.txt":
                with open("/service/flag.txt", "rb") as f:
                    self.send(200, b"release signing key: " + f.read())
            else:
                self.send(200, b"payroll is handled by the bank this year\n")
        elif name in RESTRICTED:
            self.send(403, b"staff only\n")
        else:
            self.send(404, b"no such file\n")

    def log_message(self, format, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
