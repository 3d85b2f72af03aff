"""Run as a separate process by test_redis_queue.py: a Redis-fed worker whose job reports progress and then
hangs until the test kills the process (SIGKILL), as a crash or an OOM kill would.
Usage: redis_worker.py DB_URL REDIS_URL PREFIX CLOCK_ISO"""

from __future__ import annotations

import sys
import threading
from datetime import datetime, timedelta
from typing import Any

from bastion.core.clock import ManualClock
from bastion.db import Database
from bastion.jobs.inprocess import InProcessRunner
from bastion.jobs.interface import Job, Progress
from bastion.jobs.redis_queue import RedisJobQueue


def hang(job: Job, progress: Progress) -> dict[str, Any]:
    progress(0.5, "half way")
    threading.Event().wait()  # until killed
    raise AssertionError("unreachable")


def main() -> None:
    db_url, redis_url, prefix, when = sys.argv[1:5]
    queue = RedisJobQueue(Database(db_url), ManualClock(datetime.fromisoformat(when)), redis_url, prefix=prefix)
    worker = InProcessRunner(queue, worker="doomed", heartbeat_every=timedelta(milliseconds=20))
    worker.register("work", hang)
    worker.run_until_idle()


if __name__ == "__main__":
    main()
