"""``InProcessRunner``: the embedded worker. It runs queued jobs in this process, one at a time.

On start it requeues jobs whose worker died (a stale heartbeat), so a ``bastion`` process killed mid-run
picks the job up again next time; the handler then resumes (handlers are written to be re-runnable).
With a ``PeriodicSchedule`` it also enqueues the periodic work that is due, by the injected clock, so the
embedded deployment runs the same schedule as Celery beat with no server to install. ``run_until_idle``
serves one-shot commands (and cron); ``run_forever`` is a long-running worker (``bastion worker --forever``)
that also recovers dead workers' jobs periodically.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from bastion.core.errors import OperationalError
from bastion.jobs.execute import HEARTBEAT_EVERY, STALE_AFTER, OnProgress, execute
from bastion.jobs.interface import Job, JobHandler, JobID, JobQueue, UnknownJobKind
from bastion.jobs.schedule import PeriodicSchedule

logger = logging.getLogger(__name__)

WAIT_FOR_WORK = timedelta(seconds=5)
RECOVER_EVERY = timedelta(seconds=30)


class InProcessRunner:
    def __init__(
        self,
        queue: JobQueue,
        *,
        worker: str | None = None,
        stale_after: timedelta = STALE_AFTER,
        heartbeat_every: timedelta = HEARTBEAT_EVERY,
        schedule: PeriodicSchedule | None = None,
    ) -> None:
        self._queue = queue
        self._handlers: dict[str, JobHandler] = {}
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self._stale_after = stale_after
        self._heartbeat_every = heartbeat_every
        self._schedule = schedule

    def register(self, kind: str, handler: JobHandler) -> None:
        self._handlers[kind] = handler

    def recover(self) -> list[JobID]:
        """Requeue the jobs of dead workers (call on start)."""
        recovered = self._queue.recover_stale(older_than=self._stale_after)
        for job_id in recovered:
            logger.info("requeued interrupted job %s", job_id)
        return recovered

    def enqueue_due(self) -> list[Job]:
        """Enqueue the periodic work that is due now (none without a schedule)."""
        return self._schedule.enqueue_due() if self._schedule is not None else []

    def run_one(self, *, on_progress: OnProgress | None = None) -> Job | None:
        """Claim and run one job; returns its record afterwards, or None when nothing is queued."""
        if not self._handlers:
            raise UnknownJobKind("no job handlers registered")
        job = self._queue.claim(self.worker, frozenset(self._handlers))
        if job is None:
            return None
        done = execute(
            self._queue, job, self._handlers[job.kind], heartbeat_every=self._heartbeat_every, on_progress=on_progress
        )
        return done if done is not None else self._queue.get(job.id)

    def run_until_idle(self, *, on_progress: OnProgress | None = None) -> list[Job]:
        """Recover interrupted jobs and enqueue due periodic work, then run queued jobs (including retries)
        until none is left."""
        self.recover()
        self.enqueue_due()
        done = []
        while (job := self.run_one(on_progress=on_progress)) is not None:
            done.append(job)
        return done

    def run_forever(
        self,
        stop: threading.Event,
        *,
        wait: timedelta = WAIT_FOR_WORK,
        recover_every: timedelta = RECOVER_EVERY,
        on_progress: OnProgress | None = None,
        on_done: Callable[[Job], None] | None = None,
    ) -> None:
        """Run jobs as they arrive (and periodic work as it falls due) until ``stop`` is set (checked between
        jobs), recovering dead workers' jobs every ``recover_every``. An unreachable queue (an
        ``OperationalError``) is logged and retried."""
        kinds = frozenset(self._handlers)
        next_recovery = time.monotonic()
        while not stop.is_set():
            try:
                if time.monotonic() >= next_recovery:
                    self.recover()
                    next_recovery = time.monotonic() + recover_every.total_seconds()
                self.enqueue_due()
                job = self.run_one(on_progress=on_progress)
                if job is None:
                    self._queue.wait_for_work(kinds, wait)
                elif on_done is not None:
                    on_done(job)
            except OperationalError as e:
                logger.warning("job queue unavailable, retrying in %s: %s", wait, e)
                stop.wait(wait.total_seconds())
