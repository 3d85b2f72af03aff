echo "pre-backup check at $(date -u +%H:%M:%S)"
