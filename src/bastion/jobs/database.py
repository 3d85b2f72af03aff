"""``DatabaseJobQueue``: the job queue in the ``jobs`` table, on SQLite and PostgreSQL alike.

Claiming is a compare-and-set (``UPDATE ... WHERE status = 'queued'``) so two workers never take the same job,
without relying on dialect-specific locking.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from bastion.core.clock import Clock
from bastion.db import Database
from bastion.jobs.interface import Job, JobID, JobNotFound, JobQueue, JobStatus
from bastion.jobs.models import JobRow


def _record(row: JobRow) -> Job:
    return Job(
        id=JobID(row.id),
        kind=row.kind,
        key=row.key,
        payload=dict(row.payload),
        status=JobStatus(row.status),
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


class DatabaseJobQueue(JobQueue):
    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    def enqueue_in(
        self, session: Session, kind: str, payload: dict[str, Any], *, key: str, max_attempts: int = 3
    ) -> Job:
        """Enqueue inside the caller's transaction (the job exists iff the caller's change commits)."""
        existing = session.scalar(sa.select(JobRow).where(JobRow.key == key))
        if existing is not None:
            return _record(existing)
        row = JobRow(
            id=f"job_{secrets.token_hex(10)}",
            kind=kind,
            key=key,
            payload=payload,
            status=JobStatus.QUEUED.value,
            attempts=0,
            max_attempts=max_attempts,
            progress=0.0,
            message="queued",
            created_at=self._clock.now(),
        )
        session.add(row)
        session.flush()
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
                .where(JobRow.status == JobStatus.QUEUED.value, JobRow.kind.in_(sorted(kinds)))
                .order_by(JobRow.created_at, JobRow.id)
                .limit(10)
            ).all()
            for job_id in candidates:
                if (job := self._take(session, JobID(job_id), worker)) is not None:
                    return job
        return None

    def claim_id(self, job_id: JobID, worker: str) -> Job | None:
        """Take this job if it is still queued; None if it is not (already taken, finished or unknown)."""
        with self._db.session() as session:
            return self._take(session, job_id, worker)

    def _take(self, session: Session, job_id: JobID, worker: str) -> Job | None:
        taken = session.execute(
            sa.update(JobRow)
            .where(JobRow.id == job_id, JobRow.status == JobStatus.QUEUED.value)
            .values(
                status=JobStatus.RUNNING.value,
                attempts=JobRow.attempts + 1,
                worker=worker,
                heartbeat_at=self._clock.now(),
                message="started",
            )
        )
        if cast("CursorResult[Any]", taken).rowcount != 1:
            return None
        row = session.get(JobRow, job_id, populate_existing=True)
        assert row is not None
        return _record(row)

    def _update(self, job_id: JobID, **values: Any) -> Job:
        with self._db.session() as session:
            row = session.get(JobRow, job_id, with_for_update=not self._db.is_sqlite)
            if row is None:
                raise JobNotFound(f"job {job_id} not found")
            for name, value in values.items():
                setattr(row, name, value)
            session.flush()
            return _record(row)

    def heartbeat(self, job_id: JobID, *, progress: float, message: str) -> None:
        self._update(job_id, progress=min(max(progress, 0.0), 1.0), message=message, heartbeat_at=self._clock.now())

    def succeed(self, job_id: JobID, result: dict[str, Any]) -> Job:
        now = self._clock.now()
        return self._update(
            job_id,
            status=JobStatus.SUCCEEDED.value,
            progress=1.0,
            message="done",
            result=result,
            error=None,
            heartbeat_at=now,
            finished_at=now,
        )

    def fail(self, job_id: JobID, error: str) -> Job:
        job = self.get(job_id)
        if job.attempts < job.max_attempts:
            return self._update(job_id, status=JobStatus.QUEUED.value, error=error, message="will retry", worker=None)
        now = self._clock.now()
        return self._update(job_id, status=JobStatus.FAILED.value, error=error, message="failed", finished_at=now)

    def recover_stale(self, *, older_than: timedelta) -> list[JobID]:
        cutoff = self._clock.now() - older_than
        with self._db.session() as session:
            stale = session.scalars(
                sa.select(JobRow).where(JobRow.status == JobStatus.RUNNING.value, JobRow.heartbeat_at < cutoff)
            ).all()
            for row in stale:
                row.status = JobStatus.QUEUED.value
                row.message = f"requeued: worker {row.worker} stopped heart-beating"
                row.worker = None
            return [JobID(row.id) for row in stale]
