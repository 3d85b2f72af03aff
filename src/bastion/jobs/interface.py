"""The background-work port: enqueue a job, claim it, report progress, finish it.

Jobs are idempotent (enqueueing the same ``key`` twice returns the first job) and survive a restart: a job
whose worker stopped heart-beating (process killed) is put back in the queue and run again; handlers must
therefore be safe to re-run (the eval handler resumes its Inspect eval set).

A claim is fenced by the job's attempt number: the ``Job`` a claim returns is the worker's ticket, and
``heartbeat``, ``succeed`` and ``fail`` are accepted only while the job is still ``running`` that same attempt.
A worker that stalled past the heartbeat window, whose job was taken over, gets ``JobClaimLost`` instead of
overwriting the new attempt's state.

The one adapter, ``DatabaseJobQueue``, keeps every job in the ``jobs`` table (the source of truth the API and
CLI read). Who runs the jobs is the deployment's choice (``bastion.jobs.backend``): the in-process runner
polls the table; with Celery, job ids are delivered through a broker (``Delivery``) once the enqueueing
transaction commits.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NewType, Protocol

from bastion.core.errors import BastionError, Conflict, InvalidInput, NotFound, OperationalError, TooManyRequests

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


class JobClaimLost(JobError, Conflict):  # noqa: N818
    """A worker's claim no longer holds: the job was taken over (its heartbeat went stale) or finished."""

    default_code = "job_claim_lost"


class JobDeliveryUnavailable(JobError, OperationalError):  # noqa: N818
    """The broker that carries jobs to workers cannot be reached."""

    default_code = "job_delivery_unavailable"


def is_permanent(error: BaseException) -> bool:
    """Whether a handler's failure ends its job at once instead of being retried: a deliberate refusal (bad
    input, not found, forbidden, a conflict such as a closed review) gives the same answer every time.
    Operational errors, throttling and unexpected exceptions are retried while attempts remain."""
    return isinstance(error, BastionError) and not isinstance(error, (OperationalError, TooManyRequests))


class Progress(Protocol):
    """Handed to a handler: report how far it got (also serves as the heartbeat). Raises ``JobClaimLost``
    when the job has been taken over, which stops the handler."""

    def __call__(self, fraction: float, message: str = "") -> None: ...


class JobHandler(Protocol):
    def __call__(self, job: Job, progress: Progress) -> dict[str, Any]: ...


class Delivery(Protocol):
    """Carries queued jobs to workers (a message broker). Job state never lives here, only job ids."""

    def deliver(self, jobs: Sequence[Job]) -> None:
        """Hand these queued jobs to the workers. Raises ``JobDeliveryUnavailable``."""
        ...


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
    def heartbeat(self, job: Job, *, progress: float | None = None, message: str | None = None) -> None:
        """Record that the claim ``job`` is alive (and how far it got). Raises ``JobClaimLost``."""

    @abstractmethod
    def succeed(self, job: Job, result: dict[str, Any]) -> Job:
        """Finish the claim ``job`` with its result. Raises ``JobClaimLost`` (a late result is not recorded)."""

    @abstractmethod
    def fail(self, job: Job, error: str, *, permanent: bool = False) -> Job:
        """Record a failed attempt of the claim ``job``: back to ``queued`` while attempts remain (and the
        failure is not ``permanent``), else ``failed``. Raises ``JobClaimLost``."""

    @abstractmethod
    def recover_stale(self, *, older_than: timedelta) -> list[JobID]:
        """Requeue running jobs whose heartbeat is older than ``older_than`` (their worker died), and deliver
        again the queued jobs the broker may never have received. Returns the requeued ids."""

    def wait_for_work(self, kinds: frozenset[str], timeout: timedelta) -> None:
        """Block until a job of these kinds may be ready, at most ``timeout`` (long-running workers call this
        when idle). This default simply waits, so idle workers poll."""
        threading.Event().wait(timeout.total_seconds())
