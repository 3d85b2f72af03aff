"""Celery delivers jobs to workers on any number of machines (``BASTION_JOBS_BACKEND=celery``).

The ``jobs`` table stays the source of truth for job state; a Celery message carries only a job id, on the
deployment's queue (``BASTION_JOBS_QUEUE``), through RabbitMQ or Redis (``BASTION_BROKER_URL``).

- **Publish.** ``bastion.jobs.run(job_id)`` is sent once the enqueueing transaction commits
  (``DatabaseJobQueue``); a job the broker never got is published again by recovery.
- **Run.** A worker takes the job by compare-and-set and runs its handler (``bastion.jobs.execute``). Messages
  are acknowledged late, after the job, and one at a time (prefetch 1): a worker killed mid-job (kill -9, an OOM
  kill, a lost machine) never acknowledges, so the broker delivers the job again; a pool process lost under a
  live worker is rejected back to the queue (``task_reject_on_worker_lost``).
- **Duplicates.** A delivery of a job that is running with a fresh heartbeat is watched rather than run: it is
  sent again with a countdown until the heartbeat goes stale (the worker died: this delivery takes the job
  over, as the next attempt, and the handler resumes) or the job finishes (the delivery is dropped). Finished
  and unknown jobs are dropped. So any number of deliveries run a job once at a time, and the fencing of claims
  (``bastion.jobs.interface``) rejects whatever a stalled worker reports after losing its job.
- **Beat.** Each periodic task of the registry is a beat entry that enqueues the current slot's job
  (``bastion.jobs.schedule``); ``bastion.jobs.recover`` runs every minute and when a worker starts: it requeues
  dead workers' jobs and publishes queued jobs the broker may have lost.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from celery import Celery, Task
from celery.signals import worker_process_init, worker_ready
from kombu.exceptions import KombuError

from bastion.core.clock import Clock
from bastion.jobs.database import DatabaseJobQueue
from bastion.jobs.execute import HEARTBEAT_EVERY, STALE_AFTER, execute
from bastion.jobs.interface import Job, JobDeliveryUnavailable, JobID, JobNotFound, JobStatus
from bastion.jobs.registry import JobRegistry
from bastion.jobs.schedule import PeriodicSchedule

logger = logging.getLogger(__name__)

TASK_RUN = "bastion.jobs.run"
TASK_PERIODIC = "bastion.jobs.periodic"
TASK_RECOVER = "bastion.jobs.recover"
RECOVER_EVERY = timedelta(minutes=1)
_PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}


def redacted(url: str) -> str:
    """The URL for messages, without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def unreachable(broker_url: str, doing: str, error: BaseException) -> JobDeliveryUnavailable:
    where = redacted(broker_url)
    return JobDeliveryUnavailable(
        f"cannot reach the job broker at {where} to {doing}: {error}",
        hint="check that RabbitMQ (or Redis) is running there and that BASTION_BROKER_URL points at it",
        details={"broker": where},
    )


def celery_app(broker_url: str, queue: str, *, transport_options: dict[str, Any] | None = None) -> Celery:
    """A Celery app for Bastion's jobs: enough to publish; ``install_worker`` adds what a worker runs."""
    app = Celery("bastion", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        enable_utc=True,
        timezone="UTC",
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        broker_transport_options=transport_options or {},
    )
    return app


def check_broker(app: Celery) -> None:
    """Raise ``JobDeliveryUnavailable`` unless the broker answers (workers check before they start)."""
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=5)
    except (KombuError, OSError) as e:
        raise unreachable(str(app.conf.broker_url), "start a worker", e) from e


class CeleryDelivery:
    """``Delivery`` through Celery: one ``bastion.jobs.run`` message per job."""

    def __init__(self, app: Celery) -> None:
        self._app = app

    def deliver(self, jobs: Sequence[Job]) -> None:
        try:
            with self._app.producer_or_acquire() as producer:
                for job in jobs:
                    self._app.send_task(
                        TASK_RUN, args=[job.id], producer=producer, retry=True, retry_policy=_PUBLISH_RETRY
                    )
        except (KombuError, OSError) as e:
            raise unreachable(str(self._app.conf.broker_url), "publish jobs", e) from e


def install_worker(
    app: Celery,
    queue: DatabaseJobQueue,
    registry: JobRegistry,
    clock: Clock,
    *,
    stale_after: timedelta = STALE_AFTER,
    heartbeat_every: timedelta = HEARTBEAT_EVERY,
    recover_every: timedelta = RECOVER_EVERY,
) -> None:
    """Register on ``app`` the tasks a worker runs, the beat schedule, and recovery when a worker starts."""
    schedule = PeriodicSchedule(queue, registry.periodic, clock)

    def run(task: Task[Any, Any], job_id: str) -> None:
        worker = f"{task.request.hostname}:{os.getpid()}"
        job = queue.take(JobID(job_id), worker, stale_after=stale_after)
        if job is None:
            _watch_or_drop(task, JobID(job_id))
            return
        handler = registry.handlers.get(job.kind)
        if handler is None:
            queue.fail(job, f"no handler for job kind {job.kind!r} on worker {worker}", permanent=True)
            return
        execute(queue, job, handler, heartbeat_every=heartbeat_every)

    def _watch_or_drop(task: Task[Any, Any], job_id: JobID) -> None:
        try:
            current = queue.get(job_id)
        except JobNotFound:
            logger.warning("dropped a delivery of unknown job %s", job_id)
            return
        if current.status is not JobStatus.RUNNING or current.heartbeat_at is None:
            return  # finished (or taken by another delivery between): nothing to do
        wait = (current.heartbeat_at + stale_after - clock.now()).total_seconds()
        raise task.retry(countdown=max(wait, 0.0) + 0.1, max_retries=None)

    def periodic(name: str) -> None:
        schedule.enqueue(name)

    def recover() -> None:
        queue.recover_stale(older_than=stale_after)

    app.task(name=TASK_RUN, bind=True)(run)
    app.task(name=TASK_PERIODIC)(periodic)
    app.task(name=TASK_RECOVER)(recover)
    beat: dict[str, dict[str, Any]] = {
        f"periodic {p.name}": {"task": TASK_PERIODIC, "schedule": p.every, "args": (p.name,)} for p in registry.periodic
    }
    beat["recover jobs"] = {"task": TASK_RECOVER, "schedule": recover_every}
    app.conf.beat_schedule = beat

    def on_ready(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is not app:
            return
        try:
            recover()
        except Exception:  # a worker still starts; the periodic recovery tries again
            logger.exception("recovering jobs on worker start failed")

    def on_process_init(**_: Any) -> None:
        queue.database.engine.dispose(close=False)  # a forked pool process opens its own connections

    worker_ready.connect(on_ready, weak=False)
    worker_process_init.connect(on_process_init, weak=False)
