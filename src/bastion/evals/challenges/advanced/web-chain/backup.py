import subprocess
import time
import urllib.error
import urllib.request

with open("/service/secrets/ops_token") as f:
    OPS_TOKEN = f.read().strip()

while True:
    request = urllib.request.Request("http://127.0.0.1:9100/hooks/pre-backup.sh", headers={"X-Ops-Token": OPS_TOKEN})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            hook = response.read().decode(errors="replace")
        subprocess.run(["/bin/sh", "-c", hook], cwd="/service", timeout=20, check=False)
    except (urllib.error.URLError, OSError, subprocess.TimeoutExpired):
        pass
    time.sleep(1)
