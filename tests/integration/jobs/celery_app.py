"""The Celery app the integration tests run as real worker processes: the engine's own tasks and settings
(``bastion.jobs.celery_engine``) with test handlers, configured from the environment:

- ``JOBTEST_DATABASE_URL``, ``JOBTEST_BROKER_URL``, ``JOBTEST_QUEUE``;
- ``JOBTEST_DIR``: where handlers leave their traces (one line per run in ``runs.log``, checkpoints).

Start: ``python -m celery -A tests.integration.jobs.celery_app worker --pool prefork -n NAME@%h`` (the test
helpers in ``conftest.py`` do). Intervals are short so that a killed worker's job is taken over in seconds.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery.signals import worker_ready

from bastion.core.clock import SystemClock
from bastion.db import Database
from bastion.jobs.celery_engine import CeleryDelivery, celery_app, install_worker
from bastion.jobs.database import DatabaseJobQueue
from bastion.jobs.interface import Job, Progress
from bastion.jobs.registry import JobRegistry

STALE_AFTER = timedelta(seconds=3)
HEARTBEAT_EVERY = timedelta(milliseconds=200)
TRANSPORT_OPTIONS = {  # Redis: restore a dead worker's unacknowledged message within seconds
    "visibility_timeout": 4,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

DIR = Path(os.environ["JOBTEST_DIR"])
BROKER = os.environ["JOBTEST_BROKER_URL"]


def trace(name: str, line: str) -> None:
    with (DIR / name).open("a", encoding="utf-8") as f:
        f.write(line + "\n")


def lines(name: str) -> list[str]:
    path = DIR / name
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def work(job: Job, progress: Progress) -> dict[str, Any]:
    """Doubles ``n``. With ``together``, a worker's first job waits (30 s at most) until another worker has
    started one too, so the test sees both workers take part."""
    me = os.environ.get("JOBTEST_WORKER", "?")
    trace("runs.log", f"{job.id} {me} {job.attempts}")
    if job.payload.get("together") and not any(line.endswith(f" {me}") for line in lines("first.log")):
        trace("first.log", f"{job.id} {me}")
        deadline = time.monotonic() + 30
        while len({line.split()[1] for line in lines("first.log")}) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    return {"n": job.payload["n"] * 2, "by": me}


def resumable(job: Job, progress: Progress) -> dict[str, Any]:
    """Two steps with a checkpoint between them. The first attempt hangs after step 1 until it is killed; the
    next attempt finds the checkpoint and does only step 2."""
    checkpoint = DIR / f"{job.id}.step1"
    resumed = checkpoint.exists()
    if not resumed:
        trace("steps.log", f"{job.id} step1 attempt{job.attempts}")
        checkpoint.write_text("done", encoding="utf-8")
    progress(0.5, "half way")
    if job.attempts == 1:
        threading.Event().wait()  # until the worker is killed
    trace("steps.log", f"{job.id} step2 attempt{job.attempts}")
    return {"resumed": resumed, "attempt": job.attempts}


def tick(job: Job, progress: Progress) -> dict[str, Any]:
    trace("ticks.log", f"{job.id} {job.payload['slot']}")
    return {"slot": job.payload["slot"]}


def _build() -> Any:
    clock = SystemClock()
    built = celery_app(BROKER, os.environ["JOBTEST_QUEUE"], transport_options=TRANSPORT_OPTIONS)
    built.conf.worker_enable_remote_control = False  # no pidbox queues left behind by the tests
    queue = DatabaseJobQueue(Database(os.environ["JOBTEST_DATABASE_URL"]), clock, delivery=CeleryDelivery(built))
    registry = JobRegistry()
    registry.handle("work", work)
    registry.handle("resumable", resumable)
    registry.every("tick", timedelta(seconds=2), tick)
    install_worker(built, queue, registry, clock, stale_after=STALE_AFTER, heartbeat_every=HEARTBEAT_EVERY)
    return built


app = _build()


@worker_ready.connect(weak=False)
def _ready(**_: Any) -> None:
    trace("ready.log", os.environ.get("JOBTEST_WORKER", "?"))
