"""Pick how jobs reach workers from the settings (``BASTION_JOBS_BACKEND``); job state is in the database
either way."""

from __future__ import annotations

from typing import TYPE_CHECKING, assert_never

from bastion.core.clock import Clock
from bastion.core.config import Settings
from bastion.core.errors import InvalidInput, OperationalError
from bastion.db import Database
from bastion.jobs.database import DatabaseJobQueue
from bastion.jobs.interface import JobError

if TYPE_CHECKING:
    from celery import Celery


class JobsBackendMisconfigured(JobError, InvalidInput):  # noqa: N818 - names a kind, like the core errors
    default_code = "jobs_backend_misconfigured"


class JobsBackendNotInstalled(JobError, OperationalError):  # noqa: N818
    default_code = "jobs_backend_not_installed"


def job_queue(settings: Settings, database: Database, clock: Clock) -> DatabaseJobQueue:
    """The queue for this deployment: the jobs table, with Celery delivery when the backend is celery."""
    backend = settings.jobs_backend
    if backend == "inprocess":
        return DatabaseJobQueue(database, clock)
    if backend == "celery":
        app = celery_app_for(settings)
        from bastion.jobs.celery_engine import CeleryDelivery

        return DatabaseJobQueue(database, clock, delivery=CeleryDelivery(app))
    assert_never(backend)


def celery_app_for(settings: Settings) -> Celery:
    """The Celery app (publishing only) for these settings; a clear error when it cannot be built."""
    if not settings.broker_url:
        raise JobsBackendMisconfigured(
            "the celery jobs backend needs a broker URL",
            hint="set BASTION_BROKER_URL, e.g. amqp://guest:guest@127.0.0.1:5672// (RabbitMQ) or "
            "redis://127.0.0.1:6379/0 (or unset BASTION_JOBS_BACKEND to run jobs in-process)",
        )
    try:
        from bastion.jobs.celery_engine import celery_app
    except ImportError as e:
        raise JobsBackendNotInstalled(
            f"the celery jobs backend is not installed: {e}", hint="pip install 'bastion[scale]'"
        ) from e
    return celery_app(settings.broker_url, settings.jobs_queue)
