"""The scale path: jobs delivered through a real Redis, their state in the database (SQLite and PostgreSQL).

Each test has its own key prefix, so parallel test workers never see each other's jobs. Intervals are tiny and
staleness is driven by the manual clock, so nothing waits long.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from bastion.core.clock import ManualClock
from bastion.db import Database
from bastion.jobs.inprocess import InProcessRunner
from bastion.jobs.interface import Job, JobHandler, JobStatus, Progress
from bastion.jobs.models import JobRow
from bastion.jobs.redis_queue import JobDeliveryUnavailable, RedisJobQueue

WORKER = Path(__file__).with_name("redis_worker.py")
BEAT = timedelta(milliseconds=20)
STALE = timedelta(minutes=5)


@pytest.fixture
def connect(database: Database, clock: ManualClock, redis_url: str, prefix: str) -> Iterator[Callable[..., Any]]:
    """A queue as a separate process would build it: its own database engine and Redis connection."""
    engines: list[Database] = []

    def make(url: str = redis_url) -> RedisJobQueue:
        engines.append(Database(database.url))
        return RedisJobQueue(engines[-1], clock, url, prefix=prefix)

    yield make
    for engine in engines:
        engine.dispose()


def runner(queue: RedisJobQueue, name: str, handler: JobHandler) -> InProcessRunner:
    worker = InProcessRunner(queue, worker=name, stale_after=STALE, heartbeat_every=BEAT)
    worker.register("work", handler)
    return worker


def eventually(condition: Callable[[], bool], what: str) -> None:
    """Poll for something another thread or process does (a safety deadline, not a timing assertion)."""
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.02)


def test_two_workers_run_each_job_exactly_once(connect: Callable[..., RedisJobQueue]) -> None:
    producer = connect()
    jobs = [producer.enqueue("work", {"n": n}, key=f"job-{n}") for n in range(20)]
    runs: list[tuple[str, str]] = []
    both_busy = threading.Barrier(2)
    first_job_of: set[str] = set()

    def handler_for(name: str) -> JobHandler:
        def handle(job: Job, progress: Progress) -> dict[str, Any]:
            runs.append((job.id, name))
            if name not in first_job_of:  # each worker's first job waits for the other's: they run side by side
                first_job_of.add(name)
                both_busy.wait(timeout=30)
            return {"n": job.payload["n"] * 2, "by": name}

        return handle

    workers = [runner(connect(), name, handler_for(name)) for name in ("w1", "w2")]
    finished: dict[str, list[Job]] = {}
    threads = [threading.Thread(target=lambda w=w: finished.update({w.worker: w.run_until_idle()})) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert Counter(job_id for job_id, _ in runs) == Counter({job.id: 1 for job in jobs})
    assert {name for _, name in runs} == {"w1", "w2"}
    for job in jobs:
        done = producer.get(job.id)
        assert (done.status, done.attempts, done.progress) == (JobStatus.SUCCEEDED, 1, 1.0)
        assert done.result is not None and done.result["n"] == job.payload["n"] * 2
        assert done.worker == done.result["by"]
    assert sorted(j.id for js in finished.values() for j in js) == sorted(j.id for j in jobs)


def test_duplicate_deliveries_run_a_job_once(connect: Callable[..., RedisJobQueue], redis_client: redis.Redis) -> None:
    producer = connect()
    job = producer.enqueue("work", {}, key="once")
    assert producer.reconcile() == []  # already delivered: nothing to republish
    for _ in range(3):  # what racing reapers could do
        redis_client.lpush(f"{producer._ready('work')}", job.id)
    calls: list[str] = []

    def handle(job: Job, progress: Progress) -> dict[str, Any]:
        calls.append(job.id)
        return {}

    worker = runner(connect(), "w", handle)
    [done] = worker.run_until_idle()
    assert calls == [job.id]
    assert (done.status, done.attempts) == (JobStatus.SUCCEEDED, 1)
    assert redis_client.llen(producer._ready("work")) == 0


def test_a_rolled_back_enqueue_delivers_nothing(
    connect: Callable[..., RedisJobQueue], database: Database, redis_client: redis.Redis, prefix: str
) -> None:
    producer = connect()
    with pytest.raises(RuntimeError, match="caller's change failed"), database.session() as session:
        producer.enqueue_in(session, "work", {}, key="never")
        raise RuntimeError("caller's change failed")
    assert list(redis_client.scan_iter(match=f"{prefix}:*")) == []
    assert runner(connect(), "w", lambda j, p: {}).run_until_idle() == []
    with database.read_session() as session:
        assert session.query(JobRow).count() == 0


def test_a_worker_killed_mid_job_has_its_job_taken_over(
    connect: Callable[..., RedisJobQueue], database: Database, clock: ManualClock, redis_url: str, prefix: str
) -> None:
    producer = connect()
    job = producer.enqueue("work", {"n": 7}, key="long")
    doomed = subprocess.Popen(
        [sys.executable, str(WORKER), database.url, redis_url, prefix, clock.now().isoformat()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        eventually(lambda: producer.get(job.id).message == "half way" or doomed.poll() is not None, "job started")
        assert doomed.poll() is None, doomed.communicate()[1][-2000:]
    finally:
        doomed.kill()  # SIGKILL: no cleanup, no goodbye
        doomed.communicate()
    assert doomed.returncode == -9
    interrupted = producer.get(job.id)
    assert (interrupted.status, interrupted.worker, interrupted.attempts) == (JobStatus.RUNNING, "doomed", 1)

    ran: list[int] = []

    def handle(job: Job, progress: Progress) -> dict[str, Any]:
        ran.append(job.attempts)
        return {"n": job.payload["n"]}

    survivor = runner(connect(), "survivor", handle)
    clock.advance(STALE - timedelta(seconds=1))
    assert survivor.run_until_idle() == []  # heartbeat still fresh: the worker may be alive, leave its job
    clock.advance(timedelta(seconds=2))
    [done] = survivor.run_until_idle()
    assert ran == [2]
    assert (done.id, done.status, done.attempts, done.worker, done.result) == (
        job.id,
        JobStatus.SUCCEEDED,
        2,
        "survivor",
        {"n": 7},
    )
    assert producer._redis.llen(producer._processing("doomed")) == 0


def test_lost_redis_data_is_republished_from_the_database(
    connect: Callable[..., RedisJobQueue], lose_redis_data: Callable[[], int]
) -> None:
    producer = connect()
    jobs = [producer.enqueue("work", {"n": n}, key=f"job-{n}") for n in range(3)]
    assert lose_redis_data() > 0  # Redis restarted without persistence
    worker = runner(connect(), "w", lambda j, p: {"n": j.payload["n"]})
    assert worker.run_one() is None  # nothing left to deliver the jobs...
    assert {producer.get(j.id).status for j in jobs} == {JobStatus.QUEUED}  # ...but the database still has them
    done = worker.run_until_idle()  # starts with recovery: the reaper republishes from the database
    assert sorted(j.id for j in done) == sorted(j.id for j in jobs)
    assert all((producer.get(j.id).status, producer.get(j.id).attempts) == (JobStatus.SUCCEEDED, 1) for j in jobs)


def test_a_job_enqueued_while_redis_is_down_is_run_by_a_long_running_worker(
    connect: Callable[..., RedisJobQueue],
) -> None:
    offline = connect("redis://127.0.0.1:1/0")  # nothing listens there
    job = offline.enqueue("work", {"n": 1}, key="during-outage")  # the caller's change still commits
    with pytest.raises(JobDeliveryUnavailable, match=r"cannot reach Redis at redis://127\.0\.0\.1:1/0"):
        runner(offline, "w-offline", lambda j, p: {}).run_one()

    worker = runner(connect(), "forever", lambda j, p: {"n": j.payload["n"]})
    stop = threading.Event()
    finished: list[Job] = []
    thread = threading.Thread(
        target=worker.run_forever,
        args=(stop,),
        kwargs={"wait": timedelta(milliseconds=50), "recover_every": timedelta(0), "on_done": finished.append},
    )
    thread.start()
    try:
        eventually(lambda: len(finished) == 1, "the worker republished and ran the job")
        later = connect().enqueue("work", {"n": 2}, key="after-outage")  # delivered straight away this time
        eventually(lambda: len(finished) == 2, "the worker ran the second job")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert [(j.id, j.status, j.result) for j in finished] == [
        (job.id, JobStatus.SUCCEEDED, {"n": 1}),
        (later.id, JobStatus.SUCCEEDED, {"n": 2}),
    ]
