"""Periodic work in the embedded worker: the same schedule as Celery beat, driven by the injected clock (the
tests move the clock and never sleep). One run per periodic task per time slot, whatever asks for it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from bastion.core.clock import ManualClock
from bastion.db import Database
from bastion.jobs.database import DatabaseJobQueue
from bastion.jobs.inprocess import InProcessRunner
from bastion.jobs.interface import Job, JobNotFound, JobStatus, Progress, UnknownJobKind
from bastion.jobs.registry import JobRegistry
from bastion.jobs.schedule import PeriodicSchedule

EVERY = timedelta(minutes=5)


def counting(runs: list[str]) -> Callable[[Job, Progress], dict[str, Any]]:
    def handle(job: Job, progress: Progress) -> dict[str, Any]:
        runs.append(job.payload["due_at"])
        return {"run": len(runs)}

    return handle


def worker(database: Database, clock: ManualClock, registry: JobRegistry, name: str = "w") -> InProcessRunner:
    """A worker as a fresh process would build it (its own schedule state)."""
    queue = DatabaseJobQueue(database, clock)
    runner = InProcessRunner(queue, worker=name, schedule=PeriodicSchedule(queue, registry.periodic, clock))
    for kind, handler in registry.handlers.items():
        runner.register(kind, handler)
    return runner


def test_a_periodic_task_runs_once_per_slot_as_the_clock_moves(database: Database, clock: ManualClock) -> None:
    runs: list[str] = []
    registry = JobRegistry()
    registry.every("tick", EVERY, counting(runs))
    first = worker(database, clock, registry)

    [done] = first.run_until_idle()  # 09:00:00 starts a slot: due at once
    assert (done.kind, done.status, done.result) == ("tick", JobStatus.SUCCEEDED, {"run": 1})
    assert first.run_until_idle() == []
    clock.advance(EVERY - timedelta(seconds=1))
    assert first.run_until_idle() == []  # same slot
    assert worker(database, clock, registry, "restarted").run_until_idle() == []  # a restart does not re-run it
    clock.advance(timedelta(seconds=1))
    assert [j.kind for j in first.run_until_idle()] == ["tick"]
    assert runs == ["2026-11-02T09:00:00+00:00", "2026-11-02T09:05:00+00:00"]


def test_two_workers_run_each_slot_once(database: Database, clock: ManualClock) -> None:
    runs: list[str] = []
    registry = JobRegistry()
    registry.every("tick", EVERY, counting(runs))
    a, b = worker(database, clock, registry, "a"), worker(database, clock, registry, "b")
    for _ in range(3):
        assert a.enqueue_due() and b.enqueue_due()  # both ask for the slot...
        a.run_until_idle()
        b.run_until_idle()
        clock.advance(EVERY)
    assert len(runs) == len(set(runs)) == 3  # ...each runs once


def test_missed_slots_are_not_made_up(database: Database, clock: ManualClock) -> None:
    runs: list[str] = []
    registry = JobRegistry()
    registry.every("tick", EVERY, counting(runs))
    runner = worker(database, clock, registry)
    runner.run_until_idle()
    clock.advance(timedelta(hours=1, minutes=2))  # the machine was off for an hour
    runner.run_until_idle()
    assert runs == ["2026-11-02T09:00:00+00:00", "2026-11-02T10:00:00+00:00"]


def test_a_failed_run_is_retried_by_the_next_slot(database: Database, clock: ManualClock) -> None:
    outcomes = iter([RuntimeError("source unreachable"), None])

    def flaky(job: Job, progress: Progress) -> dict[str, Any]:
        if (error := next(outcomes)) is not None:
            raise error
        return {}

    registry = JobRegistry()
    registry.every("refresh", timedelta(hours=24), flaky)
    runner = worker(database, clock, registry)
    [failed] = runner.run_until_idle()
    assert (failed.status, failed.attempts, failed.error) == (
        JobStatus.FAILED,
        1,
        "RuntimeError: source unreachable",
    )
    clock.advance(timedelta(hours=24))
    [done] = runner.run_until_idle()
    assert done.status is JobStatus.SUCCEEDED and done.id != failed.id


def test_finished_runs_are_pruned_after_a_week(database: Database, clock: ManualClock) -> None:
    registry = JobRegistry()
    registry.every("tick", timedelta(days=1), lambda job, progress: {})
    runner = worker(database, clock, registry)
    runs = runner.run_until_idle()
    for _ in range(8):
        clock.advance(timedelta(days=1))
        runs += runner.run_until_idle()
    queue = DatabaseJobQueue(database, clock)
    with pytest.raises(JobNotFound):
        queue.get(runs[0].id)  # finished 8 days ago
    assert [queue.get(j.id).status for j in runs[1:]] == [JobStatus.SUCCEEDED] * 8


def test_a_schedule_knows_only_its_periodic_tasks(database: Database, clock: ManualClock) -> None:
    registry = JobRegistry()
    registry.every("tick", EVERY, lambda job, progress: {})
    schedule = PeriodicSchedule(DatabaseJobQueue(database, clock), registry.periodic, clock)
    with pytest.raises(UnknownJobKind, match="no periodic task named 'tock'"):
        schedule.enqueue("tock")
    with pytest.raises(ValueError, match="registered twice"):
        registry.every("tick", EVERY, lambda job, progress: {})
    with pytest.raises(ValueError, match="more often than once a second"):
        registry.every("fast", timedelta(milliseconds=10), lambda job, progress: {})
