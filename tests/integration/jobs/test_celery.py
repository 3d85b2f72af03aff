"""The scale path for real: Celery worker processes on RabbitMQ (and Redis), job state in the database
(SQLite and PostgreSQL). Workers are killed with SIGKILL mid-job, messages are duplicated, lost, or never
sent, and every job still runs to the end, once at a time, with its attempts recorded."""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest

from bastion.core.clock import SystemClock
from bastion.db import Database
from bastion.jobs.celery_engine import CeleryDelivery, celery_app
from bastion.jobs.database import DatabaseJobQueue
from bastion.jobs.interface import JobStatus
from bastion.jobs.models import JobRow
from tests.integration.jobs.conftest import Cluster, eventually


@pytest.fixture(params=["rabbitmq", "redis"])
def broker(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


def finished(cluster: Cluster, job_id: str) -> Callable[[], bool]:
    return lambda: cluster.producer.get(job_id).status.finished  # type: ignore[arg-type]


def test_a_worker_killed_mid_job_has_its_job_delivered_again_and_it_resumes(
    cluster_on: Callable[[str], Cluster], broker: str
) -> None:
    cluster = cluster_on(broker)
    cluster.start("doomed")
    job = cluster.producer.enqueue("resumable", {}, key="long")
    eventually(lambda: cluster.producer.get(job.id).message == "half way", "the first attempt reached step 1")
    assert cluster.producer.get(job.id).worker.startswith("doomed@")  # type: ignore[union-attr]
    cluster.start("survivor")
    cluster.kill("doomed")  # kill -9 mid-job: the message was never acknowledged

    eventually(finished(cluster, job.id), "the job finished on the survivor")
    done = cluster.producer.get(job.id)
    assert (done.status, done.attempts, done.result) == (JobStatus.SUCCEEDED, 2, {"resumed": True, "attempt": 2})
    assert done.worker is not None and done.worker.startswith("survivor@")
    assert cluster.lines("steps.log") == [f"{job.id} step1 attempt1", f"{job.id} step2 attempt2"]  # resumed


def test_a_pool_process_lost_under_a_live_worker_has_its_job_rejected_back(
    cluster_on: Callable[[str], Cluster], rabbitmq_url: str
) -> None:
    """``task_reject_on_worker_lost``: the OOM killer takes the process running the job, not the worker."""
    cluster = cluster_on(rabbitmq_url)
    cluster.start("worker", pool="prefork")
    job = cluster.producer.enqueue("resumable", {}, key="long")
    eventually(lambda: cluster.producer.get(job.id).message == "half way", "the first attempt reached step 1")
    running = cluster.producer.get(job.id)
    assert running.worker is not None
    pool_process = int(running.worker.rsplit(":", 1)[1])
    assert pool_process != cluster.workers["worker"].pid
    os.kill(pool_process, signal.SIGKILL)
    eventually(finished(cluster, job.id), "the job finished in a new pool process")
    done = cluster.producer.get(job.id)
    assert (done.status, done.attempts, done.result) == (JobStatus.SUCCEEDED, 2, {"resumed": True, "attempt": 2})
    assert cluster.workers["worker"].poll() is None


def test_two_workers_run_each_job_exactly_once(cluster_on: Callable[[str], Cluster], broker: str) -> None:
    cluster = cluster_on(broker)
    cluster.start("w1")
    cluster.start("w2")
    jobs = [cluster.producer.enqueue("work", {"n": n, "together": True}, key=f"job-{n}") for n in range(20)]
    for job in jobs:
        eventually(finished(cluster, job.id), f"{job.id} finished")
    runs = [line.split() for line in cluster.lines("runs.log")]
    assert Counter(job_id for job_id, _, _ in runs) == Counter({job.id: 1 for job in jobs})
    assert {worker for _, worker, _ in runs} == {"w1", "w2"}
    for job in jobs:
        done = cluster.producer.get(job.id)
        assert (done.status, done.attempts, done.progress) == (JobStatus.SUCCEEDED, 1, 1.0)
        assert done.result == {"n": job.payload["n"] * 2, "by": done.worker.split("@")[0]}  # type: ignore[union-attr]


def test_duplicate_deliveries_run_a_job_once(cluster_on: Callable[[str], Cluster], rabbitmq_url: str) -> None:
    cluster = cluster_on(rabbitmq_url)
    job = cluster.producer.enqueue("work", {"n": 1}, key="once")
    CeleryDelivery(cluster.app).deliver([job, job, job])  # what racing recoveries could do
    # four deliveries wait before any worker runs (the broker counts a publish a moment after it is sent)
    eventually(lambda: cluster.waiting() == 4, "four deliveries of the job are waiting")
    cluster.start("w")
    eventually(finished(cluster, job.id), "the job finished")
    eventually(lambda: cluster.waiting() == 0, "every delivery was consumed")
    assert cluster.lines("runs.log") == [f"{job.id} w 1"]
    assert cluster.producer.get(job.id).attempts == 1


def test_a_rolled_back_enqueue_publishes_nothing(
    cluster_on: Callable[[str], Cluster], database: Database, rabbitmq_url: str
) -> None:
    cluster = cluster_on(rabbitmq_url)
    kept = cluster.producer.enqueue("work", {"n": 1}, key="kept")  # declares the queue, one message in it
    with pytest.raises(RuntimeError, match="caller's change failed"), database.session() as session:
        cluster.producer.enqueue_in(session, "work", {"n": 2}, key="never")
        raise RuntimeError("caller's change failed")
    assert cluster.waiting() == 1
    with database.read_session() as session:
        assert [row.id for row in session.query(JobRow)] == [kept.id]


def test_a_job_enqueued_while_the_broker_is_down_runs_when_a_worker_starts(
    cluster_on: Callable[[str], Cluster], database: Database, rabbitmq_url: str
) -> None:
    cluster = cluster_on(rabbitmq_url)
    offline = DatabaseJobQueue(
        database, SystemClock(), delivery=CeleryDelivery(celery_app("amqp://guest:guest@127.0.0.1:1//", "nowhere"))
    )
    job = offline.enqueue("work", {"n": 3}, key="during-outage")  # the caller's change still commits
    assert offline.get(job.id).status is JobStatus.QUEUED
    cluster.start("w")  # recovery on worker start publishes what the broker never got
    eventually(finished(cluster, job.id), "the job finished")
    assert cluster.producer.get(job.id).result == {"n": 6, "by": "w"}


def test_jobs_the_broker_lost_are_published_again_from_the_database(
    cluster_on: Callable[[str], Cluster], database: Database, rabbitmq_url: str
) -> None:
    cluster = cluster_on(rabbitmq_url)
    jobs = [cluster.producer.enqueue("work", {"n": n}, key=f"job-{n}") for n in range(3)]
    with cluster.app.connection_for_write() as connection:  # the broker restarted without its messages
        assert connection.default_channel.queue_purge(cluster.queue_name) == 3
    recovery = DatabaseJobQueue(
        database, SystemClock(), delivery=CeleryDelivery(cluster.app), republish_after=timedelta(0)
    )
    assert sorted(recovery.republish()) == sorted(j.id for j in jobs)
    cluster.start("w")
    for job in jobs:
        eventually(finished(cluster, job.id), f"{job.id} finished")
        assert (cluster.producer.get(job.id).status, cluster.producer.get(job.id).attempts) == (JobStatus.SUCCEEDED, 1)
