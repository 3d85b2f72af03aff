"""Real brokers and real Celery worker processes for the scale-path tests.

RabbitMQ (``amqp://guest:guest@127.0.0.1:5672//``) and Redis (``redis://127.0.0.1:6379/0``), overridable with
``BASTION_TEST_AMQP_URL`` and ``BASTION_TEST_REDIS_URL``. With a broker unreachable its tests report
themselves skipped by name; in CI (``BASTION_REQUIRE_RABBITMQ=1``, ``BASTION_REQUIRE_REDIS=1``) that is a
failure instead. Every test gets a queue of its own, deleted afterwards, so parallel test workers (and other
people's test runs on the same broker) never see each other's jobs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kombu import Connection

from bastion.core.clock import SystemClock
from bastion.db import Database
from bastion.jobs.celery_engine import CeleryDelivery, celery_app
from bastion.jobs.database import DatabaseJobQueue

ROOT = Path(__file__).resolve().parents[3]
BROKERS = {
    "rabbitmq": (os.environ.get("BASTION_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"), "RABBITMQ"),
    "redis": (os.environ.get("BASTION_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"), "REDIS"),
}


def reachable_broker(name: str) -> str:
    url, env = BROKERS[name]
    try:
        with Connection(url, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as e:  # noqa: BLE001 - any failure to connect means the broker is not there
        message = f"{name} not reachable at {url}: {e}"
        if os.environ.get(f"BASTION_REQUIRE_{env}") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    return reachable_broker("rabbitmq")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return reachable_broker("redis")


def eventually(condition: Callable[[], bool], what: str, *, within: float = 90) -> None:
    """Poll for something a worker process does (a safety deadline, not a timing assertion)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.05)


class Cluster:
    """Celery workers (``tests/integration/jobs/celery_app.py``) on one broker and database, a queue of their
    own, and a producer that enqueues the way Bastion does."""

    def __init__(self, broker_url: str, database: Database, directory: Path) -> None:
        self.broker_url = broker_url
        self.database = database
        self.dir = directory
        self.queue_name = f"bastion-test-{uuid.uuid4().hex[:12]}"
        self.app = celery_app(broker_url, self.queue_name)
        self.producer = DatabaseJobQueue(Database(database.url), SystemClock(), delivery=CeleryDelivery(self.app))
        self.workers: dict[str, subprocess.Popen[bytes]] = {}

    def env(self, name: str) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "JOBTEST_DIR": str(self.dir),
            "JOBTEST_BROKER_URL": self.broker_url,
            "JOBTEST_QUEUE": self.queue_name,
            "JOBTEST_DATABASE_URL": self.database.url,
            "JOBTEST_WORKER": name,
        }

    def start(self, name: str, *, pool: str = "prefork", wait: bool = True) -> subprocess.Popen[bytes]:
        """Start a worker process (in a process group of its own, so a kill takes its pool processes too)."""
        argv = [sys.executable, "-m", "celery", "-A", "tests.integration.jobs.celery_app", "worker"]
        argv += ["--pool", pool, "--concurrency", "1", "-n", f"{name}@%h", "--loglevel", "INFO"]
        argv += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
        with (self.dir / f"{name}.out").open("ab") as out:
            process = subprocess.Popen(
                argv, cwd=ROOT, env=self.env(name), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.workers[name] = process
        if wait:
            eventually(lambda: name in self.lines("ready.log") or process.poll() is not None, f"{name} ready")
            assert process.poll() is None, self.output(name)
        return process

    def kill(self, name: str) -> None:
        """SIGKILL the worker and its pool processes: no cleanup, no acknowledgement, no goodbye."""
        process = self.workers[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def lines(self, log: str) -> list[str]:
        path = self.dir / log
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []

    def output(self, name: str) -> str:
        return (self.dir / f"{name}.out").read_text(encoding="utf-8", errors="replace")[-4000:]

    def waiting(self) -> int:
        """Messages waiting in this cluster's queue on the broker."""
        with Connection(self.broker_url) as connection:
            return int(connection.default_channel.queue_declare(self.queue_name, passive=True).message_count)

    def close(self) -> None:
        """Kill the workers (a warm or cold shutdown waits for the event loop to wake, seconds), then remove
        the queue and everything the broker keeps for it."""
        for name, process in self.workers.items():
            if process.poll() is None:
                self.kill(name)
        with Connection(self.broker_url) as connection:
            channel = connection.default_channel
            channel.queue_delete(self.queue_name)
            if connection.transport_cls in ("amqp", "pyamqp"):
                channel.exchange_delete(self.queue_name)
            else:  # Redis: the exchange's bindings, and unacknowledged messages a killed worker left behind
                client = channel.client
                client.delete(*client.keys(f"_kombu.binding*.{self.queue_name}"), self.queue_name)
                for tag, raw in client.hgetall(channel.unacked_key).items():
                    if json.loads(raw)[2] == self.queue_name:
                        client.hdel(channel.unacked_key, tag)
                        client.zrem(channel.unacked_index_key, tag)
        self.producer.database.dispose()


@pytest.fixture
def cluster_on(database: Database, tmp_path: Path) -> Iterator[Callable[[str], Cluster]]:
    made: list[Cluster] = []

    def make(broker_url: str) -> Cluster:
        made.append(Cluster(broker_url, database, tmp_path))
        return made[-1]

    yield make
    for cluster in made:
        cluster.close()
