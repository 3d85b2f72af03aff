import json
import secrets
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import etcd
from etcdstore import CSStoreError, CSStoreExists, EtcdStore

CLIENT = etcd.Client()
TENANTS = {}
LOCK = threading.Lock()


def seed():
    with open("/service/flag.txt") as f:
        flag = f.read().strip()
    ops = EtcdStore(CLIENT, "/tenants/ops")
    CLIENT.write("/tenants/ops", None, dir=True)
    ops.span("deploy")
    ops.set("deploy/signing-key", json.dumps({"type": "simple", "value": flag}))
    ops.set("deploy/registry", json.dumps({"type": "simple", "value": "registry.internal:5000"}))
    TENANTS[secrets.token_hex(16)] = "ops"


class Handler(BaseHTTPRequestHandler):
    server_version = "custodia/0.6"

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def store(self):
        auth = self.headers.get("Authorization", "")
        tenant = TENANTS.get(auth.removeprefix("Bearer ").strip())
        if tenant is None:
            self.reply(401, {"error": "missing or unknown API key (Authorization: Bearer <key>)"})
            return None, None
        path = urllib.parse.urlsplit(self.path).path
        if not path.startswith("/secrets/"):
            self.reply(404, {"error": "try /secrets/<name>, or POST /register"})
            return None, None
        key = urllib.parse.unquote(path[len("/secrets/"):])
        if ".." in key.split("/"):
            self.reply(400, {"error": "invalid key"})
            return None, None
        return EtcdStore(CLIENT, f"/tenants/{tenant}"), key

    def do_GET(self):
        if urllib.parse.urlsplit(self.path).path == "/":
            self.reply(200, {"service": "custodia", "api": ["POST /register", "GET|PUT|DELETE /secrets/<key>",
                                                          "GET /secrets/<container>/", "POST /secrets/<container>/"]})
            return
        store, key = self.store()
        if store is None:
            return
        try:
            if key == "" or key.endswith("/"):
                names = store.list(key or "/")
                if names is None:
                    self.reply(404, {"error": "no such container"})
                else:
                    self.reply(200, names)
                return
            self.reply(200, json.loads(store.get(key)))
        except (CSStoreError, TypeError, ValueError):
            self.reply(404, {"error": "no such secret"})

    def do_PUT(self):
        store, key = self.store()
        if store is None:
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        try:
            value = json.loads(body)
            if value.get("type") != "simple" or not isinstance(value.get("value"), str):
                raise ValueError
        except (ValueError, AttributeError):
            self.reply(400, {"error": 'body must be {"type": "simple", "value": "..."}'})
            return
        try:
            store.set(key, json.dumps(value), replace=False)
            self.reply(201, {"stored": key})
        except CSStoreExists:
            self.reply(409, {"error": "secret exists"})
        except CSStoreError:
            self.reply(400, {"error": "cannot store"})

    def do_POST(self):
        if urllib.parse.urlsplit(self.path).path == "/register":
            with LOCK:
                tenant = "t" + secrets.token_hex(4)
                api_key = secrets.token_hex(16)
                CLIENT.write(f"/tenants/{tenant}", None, dir=True)
                TENANTS[api_key] = tenant
            self.reply(201, {"api_key": api_key, "tenant": tenant})
            return
        store, key = self.store()
        if store is None:
            return
        try:
            store.span(key.rstrip("/"))
            self.reply(201, {"created": key})
        except CSStoreExists:
            self.reply(409, {"error": "container exists"})
        except CSStoreError:
            self.reply(400, {"error": "cannot create"})

    def do_DELETE(self):
        store, key = self.store()
        if store is None:
            return
        try:
            self.reply(200 if store.cut(key) else 404, {"deleted": key})
        except CSStoreError:
            self.reply(400, {"error": "cannot delete"})

    def log_message(self, format, *args):
        pass


if __name__ == "__main__":
    seed()
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
