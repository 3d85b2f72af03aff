"""Background work, composed: which job kinds and periodic tasks this deployment runs, and the workers that run
them (``bastion worker``; with Celery also ``celery -A bastion.workers worker``).

This is the one place where the slices' handlers meet the jobs slice (which sits below them and imports none):

- ``eval_run``: an evaluation run (``bastion.evals``), queued by ``bastion eval run`` and the API;
- ``review.tick`` every ``BASTION_REVIEW_TICK_SECONDS``: close reviews whose window ended, queue reminders;
- ``advisories.refresh`` every ``BASTION_ADVISORY_REFRESH_SECONDS``: re-import ``BASTION_OSV_SOURCES``;
- ``clearinghouse.validate`` and ``clearinghouse.ai_patch``: sandbox validations and the AI patcher;
- ``clearinghouse.tick`` every ``BASTION_CLEARINGHOUSE_TICK_SECONDS``: SLA and embargo deadlines, publication;
- ``defense.alerts`` every ``BASTION_ALERT_DELIVERY_SECONDS``: deliver due alerts (webhooks, e-mail), with retries.

Later periodic work registers in ``job_registry`` the same way, with ``registry.every(name, interval, handler)``
(the defensive tools' re-matching of inventories against new advisories is meant to go there). A handler takes
the ``Job`` and a ``Progress`` callback and returns a JSON-able result; it must be safe to run again.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from bastion.container import Container
from bastion.jobs.backend import celery_app_for
from bastion.jobs.inprocess import InProcessRunner
from bastion.jobs.interface import Job, JobHandler, Progress
from bastion.jobs.registry import JobRegistry
from bastion.jobs.schedule import PeriodicSchedule

if TYPE_CHECKING:
    from celery import Celery

REVIEW_TICK = "review.tick"
CLEARINGHOUSE_TICK = "clearinghouse.tick"
ADVISORY_REFRESH = "advisories.refresh"
ALERT_DELIVERY = "defense.alerts"
MAX_LISTED_PROBLEMS = 20


def job_registry(container: Container) -> JobRegistry:
    """Every job kind and periodic task of this deployment, with its handler (over the container's services)."""
    from bastion.evals.service import JOB_KIND

    settings = container.settings
    registry = JobRegistry()
    registry.handle(JOB_KIND, container.evals.handle)
    from bastion.clearinghouse._base import VALIDATE_JOB
    from bastion.clearinghouse.fixes import AI_PATCH_JOB

    registry.handle(VALIDATE_JOB, container.clearinghouse.validations.handle)
    registry.handle(AI_PATCH_JOB, container.clearinghouse.fixes.handle_ai_patch)
    if settings.clearinghouse_tick_seconds:
        every = timedelta(seconds=settings.clearinghouse_tick_seconds)
        registry.every(CLEARINGHOUSE_TICK, every, _clearinghouse_tick(container))
    if settings.review_tick_seconds:
        registry.every(REVIEW_TICK, timedelta(seconds=settings.review_tick_seconds), _review_tick(container))
    if settings.advisory_refresh_seconds and settings.osv_sources:
        every = timedelta(seconds=settings.advisory_refresh_seconds)
        registry.every(ADVISORY_REFRESH, every, _advisory_refresh(container, list(settings.osv_sources)))
    if settings.alert_delivery_seconds:
        every = timedelta(seconds=settings.alert_delivery_seconds)
        registry.every(ALERT_DELIVERY, every, _alert_delivery(container))
    # Later periodic work registers here in the same way: the defensive tools' re-matching of inventories
    # will be registry.every("defense.rematch", <its interval setting>, <its handler>).
    return registry


def _clearinghouse_tick(container: Container) -> JobHandler:
    def handle(job: Job, progress: Progress) -> dict[str, Any]:
        return container.clearinghouse.operations.tick().model_dump()

    return handle


def _alert_delivery(container: Container) -> JobHandler:
    def handle(job: Job, progress: Progress) -> dict[str, Any]:
        return container.alert_outbox.deliver_due().as_dict()

    return handle


def _review_tick(container: Container) -> JobHandler:
    def handle(job: Job, progress: Progress) -> dict[str, Any]:
        result = container.review.reviews.tick()
        return {"closed": list(result.closed), "reminders": result.reminders}

    return handle


def _advisory_refresh(container: Container, sources: list[str]) -> JobHandler:
    def handle(job: Job, progress: Progress) -> dict[str, Any]:
        seen = 0

        def advance(records: int) -> None:
            nonlocal seen
            seen += records
            progress(0.0, f"{seen} records read")

        importer = container.advisory_importer
        report = importer.import_sources(sources, progress=advance)
        summary = report.as_dict()
        for listed in ("failures", "warnings"):  # the counts are kept; the job record stays small
            summary[listed] = summary[listed][:MAX_LISTED_PROBLEMS]
        return {"sources": sources, **summary}

    return handle


def in_process_runner(container: Container, *, worker: str | None = None) -> InProcessRunner:
    """The embedded worker: every job kind, and the periodic schedule by the runtime's clock."""
    queue, clock = container.jobs, container.runtime.clock
    registry = job_registry(container)
    runner = InProcessRunner(queue, worker=worker, schedule=PeriodicSchedule(queue, registry.periodic, clock))
    for kind, handler in registry.handlers.items():
        runner.register(kind, handler)
    return runner


def celery_worker_app(container: Container) -> Celery:
    """The Celery app a worker (and beat) runs: Bastion's tasks, the beat schedule, recovery on start."""
    from bastion.jobs.celery_engine import install_worker

    app = celery_app_for(container.settings)
    install_worker(app, container.jobs, job_registry(container), container.runtime.clock)
    return app


def run_celery_worker(container: Container, *, beat: bool, concurrency: int | None, loglevel: str) -> None:
    """Start a Celery worker (and beat, with ``beat``) in this process, after checking the broker answers."""
    from bastion.jobs.celery_engine import check_broker

    app = celery_worker_app(container)
    check_broker(app)
    argv = ["worker", f"--loglevel={loglevel}"]
    if beat:
        argv += ["--beat", f"--schedule={container.settings.data_dir / 'celerybeat-schedule'}"]
    if concurrency is not None:
        argv.append(f"--concurrency={concurrency}")
    app.worker_main(argv)


@cache
def _app_from_environment() -> Celery:
    container = Container.from_settings()
    container.runtime.migrate()
    return celery_worker_app(container)


def __getattr__(name: str) -> Any:
    """``celery -A bastion.workers`` finds ``app``: built on first use from the environment's settings."""
    if name == "app":
        return _app_from_environment()
    raise AttributeError(name)
