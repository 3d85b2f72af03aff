"""``bastion worker --beat`` on the celery backend, as an operator runs it: a real worker process with Celery
beat on RabbitMQ, running the deployment's own periodic work (the review tick closes a review whose window
ended) with its state in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from bastion.core.clock import ManualClock
from bastion.jobs.models import JobRow
from bastion.runtime import Runtime
from bastion.workers import REVIEW_TICK
from tests.integration.jobs.conftest import ROOT, Cluster, eventually
from tests.integration.review.support import build_cast, ok, submission_body


def test_bastion_worker_with_beat_runs_the_review_tick_on_celery(
    runtime: Runtime,
    client: TestClient,
    clock: ManualClock,
    cluster_on: Callable[[str], Cluster],
    rabbitmq_url: str,
) -> None:
    clock.set(datetime.now(UTC) - timedelta(days=40))  # the review opened 40 days ago: its window has ended
    cast = build_cast(runtime)
    sub_id = ok(client.post("/api/submissions", json=submission_body(), headers=cast.headers("owner_lab")), 201)["id"]
    rev_id = ok(client.post("/api/reviews", json={"submission_id": sub_id}, headers=cast.headers("admin")), 201)["id"]

    cluster = cluster_on(rabbitmq_url)  # a queue of the test's own, removed afterwards
    env = {
        **cluster.env("bastion"),
        "BASTION_JOBS_BACKEND": "celery",
        "BASTION_BROKER_URL": rabbitmq_url,
        "BASTION_JOBS_QUEUE": cluster.queue_name,
        "BASTION_DATABASE_URL": runtime.database.url,
        "BASTION_DATA_DIR": str(runtime.settings.data_dir),
        "BASTION_SECRET_KEY": "test-secret-key",
        "BASTION_REVIEW_TICK_SECONDS": "1",
        "BASTION_ADVISORY_REFRESH_SECONDS": "0",
    }
    argv = [sys.executable, "-m", "bastion.cli.main", "worker", "--beat", "--concurrency", "1"]
    with (cluster.dir / "bastion.out").open("ab") as out:
        cluster.workers["bastion"] = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )

    def ticks() -> list[JobRow]:
        with runtime.database.read_session() as session:
            done = sa.select(JobRow).where(JobRow.kind == REVIEW_TICK, JobRow.status == "succeeded")
            return list(session.scalars(done.order_by(JobRow.created_at)))

    eventually(lambda: len(ticks()) >= 2 or cluster.workers["bastion"].poll() is not None, "two ticks ran")
    assert cluster.workers["bastion"].poll() is None, cluster.output("bastion")
    assert [job.result for job in ticks()][:2] == [{"closed": [rev_id], "reminders": 0}, {"closed": [], "reminders": 0}]
    assert len({job.key for job in ticks()}) == len(ticks())  # one run per slot
    review = ok(client.get(f"/api/reviews/{rev_id}", headers=cast.headers("admin")))
    assert review["status"] == "closed"
