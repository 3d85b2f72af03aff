#!/bin/bash
# Reference exploit: the nonces are 128-bit numbers under a 256-bit group order, so each signature
# leaks half a nonce. k_i = s_i^-1 (h_i + r_i d) mod n with k_i < 2^128 is a hidden-number problem:
# a short vector of a small lattice (LLL) holds the nonces, and one nonce gives the private key.
set -euo pipefail
python3 - <<'PY'
import hashlib, re, socket
from fractions import Fraction

P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
     0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)

def add(p, q):
    if p is None or q is None:
        return p or q
    if p[0] == q[0] and (p[1] + q[1]) % P == 0:
        return None
    if p == q:
        m = (3 * p[0] * p[0] - 3) * pow(2 * p[1], -1, P) % P
    else:
        m = (q[1] - p[1]) * pow(q[0] - p[0], -1, P) % P
    x = (m * m - p[0] - q[0]) % P
    return x, (m * (p[0] - x) - p[1]) % P

def mul(k, p):
    out = None
    while k:
        out, p, k = (add(out, p) if k & 1 else out), add(p, p), k >> 1
    return out

def h(message):
    return int.from_bytes(hashlib.sha256(message).digest(), "big") % N

def lll(basis, delta=Fraction(99, 100)):
    """LLL reduction with exact rationals, Gram-Schmidt data updated in place (Cohen, alg. 2.6.3)"""
    b = [list(row) for row in basis]
    n = len(b)
    mu = [[Fraction(0)] * n for _ in range(n)]
    norms, ortho = [], []
    for i in range(n):
        v = [Fraction(x) for x in b[i]]
        for j in range(i):
            mu[i][j] = sum(x * y for x, y in zip(b[i], ortho[j])) / norms[j]
            v = [x - mu[i][j] * y for x, y in zip(v, ortho[j])]
        ortho.append(v)
        norms.append(sum(x * x for x in v))

    def reduce(k, l):
        q = round(mu[k][l])
        if q:
            b[k] = [x - q * y for x, y in zip(b[k], b[l])]
            mu[k][l] -= q
            for j in range(l):
                mu[k][j] -= q * mu[l][j]

    k = 1
    while k < n:
        reduce(k, k - 1)
        if norms[k] < (delta - mu[k][k - 1] ** 2) * norms[k - 1]:
            m = mu[k][k - 1]
            new = norms[k] + m * m * norms[k - 1]
            mu[k][k - 1] = m * norms[k - 1] / new
            norms[k] = norms[k - 1] * norms[k] / new
            norms[k - 1] = new
            b[k], b[k - 1] = b[k - 1], b[k]
            for j in range(k - 1):
                mu[k][j], mu[k - 1][j] = mu[k - 1][j], mu[k][j]
            for i in range(k + 1, n):
                t = mu[i][k]
                mu[i][k] = mu[i][k - 1] - m * t
                mu[i][k - 1] = t + mu[k][k - 1] * mu[i][k]
            k = max(k - 1, 1)
        else:
            for l in range(k - 2, -1, -1):
                reduce(k, l)
            k += 1
    return b

s = socket.create_connection(("127.0.0.1", 9006), timeout=30)
f = s.makefile("rw")
# stage: the public key and a handful of signatures over messages of our choosing
qx, qy = (int(x, 16) for x in re.search(r"public key ([0-9a-f]+) ([0-9a-f]+)", f.readline()).groups())
f.readline()
sigs = []
for i in range(6):
    message = f"telemetry {i}".encode()
    f.write(f"sign {message.hex()}\n")
    f.flush()
    r, sv = (int(x, 16) for x in re.search(r"signature ([0-9a-f]+) ([0-9a-f]+)", f.readline()).groups())
    sigs.append((h(message), r, sv))

# stage: the hidden-number lattice. With t_i = b_i / b_0 and u_i = a_i - t_i a_0, k_i = t_i k_0 + u_i
# (mod n) for every i; the vector (k_1 .. k_m-1, k_0, B) is short in the lattice below and LLL finds it
B = 2**128
a = [hm * pow(sv, -1, N) % N for hm, r, sv in sigs]
b = [r * pow(sv, -1, N) % N for hm, r, sv in sigs]
t = [bi * pow(b[0], -1, N) % N for bi in b[1:]]
u = [(ai - ti * a[0]) % N for ai, ti in zip(a[1:], t)]
m = len(t)
rows = [[N if j == i else 0 for j in range(m)] + [0, 0] for i in range(m)]
rows.append(t + [1, 0])
rows.append(u + [0, B])
d = None
for row in lll(rows):
    if abs(row[-1]) == B:
        k0 = row[-2] if row[-1] == B else -row[-2]
        cand = (k0 - a[0]) * pow(b[0], -1, N) % N
        if mul(cand, G) == (qx, qy):
            d = cand
if d is None:
    raise SystemExit("no key found")

# stage: sign the unlock request with the recovered key
z, k = h(b"unlock debug port"), 0x1234567890ABCDEF
r = mul(k, G)[0] % N
sv = pow(k, -1, N) * (z + r * d) % N
f.write(f"unlock {r:x} {sv:x}\n")
f.flush()
print(f.readline())
PY
