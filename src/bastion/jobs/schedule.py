"""Periodic work as jobs, on any worker: one job per periodic task per time slot.

A periodic task's run for a slot (whole intervals since the Unix epoch, in UTC) is the job keyed
``periodic:NAME:SLOT``. Enqueueing is idempotent by key, so each slot runs once, however many workers,
restarts or schedulers (Celery beat, the in-process runner) ask for it; a slot nobody asked for during its
interval is skipped, not made up later. Finished runs older than ``keep`` are pruned as new slots start.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bastion.core.clock import Clock
from bastion.jobs.database import DatabaseJobQueue
from bastion.jobs.interface import Job, UnknownJobKind
from bastion.jobs.registry import Periodic

KEEP_FINISHED = timedelta(days=7)


class PeriodicSchedule:
    def __init__(
        self, queue: DatabaseJobQueue, periodic: Sequence[Periodic], clock: Clock, *, keep: timedelta = KEEP_FINISHED
    ) -> None:
        self._queue = queue
        self._periodic = {p.name: p for p in periodic}
        self._clock = clock
        self._keep = keep
        self._asked: dict[str, int] = {}  # name -> the last slot enqueued by this process

    @property
    def periodic(self) -> tuple[Periodic, ...]:
        return tuple(self._periodic.values())

    def enqueue_due(self) -> list[Job]:
        """Enqueue the current slot of every periodic task this process has not enqueued yet (the in-process
        runner calls this between jobs); returns the jobs of the slots enqueued now."""
        return [job for name in self._periodic if (job := self._enqueue(name, skip_asked=True)) is not None]

    def enqueue(self, name: str) -> Job:
        """Enqueue the current slot of ``name`` (a Celery beat tick); the existing job if it already is."""
        job = self._enqueue(name, skip_asked=False)
        assert job is not None
        return job

    def _enqueue(self, name: str, *, skip_asked: bool) -> Job | None:
        periodic = self._periodic.get(name)
        if periodic is None:
            raise UnknownJobKind(f"no periodic task named {name!r}", hint=f"known: {', '.join(self._periodic)}")
        now = self._clock.now()
        slot = int(now.timestamp() // periodic.every.total_seconds())
        if skip_asked and self._asked.get(name) == slot:
            return None
        due = datetime.fromtimestamp(slot * periodic.every.total_seconds(), UTC)
        job = self._queue.enqueue(
            name,
            {"slot": slot, "due_at": due.isoformat()},
            key=f"periodic:{name}:{slot}",
            max_attempts=periodic.max_attempts,
        )
        if self._asked.get(name) != slot:
            self._asked[name] = slot
            self._queue.prune(name, finished_before=now - self._keep)
        return job
