#!/bin/bash
# The generator is seeded with the current second: find the seed whose second draw is our guest
# token (the sandbox shares the service's clock), and the first draw is the admin's token.
python3 - <<'PY'
import random, re, socket, time
with socket.create_connection(("127.0.0.1", 1337), timeout=10) as s:
    f = s.makefile("rw")
    guest = int(re.search(r"token: ([0-9a-f]{16})", f.readline() + f.readline()).group(1), 16)
    now = int(time.time())
    for seed in range(now - 600, now + 600):
        rng = random.Random(seed)
        admin = rng.getrandbits(64)
        if rng.getrandbits(64) == guest:
            break
    f.write(f"{admin:016x}\n")
    f.flush()
    print(f.read())
PY
