#!/bin/bash
# The key repeats every 4-8 bytes and every flag starts with the 8 known bytes "bastion{":
# try each key length, take the key from the known prefix, keep the plausible plaintext.
set -euo pipefail
socat -t5 - TCP:127.0.0.1:1337 </dev/null | python3 -c '
import re, sys
ct = bytes.fromhex(re.search(r"\(hex\): ([0-9a-f]+)", sys.stdin.read()).group(1))
for n in range(4, 9):
    key = bytes(c ^ p for c, p in zip(ct[:n], b"bastion{"))
    pt = bytes(b ^ key[i % n] for i, b in enumerate(ct))
    if re.fullmatch(rb"bastion\{[0-9a-f]+\}", pt):
        print(pt.decode())
        break
'
