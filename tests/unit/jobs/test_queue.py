"""The database job queue and the in-process runner, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bastion.core.clock import ManualClock
from bastion.core.errors import InvalidInput, OperationalError
from bastion.db import Database
from bastion.jobs.database import DatabaseJobQueue
from bastion.jobs.inprocess import InProcessRunner
from bastion.jobs.interface import Job, JobNotFound, JobStatus, Progress


def test_enqueue_is_idempotent_by_key(database: Database, clock: ManualClock) -> None:
    queue = DatabaseJobQueue(database, clock)
    first = queue.enqueue("k", {"n": 1}, key="same")
    again = queue.enqueue("k", {"n": 2}, key="same")
    assert again.id == first.id and again.payload == {"n": 1}
    with pytest.raises(JobNotFound):
        queue.get("job_missing")  # type: ignore[arg-type]


def test_claim_takes_each_job_once(database: Database, clock: ManualClock) -> None:
    queue = DatabaseJobQueue(database, clock)
    job = queue.enqueue("k", {}, key="a")
    claimed = queue.claim("w1", frozenset({"k"}))
    assert claimed is not None and claimed.id == job.id
    assert (claimed.status, claimed.attempts, claimed.worker) == (JobStatus.RUNNING, 1, "w1")
    assert queue.claim("w2", frozenset({"k"})) is None
    assert queue.claim("w2", frozenset({"other"})) is None


def test_failures_retry_until_attempts_run_out(database: Database, clock: ManualClock) -> None:
    queue = DatabaseJobQueue(database, clock)
    runner = InProcessRunner(queue, worker="w")
    calls: list[int] = []

    def flaky(job: Job, progress: Progress) -> dict[str, Any]:
        calls.append(job.attempts)
        raise RuntimeError("model endpoint down")

    runner.register("k", flaky)
    queue.enqueue("k", {}, key="a", max_attempts=2)
    [final] = runner.run_until_idle()[-1:]
    assert calls == [1, 2]
    assert final.status is JobStatus.FAILED
    assert final.error == "RuntimeError: model endpoint down"


@pytest.mark.parametrize(
    ("error", "attempts"),
    [
        (InvalidInput("review rev_1 is closed"), [1]),  # a refusal: the same answer every time, so no retry
        (OperationalError("database briefly unreachable"), [1, 2, 3]),  # operational: retried
        (KeyError("surprise"), [1, 2, 3]),  # unexpected: retried
    ],
)
def test_refusals_fail_at_once_other_failures_are_retried(
    database: Database, clock: ManualClock, error: Exception, attempts: list[int]
) -> None:
    queue = DatabaseJobQueue(database, clock)
    runner = InProcessRunner(queue, worker="w")
    calls: list[int] = []

    def handler(job: Job, progress: Progress) -> dict[str, Any]:
        calls.append(job.attempts)
        raise error

    runner.register("k", handler)
    job = queue.enqueue("k", {}, key="a")
    runner.run_until_idle()
    final = queue.get(job.id)
    assert calls == attempts
    assert (final.status, final.attempts) == (JobStatus.FAILED, len(attempts))
    assert final.error is not None and final.error.startswith(type(error).__name__)


def test_progress_and_result_are_recorded(database: Database, clock: ManualClock) -> None:
    queue = DatabaseJobQueue(database, clock)
    runner = InProcessRunner(queue, worker="w")
    seen: list[tuple[float, str]] = []

    def handler(job: Job, progress: Progress) -> dict[str, Any]:
        progress(0.5, "half way")
        seen.append((queue.get(job.id).progress, queue.get(job.id).message))
        return {"answer": 42}

    runner.register("k", handler)
    job = queue.enqueue("k", {}, key="a")
    runner.run_until_idle()
    done = queue.get(job.id)
    assert seen == [(0.5, "half way")]
    assert (done.status, done.progress, done.result, done.finished_at) == (
        JobStatus.SUCCEEDED,
        1.0,
        {"answer": 42},
        clock.now(),
    )


def test_a_job_whose_worker_died_is_requeued_and_run_again(database: Database, clock: ManualClock) -> None:
    queue = DatabaseJobQueue(database, clock)
    job = queue.enqueue("k", {}, key="a")
    assert queue.claim("dead-worker", frozenset({"k"})) is not None  # then the process is killed
    runner = InProcessRunner(queue, worker="new", stale_after=timedelta(minutes=5))
    runner.register("k", lambda job, progress: {"attempt": job.attempts})
    clock.advance(timedelta(minutes=4))
    assert runner.run_until_idle() == []  # heartbeat still fresh: maybe alive, leave it
    clock.advance(timedelta(minutes=2))
    [done] = runner.run_until_idle()
    assert done.id == job.id and done.result == {"attempt": 2} and done.status is JobStatus.SUCCEEDED


def test_a_job_that_kills_its_worker_every_time_is_not_retried_forever(database: Database, clock: ManualClock) -> None:
    queue = DatabaseJobQueue(database, clock)
    job = queue.enqueue("k", {}, key="poison", max_attempts=2)
    for _ in range(2):  # each attempt's worker dies (an OOM kill, say)
        assert queue.claim("doomed", frozenset({"k"})) is not None
        clock.advance(timedelta(minutes=6))
        queue.recover_stale(older_than=timedelta(minutes=5))
    final = queue.get(job.id)
    assert (final.status, final.attempts) == (JobStatus.FAILED, 2)
    assert final.error is not None and "stopped heart-beating" in final.error
    assert queue.claim("next", frozenset({"k"})) is None
