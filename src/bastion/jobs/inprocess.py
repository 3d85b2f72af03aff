"""``InProcessRunner``: the embedded worker. It runs queued jobs in this process, one at a time.

On start it requeues jobs whose worker died (a stale heartbeat), so a ``bastion`` process killed mid-run
picks the job up again next time; the handler then resumes (handlers are written to be re-runnable).
Progress reports double as heartbeats. ``run_until_idle`` serves one-shot commands; ``run_forever`` is a
long-running worker (``bastion eval work --forever``) that also recovers dead workers' jobs periodically.
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
from bastion.jobs.interface import Job, JobHandler, JobID, JobQueue, UnknownJobKind

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=5)
HEARTBEAT_EVERY = timedelta(seconds=30)
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
    ) -> None:
        self._queue = queue
        self._handlers: dict[str, JobHandler] = {}
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self._stale_after = stale_after
        self._heartbeat_every = heartbeat_every

    def register(self, kind: str, handler: JobHandler) -> None:
        self._handlers[kind] = handler

    def recover(self) -> list[JobID]:
        """Requeue the jobs of dead workers (call on start)."""
        recovered = self._queue.recover_stale(older_than=self._stale_after)
        for job_id in recovered:
            logger.info("requeued interrupted job %s", job_id)
        return recovered

    def run_one(self, *, on_progress: Callable[[Job, float, str], None] | None = None) -> Job | None:
        """Claim and run one job; returns its final record, or None when nothing is queued."""
        if not self._handlers:
            raise UnknownJobKind("no job handlers registered")
        job = self._queue.claim(self.worker, frozenset(self._handlers))
        if job is None:
            return None

        def progress(fraction: float, message: str = "") -> None:
            self._queue.heartbeat(job.id, progress=fraction, message=message)
            if on_progress is not None:
                on_progress(job, fraction, message)

        stop = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job.id, stop), daemon=True)
        beat.start()
        try:
            result = self._handlers[job.kind](job, progress)
        except Exception as e:  # noqa: BLE001 - any handler failure is recorded on the job, not raised
            logger.warning("job %s attempt %d failed: %s", job.id, job.attempts, e)
            return self._queue.fail(job.id, f"{type(e).__name__}: {e}")
        finally:
            stop.set()
            beat.join()
        return self._queue.succeed(job.id, result)

    def _beat(self, job_id: JobID, stop: threading.Event) -> None:
        """Keep the heartbeat fresh during long steps, so a live job is never mistaken for a dead one."""
        while not stop.wait(self._heartbeat_every.total_seconds()):
            current = self._queue.get(job_id)
            self._queue.heartbeat(job_id, progress=current.progress, message=current.message)

    def run_until_idle(self, *, on_progress: Callable[[Job, float, str], None] | None = None) -> list[Job]:
        """Recover interrupted jobs, then run queued jobs (including retries) until none is left."""
        self.recover()
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
        on_progress: Callable[[Job, float, str], None] | None = None,
        on_done: Callable[[Job], None] | None = None,
    ) -> None:
        """Run jobs as they arrive until ``stop`` is set (checked between jobs), recovering dead workers' jobs
        every ``recover_every``. An unreachable queue (an ``OperationalError``) is logged and retried."""
        kinds = frozenset(self._handlers)
        next_recovery = time.monotonic()
        while not stop.is_set():
            try:
                if time.monotonic() >= next_recovery:
                    self.recover()
                    next_recovery = time.monotonic() + recover_every.total_seconds()
                job = self.run_one(on_progress=on_progress)
                if job is None:
                    self._queue.wait_for_work(kinds, wait)
                elif on_done is not None:
                    on_done(job)
            except OperationalError as e:
                logger.warning("job queue unavailable, retrying in %s: %s", wait, e)
                stop.wait(wait.total_seconds())
