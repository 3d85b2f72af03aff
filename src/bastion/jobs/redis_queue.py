"""``RedisJobQueue``: job ids delivered through Redis to workers on other machines; job state stays in the database.

The ``jobs`` table remains the one source of truth (status, attempts, progress, result), so everything that
reads jobs (``bastion eval status``) works unchanged. Redis only carries job ids, to wake workers:

- enqueue: the row is inserted in the caller's transaction; its id is pushed to ``<prefix>:ready:<kind>`` once
  that transaction commits (never before: a worker must not see a job that may still roll back).
- claim: a worker moves an id atomically from a ready list to its own ``<prefix>:processing:<worker>`` list,
  then claims the row by compare-and-set. A job already claimed, finished or unknown is dropped, so a
  duplicate delivery is harmless and every republish below is safe.
- recover (the reaper: on start, and periodically in long-running workers): running jobs whose heartbeat is
  stale go back to ``queued`` (their worker died); every queued job missing from the ready lists is published
  again (Redis lost its data, or was down at enqueue time); processing entries that no longer match a job
  running on that worker are removed.

Redis errors while publishing are logged, not raised: the database already holds the job, and the next
recovery publishes it. Errors while claiming, waiting or recovering raise ``JobDeliveryUnavailable``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import redis
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from bastion.core.clock import Clock
from bastion.core.errors import OperationalError
from bastion.db import Database
from bastion.jobs.database import DatabaseJobQueue
from bastion.jobs.interface import Job, JobError, JobID, JobStatus
from bastion.jobs.models import JobRow

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "bastion:jobs"

# Forget a worker once its processing list is empty; atomic, so a worker that just took a job is never forgotten.
_FORGET_IDLE_WORKER = """
if redis.call('LLEN', KEYS[2]) == 0 then return redis.call('SREM', KEYS[1], ARGV[1]) end
return 0
"""


def _redacted(url: str) -> str:
    """The URL for messages, without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


class JobDeliveryUnavailable(JobError, OperationalError):  # noqa: N818 - names a kind, like the core errors
    default_code = "job_delivery_unavailable"


class RedisJobQueue(DatabaseJobQueue):
    def __init__(self, database: Database, clock: Clock, redis_url: str, *, prefix: str = DEFAULT_PREFIX) -> None:
        super().__init__(database, clock)
        self._where = _redacted(redis_url)
        try:
            self._redis = redis.Redis.from_url(redis_url, decode_responses=True, socket_connect_timeout=5)
        except ValueError as e:
            raise JobDeliveryUnavailable(
                f"BASTION_REDIS_URL is not a Redis URL: {e}", hint="e.g. redis://127.0.0.1:6379/0"
            ) from e
        self._prefix = prefix

    # keys
    def _ready(self, kind: str) -> str:
        return f"{self._prefix}:ready:{kind}"

    def _processing(self, worker: str) -> str:
        return f"{self._prefix}:processing:{worker}"

    @property
    def _workers(self) -> str:
        return f"{self._prefix}:workers"

    @contextmanager
    def _reaching(self, doing: str) -> Iterator[None]:
        try:
            yield
        except redis.RedisError as e:
            raise JobDeliveryUnavailable(
                f"cannot reach Redis at {self._where} to {doing}: {e}",
                hint="check that Redis is running and that BASTION_REDIS_URL points at it",
                details={"redis": self._where},
            ) from e

    def _publish(self, jobs: Iterable[tuple[str, str]]) -> None:
        """Push job ids to their ready lists. Raises ``redis.RedisError``."""
        pipe = self._redis.pipeline(transaction=False)
        for job_id, kind in jobs:
            pipe.lpush(self._ready(kind), job_id)
        pipe.execute()

    def _publish_or_log(self, jobs: list[tuple[str, str]]) -> None:
        try:
            self._publish(jobs)
        except redis.RedisError as e:
            logger.warning("could not publish jobs %s to Redis at %s (the reaper will): %s", jobs, self._where, e)

    def _forget(self, worker: str | None, job_id: JobID) -> None:
        if worker is None:
            return
        try:
            self._redis.lrem(self._processing(worker), 0, job_id)
        except redis.RedisError as e:
            logger.warning("could not clear job %s from %s's processing list (the reaper will): %s", job_id, worker, e)

    def enqueue_in(
        self, session: Session, kind: str, payload: dict[str, Any], *, key: str, max_attempts: int = 3
    ) -> Job:
        """Enqueue inside the caller's transaction; the id is published to Redis only once that commits."""
        job = super().enqueue_in(session, kind, payload, key=key, max_attempts=max_attempts)
        if job.status is JobStatus.QUEUED:
            event.listen(session, "after_commit", lambda _: self._publish_or_log([(job.id, job.kind)]), once=True)
        return job

    def claim(self, worker: str, kinds: frozenset[str]) -> Job | None:
        """Take the next delivered job of these kinds; None when Redis holds no deliverable id for them."""
        processing = self._processing(worker)
        with self._reaching("take a job"):
            for kind in sorted(kinds):
                while (job_id := self._redis.lmove(self._ready(kind), processing, "RIGHT", "LEFT")) is not None:
                    self._redis.sadd(self._workers, worker)
                    job = self.claim_id(JobID(cast("str", job_id)), worker)
                    if job is not None:
                        return job
                    self._redis.lrem(processing, 0, cast("str", job_id))  # taken, finished or gone: drop it
        return None

    def wait_for_work(self, kinds: frozenset[str], timeout: timedelta) -> None:
        """Block until a ready list of these kinds is non-empty (without taking anything), at most ``timeout``."""
        per_kind = timeout.total_seconds() / max(len(kinds), 1)
        if per_kind <= 0:
            return
        with self._reaching("wait for jobs"):
            for kind in sorted(kinds):
                ready = self._ready(kind)
                # Moving the tail of a list to its own tail leaves it unchanged; it just blocks until there is one.
                if self._redis.blmove(ready, ready, per_kind, "RIGHT", "RIGHT") is not None:  # type: ignore[arg-type]
                    return

    def succeed(self, job_id: JobID, result: dict[str, Any]) -> Job:
        job = super().succeed(job_id, result)
        self._forget(job.worker, job_id)
        return job

    def fail(self, job_id: JobID, error: str) -> Job:
        worker = self.get(job_id).worker
        job = super().fail(job_id, error)
        self._forget(worker, job_id)
        if job.status is JobStatus.QUEUED:
            self._publish_or_log([(job.id, job.kind)])
        return job

    def recover_stale(self, *, older_than: timedelta) -> list[JobID]:
        """Requeue dead workers' jobs in the database, then bring Redis in line with it (see ``reconcile``)."""
        recovered = super().recover_stale(older_than=older_than)
        self.reconcile()
        return recovered

    def reconcile(self) -> list[JobID]:
        """Publish queued jobs missing from Redis; drop processing entries no longer running there. Returns the
        ids published."""
        with self._db.read_session() as session:
            rows = session.execute(
                sa.select(JobRow.id, JobRow.kind, JobRow.status, JobRow.worker).where(
                    JobRow.status.in_([JobStatus.QUEUED.value, JobStatus.RUNNING.value])
                )
            ).all()
        queued = [(row.id, row.kind) for row in rows if row.status == JobStatus.QUEUED.value]
        running = {(row.id, row.worker) for row in rows if row.status == JobStatus.RUNNING.value}
        with self._reaching("recover jobs"):
            delivered: set[str] = set()
            for kind in {kind for _, kind in queued}:
                delivered.update(cast("list[str]", self._redis.lrange(self._ready(kind), 0, -1)))
            missing = [(job_id, kind) for job_id, kind in queued if job_id not in delivered]
            if missing:
                self._publish(missing)
                logger.info("published %d queued job(s) missing from Redis", len(missing))
            for worker in cast("set[str]", self._redis.smembers(self._workers)):
                processing = self._processing(worker)
                for job_id in cast("list[str]", self._redis.lrange(processing, 0, -1)):
                    if (job_id, worker) not in running:
                        self._redis.lrem(processing, 0, job_id)
                self._redis.eval(_FORGET_IDLE_WORKER, 2, self._workers, processing, worker)
        return [JobID(job_id) for job_id, _ in missing]
