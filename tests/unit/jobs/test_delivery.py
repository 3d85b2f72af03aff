"""Publishing to a broker follows the database: after the enqueueing transaction commits, never for a change
that rolled back, and again by recovery for whatever the broker never got (SQLite and PostgreSQL).

The broker here is a recording ``Delivery`` (our own port) that checks, when called, what another connection
sees in the database; tests/integration/jobs prove the same against real RabbitMQ and Redis."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bastion.core.clock import ManualClock
from bastion.db import Database
from bastion.jobs.database import DatabaseJobQueue
from bastion.jobs.interface import Job, JobDeliveryUnavailable, JobStatus
from bastion.jobs.models import JobRow


class Broker:
    def __init__(self, database: Database) -> None:
        self.other_connection = Database(database.url)
        self.delivered: list[str] = []
        self.down = False

    def deliver(self, jobs: Sequence[Job]) -> None:
        if self.down:
            raise JobDeliveryUnavailable("cannot reach the job broker")
        with self.other_connection.read_session() as session:
            for job in jobs:  # a worker must find the job the moment it gets the message
                row = session.get(JobRow, job.id)
                assert row is not None and row.status == JobStatus.QUEUED.value, f"{job.id} not committed yet"
        self.delivered += [job.id for job in jobs]


@pytest.fixture
def broker(database: Database) -> Iterator[Broker]:
    broker = Broker(database)
    yield broker
    broker.other_connection.dispose()


def test_a_job_is_published_once_its_transaction_commits(
    database: Database, clock: ManualClock, broker: Broker
) -> None:
    queue = DatabaseJobQueue(database, clock, delivery=broker)
    with database.session() as session:
        job = queue.enqueue_in(session, "k", {}, key="a")
        assert broker.delivered == []  # not before the commit
    assert broker.delivered == [job.id]
    assert queue.enqueue("k", {}, key="a").id == job.id
    assert broker.delivered == [job.id]  # an idempotent re-enqueue publishes nothing more


def test_a_rolled_back_enqueue_publishes_nothing(database: Database, clock: ManualClock, broker: Broker) -> None:
    queue = DatabaseJobQueue(database, clock, delivery=broker)
    with pytest.raises(RuntimeError, match="caller's change failed"), database.session() as session:
        queue.enqueue_in(session, "k", {}, key="never")
        raise RuntimeError("caller's change failed")
    with database.session() as session:  # a savepoint rolled back inside a transaction that commits
        kept = queue.enqueue_in(session, "k", {}, key="kept")
        nested = session.begin_nested()
        queue.enqueue_in(session, "k", {}, key="undone")
        nested.rollback()
    assert broker.delivered == [kept.id]
    assert queue.republish() == []
    with database.read_session() as session:
        assert sorted(session.scalars(sa.select(JobRow.key))) == ["kept"]


def test_a_job_the_broker_never_got_is_published_by_recovery(
    database: Database, clock: ManualClock, broker: Broker
) -> None:
    queue = DatabaseJobQueue(database, clock, delivery=broker, republish_after=timedelta(minutes=10))
    broker.down = True
    job = queue.enqueue("k", {}, key="during-outage")  # the caller's change still commits, nothing is raised
    assert queue.get(job.id).status is JobStatus.QUEUED
    broker.down = False
    assert queue.recover_stale(older_than=timedelta(minutes=5)) == []
    assert broker.delivered == [job.id]  # at once: its hand-over is known to have failed


def test_queued_jobs_are_published_again_when_the_broker_may_have_lost_them(
    database: Database, clock: ManualClock, broker: Broker
) -> None:
    queue = DatabaseJobQueue(database, clock, delivery=broker, republish_after=timedelta(minutes=10))
    job = queue.enqueue("k", {}, key="a")
    clock.advance(timedelta(minutes=9))
    assert queue.republish() == []  # published recently: most likely still waiting in the broker
    clock.advance(timedelta(minutes=2))
    assert queue.republish() == [job.id]
    assert queue.republish() == []
    assert broker.delivered == [job.id, job.id]


def test_a_retry_and_a_dead_workers_job_are_published_again(
    database: Database, clock: ManualClock, broker: Broker
) -> None:
    queue = DatabaseJobQueue(database, clock, delivery=broker)
    job = queue.enqueue("k", {}, key="a")
    claim = queue.take(job.id, "w", stale_after=timedelta(minutes=5))
    assert claim is not None
    queue.fail(claim, "RuntimeError: flaky")
    assert broker.delivered == [job.id, job.id]
    claim = queue.take(job.id, "doomed", stale_after=timedelta(minutes=5))
    assert claim is not None
    clock.advance(timedelta(minutes=6))
    assert queue.recover_stale(older_than=timedelta(minutes=5)) == [job.id]
    assert broker.delivered == [job.id, job.id, job.id]
