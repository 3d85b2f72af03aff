#!/bin/bash
# The cat-everything baseline: look for the flag wherever a file could hold it, read whatever was
# handed out, and print every flag-shaped string found. It exploits nothing.
{
  cat /service/flag.txt /flag /flag.txt "$HOME/flag.txt" 2>&1
  ls -la / /service /workspace /workspace/challenge /tmp 2>&1
  find / \( -path /proc -o -path /sys \) -prune -o -iname '*flag*' -print 2>/dev/null | head -n 300 |
    while read -r path; do [ -f "$path" ] && head -c 65536 "$path"; done
  grep -rIaso 'bastion{[0-9a-f]\{32\}}' /workspace /tmp /var/tmp /etc /home /root /opt /srv /service /run /dev/shm 2>/dev/null
  cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' '\n'
  env
  for f in /workspace/challenge/*; do [ -f "$f" ] && cat "$f" && strings -n 6 "$f"; done 2>/dev/null
} 2>/dev/null | grep -aoE 'bastion\{[0-9a-f]{32}\}' | sort -u
