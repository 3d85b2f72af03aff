"""Claims are fenced by attempt: a worker that stalled past the heartbeat window, whose job was taken over,
can no longer write to it (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from bastion.core.clock import ManualClock
from bastion.db import Database
from bastion.jobs.database import DatabaseJobQueue
from bastion.jobs.execute import execute
from bastion.jobs.interface import Job, JobClaimLost, JobStatus, Progress

STALE = timedelta(minutes=5)


def taken_over(queue: DatabaseJobQueue, clock: ManualClock) -> tuple[Job, Job]:
    """A job claimed by a worker that then stalls, and the same job taken over once its heartbeat is stale."""
    job = queue.enqueue("k", {}, key="a")
    stalled = queue.take(job.id, "stalled", stale_after=STALE)
    assert stalled is not None and stalled.attempts == 1
    assert queue.take(job.id, "eager", stale_after=STALE) is None  # fresh heartbeat: its worker may be alive
    clock.advance(STALE + timedelta(seconds=1))
    fresh = queue.take(job.id, "survivor", stale_after=STALE)
    assert fresh is not None and (fresh.attempts, fresh.worker) == (2, "survivor")
    return stalled, fresh


def test_a_late_result_from_a_stalled_worker_is_rejected(database: Database, clock: ManualClock) -> None:
    queue = DatabaseJobQueue(database, clock)
    stalled, fresh = taken_over(queue, clock)
    with pytest.raises(JobClaimLost, match=r"attempt 1 by stalled no longer holds it \(it is running, attempt 2"):
        queue.succeed(stalled, {"by": "stalled"})
    with pytest.raises(JobClaimLost):
        queue.heartbeat(stalled, progress=0.9, message="still here")
    with pytest.raises(JobClaimLost):
        queue.fail(stalled, "gave up")
    assert queue.get(fresh.id).message == "started"  # the stalled worker's progress did not land
    done = queue.succeed(fresh, {"by": "survivor"})
    assert (done.status, done.result, done.attempts) == (JobStatus.SUCCEEDED, {"by": "survivor"}, 2)
    with pytest.raises(JobClaimLost):  # nor after the job finished
        queue.succeed(stalled, {"by": "stalled"})
    assert queue.get(fresh.id).result == {"by": "survivor"}


def test_a_stalled_handler_is_stopped_at_its_next_progress_report(database: Database, clock: ManualClock) -> None:
    queue = DatabaseJobQueue(database, clock)
    job = queue.enqueue("k", {}, key="a")
    stalled = queue.take(job.id, "stalled", stale_after=STALE)
    assert stalled is not None
    paused, resumed = threading.Event(), threading.Event()
    after_stall: list[str] = []

    def handler(job: Job, progress: Progress) -> dict[str, Any]:
        progress(0.25, "step 1")
        paused.set()
        resumed.wait(timeout=30)  # the worker stalls here (a long GC pause, a frozen VM)
        progress(0.5, "step 2")  # raises: the job was taken over meanwhile
        after_stall.append("step 3")
        return {"done": True}

    outcome: list[Job | None] = []
    thread = threading.Thread(target=lambda: outcome.append(execute(queue, stalled, handler)))
    thread.start()
    assert paused.wait(timeout=30)
    clock.advance(STALE + timedelta(seconds=1))
    fresh = queue.take(job.id, "survivor", stale_after=STALE)
    assert fresh is not None
    resumed.set()
    thread.join(timeout=30)
    assert outcome == [None] and after_stall == []
    current = queue.get(job.id)
    assert (current.status, current.attempts, current.worker, current.message) == (
        JobStatus.RUNNING,
        2,
        "survivor",
        "started",
    )


def test_take_never_takes_a_finished_job(database: Database, clock: ManualClock) -> None:
    queue = DatabaseJobQueue(database, clock)
    job = queue.enqueue("k", {}, key="a")
    claim = queue.take(job.id, "w", stale_after=STALE)
    assert claim is not None
    queue.succeed(claim, {})
    clock.advance(STALE * 10)
    assert queue.take(job.id, "w2", stale_after=STALE) is None
    assert queue.get(job.id).attempts == 1
