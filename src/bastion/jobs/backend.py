"""Pick the job queue adapter from the settings (``BASTION_JOBS_BACKEND``)."""

from __future__ import annotations

from typing import assert_never

from bastion.core.clock import Clock
from bastion.core.config import Settings
from bastion.core.errors import InvalidInput, OperationalError
from bastion.db import Database
from bastion.jobs.database import DatabaseJobQueue
from bastion.jobs.interface import JobError


class JobsBackendMisconfigured(JobError, InvalidInput):  # noqa: N818 - names a kind, like the core errors
    default_code = "jobs_backend_misconfigured"


class JobsBackendNotInstalled(JobError, OperationalError):  # noqa: N818
    default_code = "jobs_backend_not_installed"


def job_queue(settings: Settings, database: Database, clock: Clock) -> DatabaseJobQueue:
    """The queue for this deployment; every adapter keeps job state in ``database``."""
    backend = settings.jobs_backend
    if backend == "inprocess":
        return DatabaseJobQueue(database, clock)
    if backend == "redis":
        if not settings.redis_url:
            raise JobsBackendMisconfigured(
                "the redis jobs backend needs a Redis URL",
                hint="set BASTION_REDIS_URL, e.g. redis://127.0.0.1:6379/0 (or BASTION_JOBS_BACKEND=inprocess)",
            )
        try:
            from bastion.jobs.redis_queue import RedisJobQueue
        except ImportError as e:
            raise JobsBackendNotInstalled(
                f"the redis jobs backend is not installed: {e}", hint="pip install 'bastion[scale]'"
            ) from e
        return RedisJobQueue(database, clock, settings.redis_url)
    assert_never(backend)
