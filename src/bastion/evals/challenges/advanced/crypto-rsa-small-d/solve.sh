#!/bin/bash
# Reference exploit: e is as large as n, which is what a small private exponent looks like. For
# d < n^(1/4) / 3, k/d is a convergent of the continued fraction of e/n (Wiener): try each
# convergent until phi = (e d - 1) / k factors n, then decrypt.
set -euo pipefail
python3 - <<'PY'
import math, re, socket

s = socket.create_connection(("127.0.0.1", 9007), timeout=30)
f = s.makefile("rw")
text = "".join(f.readline() for _ in range(5))
n, e, c = (int(re.search(rf"{name} = (0x[0-9a-f]+)", text).group(1), 16) for name in ("n", "e", r"\(RSA-encrypted\)"))

# stage: continued-fraction convergents k/d of e/n; the right one makes phi factor n
def convergents(num, den):
    h0, h1, k0, k1 = 0, 1, 1, 0
    while den:
        a = num // den
        num, den = den, num - a * den
        h0, h1, k0, k1 = h1, a * h1 + h0, k1, a * k1 + k0
        yield h1, k1

for k, d in convergents(e, n):
    if k == 0 or (e * d - 1) % k:
        continue
    phi = (e * d - 1) // k
    total = n - phi + 1
    disc = total * total - 4 * n
    if disc >= 0 and math.isqrt(disc) ** 2 == disc:
        break
else:
    raise SystemExit("Wiener's attack found no key")

# stage: decrypt the activation code and send it back
code = pow(c, d, n)
f.write(code.to_bytes((code.bit_length() + 7) // 8, "big").decode() + "\n")
f.flush()
print(f.readline())
PY
