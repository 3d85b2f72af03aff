#!/bin/bash
# A 16-character name passes the "len > 16" check; the terminating NUL is written to name[16],
# which is the first byte of is_guest.
printf 'AAAAAAAAAAAAAAAA\n' | socat -t5 - TCP:127.0.0.1:1337
