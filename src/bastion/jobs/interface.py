"""The background-work port: enqueue a job, claim it, report progress, finish it.

Jobs are idempotent (enqueueing the same ``key`` twice returns the first job) and survive a restart: a job
whose worker stopped heart-beating (process killed) is put back in the queue by ``recover_stale`` and run
again; handlers must therefore be safe to re-run (the eval handler resumes its Inspect eval set).

Adapters: ``DatabaseJobQueue`` (a ``jobs`` table; embedded and PostgreSQL) and ``RedisJobQueue`` (the same
table, with job ids delivered to workers on other machines through Redis), both driven by ``InProcessRunner``.
The backend is chosen by configuration (``bastion.jobs.backend``).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NewType, Protocol

from bastion.core.errors import BastionError, InvalidInput, NotFound

JobID = NewType("JobID", str)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED)


@dataclass(frozen=True, slots=True)
class Job:
    id: JobID
    kind: str
    key: str
    payload: dict[str, Any]
    status: JobStatus
    attempts: int
    max_attempts: int
    progress: float  # 0.0 .. 1.0
    message: str
    result: dict[str, Any] | None
    error: str | None
    worker: str | None
    created_at: datetime
    heartbeat_at: datetime | None
    finished_at: datetime | None

    def __post_init__(self) -> None:
        if not 0.0 <= self.progress <= 1.0:
            raise ValueError(f"job progress must be within 0..1, got {self.progress}")


class JobError(BastionError):
    default_code = "job_error"


class JobNotFound(JobError, NotFound):  # noqa: N818 - names a kind, like the core errors
    default_code = "job_not_found"


class UnknownJobKind(JobError, InvalidInput):  # noqa: N818
    default_code = "unknown_job_kind"


class Progress(Protocol):
    """Handed to a handler: report how far it got (also serves as the heartbeat)."""

    def __call__(self, fraction: float, message: str = "") -> None: ...


class JobHandler(Protocol):
    def __call__(self, job: Job, progress: Progress) -> dict[str, Any]: ...


class JobQueue(ABC):
    """Where jobs wait and how their state is recorded. Times come from the caller's clock."""

    @abstractmethod
    def enqueue(self, kind: str, payload: dict[str, Any], *, key: str, max_attempts: int = 3) -> Job: ...

    @abstractmethod
    def get(self, job_id: JobID) -> Job: ...

    @abstractmethod
    def claim(self, worker: str, kinds: frozenset[str]) -> Job | None:
        """Atomically take the oldest queued job of these kinds (``running``, attempts + 1), or None."""

    @abstractmethod
    def heartbeat(self, job_id: JobID, *, progress: float, message: str) -> None: ...

    @abstractmethod
    def succeed(self, job_id: JobID, result: dict[str, Any]) -> Job: ...

    @abstractmethod
    def fail(self, job_id: JobID, error: str) -> Job:
        """Record a failed attempt: back to ``queued`` while attempts remain, else ``failed``."""

    @abstractmethod
    def recover_stale(self, *, older_than: timedelta) -> list[JobID]:
        """Requeue running jobs whose heartbeat is older than ``older_than`` (their worker died)."""

    def wait_for_work(self, kinds: frozenset[str], timeout: timedelta) -> None:
        """Block until a job of these kinds may be ready, at most ``timeout`` (long-running workers call this
        when idle). This default simply waits, so idle workers poll; adapters that can be woken do better."""
        threading.Event().wait(timeout.total_seconds())
