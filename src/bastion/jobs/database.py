"""``DatabaseJobQueue``: the job queue in the ``jobs`` table, on SQLite and PostgreSQL alike.

Claiming is a compare-and-set (``UPDATE ... WHERE status = 'queued'``) so two workers never take the same job,
without relying on dialect-specific locking. Every later write of a claim is fenced the same way, by the
claim's attempt number (see ``bastion.jobs.interface``).

With a ``Delivery`` (Celery), a job enqueued inside the caller's transaction is published only once that
transaction commits, and only if its row is still there (a rolled-back savepoint publishes nothing). A failed
hand-over is logged, never raised into the caller (its change is already committed): the job keeps no
``published_at`` and the next recovery publishes it, as it does every queued job published too long ago.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from bastion.core.clock import Clock
from bastion.db import Database
from bastion.jobs.interface import Delivery, Job, JobClaimLost, JobID, JobNotFound, JobQueue, JobStatus
from bastion.jobs.models import JobRow

logger = logging.getLogger(__name__)

REPUBLISH_AFTER = timedelta(minutes=10)
_QUEUED, _RUNNING = JobStatus.QUEUED, JobStatus.RUNNING
_FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED)


def _record(row: JobRow) -> Job:
    return Job(
        id=JobID(row.id),
        kind=row.kind,
        key=row.key,
        payload=dict(row.payload),
        status=row.status,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        progress=row.progress,
        message=row.message,
        result=dict(row.result) if row.result is not None else None,
        error=row.error,
        worker=row.worker,
        created_at=row.created_at,
        heartbeat_at=row.heartbeat_at,
        finished_at=row.finished_at,
    )


def _changed(result: sa.Result[Any]) -> int:
    return cast("CursorResult[Any]", result).rowcount


class DatabaseJobQueue(JobQueue):
    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        delivery: Delivery | None = None,
        republish_after: timedelta = REPUBLISH_AFTER,
    ) -> None:
        self._db = database
        self._clock = clock
        self._delivery = delivery
        self._republish_after = republish_after
        self._pending_key = f"bastion.jobs.pending.{id(self)}"

    @property
    def database(self) -> Database:
        return self._db

    def enqueue_in(
        self, session: Session, kind: str, payload: dict[str, Any], *, key: str, max_attempts: int = 3
    ) -> Job:
        """Enqueue inside the caller's transaction (the job exists, and is delivered, iff that change commits)."""
        existing = session.scalar(sa.select(JobRow).where(JobRow.key == key))
        if existing is not None:
            return _record(existing)
        now = self._clock.now()
        row = JobRow(
            id=f"job_{secrets.token_hex(10)}",
            kind=kind,
            key=key,
            payload=payload,
            status=_QUEUED,
            attempts=0,
            max_attempts=max_attempts,
            progress=0.0,
            message="queued",
            created_at=now,
            published_at=now if self._delivery is not None else None,
        )
        session.add(row)
        session.flush()
        if self._delivery is not None:
            self._publish_after_commit(session, JobID(row.id))
        return _record(row)

    def enqueue(self, kind: str, payload: dict[str, Any], *, key: str, max_attempts: int = 3) -> Job:
        with self._db.session() as session:
            return self.enqueue_in(session, kind, payload, key=key, max_attempts=max_attempts)

    def get(self, job_id: JobID) -> Job:
        with self._db.read_session() as session:
            row = session.get(JobRow, job_id)
            if row is None:
                raise JobNotFound(f"job {job_id} not found")
            return _record(row)

    def claim(self, worker: str, kinds: frozenset[str]) -> Job | None:
        with self._db.session() as session:
            candidates = session.scalars(
                sa.select(JobRow.id)
                .where(JobRow.status == _QUEUED, JobRow.kind.in_(sorted(kinds)))
                .order_by(JobRow.created_at, JobRow.id)
                .limit(10)
            ).all()
            for job_id in candidates:
                if (job := self._take(session, JobID(job_id), worker, JobRow.status == _QUEUED)) is not None:
                    return job
        return None

    def take(self, job_id: JobID, worker: str, *, stale_after: timedelta) -> Job | None:
        """Take this delivered job: if queued, or running with a heartbeat older than ``stale_after`` (its worker
        died; the job resumes as a new attempt). None if it is neither (finished, alive elsewhere, unknown)."""
        cutoff = self._clock.now() - stale_after
        with self._db.session() as session:
            self._fail_exhausted(session, cutoff, JobRow.id == job_id)
            stale = sa.and_(
                JobRow.status == _RUNNING, JobRow.heartbeat_at < cutoff, JobRow.attempts < JobRow.max_attempts
            )
            return self._take(session, job_id, worker, sa.or_(JobRow.status == _QUEUED, stale))

    def _take(self, session: Session, job_id: JobID, worker: str, takeable: sa.ColumnElement[bool]) -> Job | None:
        taken = session.execute(
            sa.update(JobRow)
            .where(JobRow.id == job_id, takeable)
            .values(
                status=_RUNNING,
                attempts=JobRow.attempts + 1,
                worker=worker,
                heartbeat_at=self._clock.now(),
                message="started",
            )
        )
        if _changed(taken) != 1:
            return None
        row = session.get(JobRow, job_id, populate_existing=True)
        assert row is not None
        return _record(row)

    def _fenced(self, job: Job, **values: Any) -> Job:
        """Write to the job only while ``job`` (a claim) still holds it: running, the same attempt."""
        with self._db.session() as session:
            updated = session.execute(
                sa.update(JobRow)
                .where(JobRow.id == job.id, JobRow.status == _RUNNING, JobRow.attempts == job.attempts)
                .values(**values)
            )
            row = session.get(JobRow, job.id, populate_existing=True)
            if row is None:
                raise JobNotFound(f"job {job.id} not found")
            if _changed(updated) != 1:
                raise JobClaimLost(
                    f"job {job.id}: attempt {job.attempts} by {job.worker} no longer holds it "
                    f"(it is {row.status}, attempt {row.attempts} by {row.worker})",
                    details={"job_id": job.id, "attempt": job.attempts, "status": row.status},
                )
            return _record(row)

    def heartbeat(self, job: Job, *, progress: float | None = None, message: str | None = None) -> None:
        values: dict[str, Any] = {"heartbeat_at": self._clock.now()}
        if progress is not None:
            values["progress"] = min(max(progress, 0.0), 1.0)
        if message is not None:
            values["message"] = message
        self._fenced(job, **values)

    def succeed(self, job: Job, result: dict[str, Any]) -> Job:
        now = self._clock.now()
        return self._fenced(
            job,
            status=JobStatus.SUCCEEDED,
            progress=1.0,
            message="done",
            result=result,
            error=None,
            heartbeat_at=now,
            finished_at=now,
        )

    def fail(self, job: Job, error: str, *, permanent: bool = False) -> Job:
        now = self._clock.now()
        if permanent or job.attempts >= job.max_attempts:
            return self._fenced(job, status=JobStatus.FAILED, error=error, message="failed", finished_at=now)
        retry = self._fenced(
            job,
            status=_QUEUED,
            error=error,
            message="will retry",
            worker=None,
            published_at=now if self._delivery is not None else None,
        )
        self._publish([retry])
        return retry

    def recover_stale(self, *, older_than: timedelta) -> list[JobID]:
        """Requeue dead workers' jobs (failing those that used their last attempt), then, with a broker,
        publish the queued jobs it may not hold (``republish``)."""
        cutoff = self._clock.now() - older_than
        with self._db.session() as session:
            self._fail_exhausted(session, cutoff)
            stale = session.scalars(
                sa.select(JobRow).where(JobRow.status == _RUNNING, JobRow.heartbeat_at < cutoff)
            ).all()
            for row in stale:
                row.status = _QUEUED
                row.message = f"requeued: worker {row.worker} stopped heart-beating"
                row.worker = None
                row.published_at = None
            requeued = [JobID(row.id) for row in stale]
        self.republish()
        return requeued

    def _fail_exhausted(self, session: Session, cutoff: datetime, *where: sa.ColumnElement[bool]) -> None:
        """A job whose worker died during its last attempt fails (a job that kills its worker every time must
        not be retried forever)."""
        session.execute(
            sa.update(JobRow)
            .where(
                JobRow.status == _RUNNING,
                JobRow.heartbeat_at < cutoff,
                JobRow.attempts >= JobRow.max_attempts,
                *where,
            )
            .values(
                status=JobStatus.FAILED,
                message="failed",
                error="the worker running the last attempt stopped heart-beating (killed or stalled)",
                finished_at=self._clock.now(),
            )
        )

    def republish(self) -> list[JobID]:
        """Publish again the queued jobs never handed to the broker, or handed over longer than
        ``republish_after`` ago (the broker may have lost them). A duplicate delivery is harmless: only one
        worker can take a job. Returns the ids published; nothing without a broker."""
        if self._delivery is None:
            return []
        now = self._clock.now()
        with self._db.session() as session:
            rows = session.scalars(
                sa.select(JobRow)
                .where(
                    JobRow.status == _QUEUED,
                    sa.or_(JobRow.published_at.is_(None), JobRow.published_at < now - self._republish_after),
                )
                .order_by(JobRow.created_at, JobRow.id)
            ).all()
            for row in rows:
                row.published_at = now
            jobs = [_record(row) for row in rows]
        if jobs:
            logger.info("publishing %d queued job(s) the broker may not hold", len(jobs))
        self._publish(jobs)
        return [job.id for job in jobs]

    def prune(self, kind: str, *, finished_before: datetime) -> int:
        """Delete finished jobs of ``kind`` that finished before ``finished_before``; returns how many."""
        with self._db.session() as session:
            deleted = session.execute(
                sa.delete(JobRow).where(
                    JobRow.kind == kind, JobRow.status.in_(_FINISHED), JobRow.finished_at < finished_before
                )
            )
            return _changed(deleted)

    # delivery

    def _publish_after_commit(self, session: Session, job_id: JobID) -> None:
        if self._pending_key not in session.info:
            session.info[self._pending_key] = []
            event.listen(session, "after_commit", self._on_commit)
        session.info[self._pending_key].append(job_id)

    def _on_commit(self, session: Session) -> None:
        """Publish the jobs enqueued in this session that the commit kept: those of a rolled-back transaction or
        savepoint are not in the table, so they are never published."""
        pending: list[JobID] = session.info[self._pending_key]
        session.info[self._pending_key] = []
        if not pending:
            return
        try:  # a separate session: the committed one cannot run SQL here
            with self._db.read_session() as reading:
                rows = reading.scalars(sa.select(JobRow).where(JobRow.id.in_(pending), JobRow.status == _QUEUED))
                jobs = [_record(row) for row in rows]
        except Exception:  # the caller's change is committed: never raise into it; recovery publishes later
            logger.exception("could not read jobs %s to publish them (recovery will)", pending)
            return
        self._publish(jobs)

    def _publish(self, jobs: Sequence[Job]) -> None:
        """Hand jobs to the broker; on failure, log and mark them unpublished so the next recovery retries."""
        if self._delivery is None or not jobs:
            return
        try:
            self._delivery.deliver(jobs)
        except Exception as e:  # noqa: BLE001 - any broker failure is recovered from the database, not raised
            ids = [job.id for job in jobs]
            logger.warning("could not publish jobs %s (the next recovery will): %s", ids, e)
            try:
                with self._db.session() as session:
                    session.execute(sa.update(JobRow).where(JobRow.id.in_(ids)).values(published_at=None))
            except Exception:
                logger.exception("could not mark jobs %s unpublished", ids)
