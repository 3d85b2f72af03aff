"""Benchmark of background jobs: the embedded worker against Celery workers on RabbitMQ and Redis.

    .venv/bin/python bench/bench_jobs.py [--jobs 200] [--postgres]

For each engine, on a fresh SQLite file (and PostgreSQL when given), with a handler that does nothing:
- throughput: N jobs enqueued at once, then run by one worker running one job at a time (jobs per second);
- latency: 30 jobs enqueued one after another on an idle worker, each once the previous finished
  (enqueue to finished, p50 and p95). The embedded worker polls the table every 5 s when idle; Celery
  workers are woken by the broker.
The Celery workers are the integration tests' app (``tests/integration/jobs/celery_app.py``), prefork pool,
concurrency 1. Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from bastion.core.clock import SystemClock
from bastion.db import Database
from bastion.jobs.database import DatabaseJobQueue
from bastion.jobs.inprocess import InProcessRunner
from bastion.jobs.interface import Job
from bastion.jobs.models import JobRow
from tests.dbutil import scratch_postgres_database
from tests.integration.jobs.conftest import Cluster

BROKERS = {"RabbitMQ": "amqp://guest:guest@127.0.0.1:5672//", "Redis": "redis://127.0.0.1:6379/0"}
LATENCY_SAMPLES = 30


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 600
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("jobs did not finish in 10 minutes")
        time.sleep(0.005)


def measure(queue: DatabaseJobQueue, jobs: int, tag: str) -> tuple[float, list[float]]:
    started = time.monotonic()
    batch = [queue.enqueue("work", {"n": n}, key=f"{tag}-t{n}") for n in range(jobs)]
    for job in batch:  # they finish about in order: one look-up per poll
        wait_until(lambda job=job: queue.get(job.id).status.finished)  # type: ignore[misc]
    throughput = jobs / (time.monotonic() - started)
    latencies = []
    for n in range(LATENCY_SAMPLES):
        job = queue.enqueue("work", {"n": n}, key=f"{tag}-l{n}")
        wait_until(lambda job=job: queue.get(job.id).status.finished)  # type: ignore[misc]
        done = queue.get(job.id)
        assert done.finished_at is not None
        latencies.append((done.finished_at - done.created_at).total_seconds() * 1000)
    return throughput, latencies


def embedded(url: str, jobs: int) -> tuple[float, list[float]]:
    database = Database(url)
    queue = DatabaseJobQueue(database, SystemClock())
    runner = InProcessRunner(queue, worker="bench")
    runner.register("work", lambda job, progress: {"n": job.payload["n"]})
    stop = threading.Event()
    done: list[Job] = []
    thread = threading.Thread(target=runner.run_forever, args=(stop,), kwargs={"on_done": done.append}, daemon=True)
    thread.start()
    try:
        return measure(queue, jobs, "embedded")
    finally:
        stop.set()
        thread.join()
        database.dispose()


def celery(url: str, broker: str, jobs: int) -> tuple[float, list[float]]:
    database = Database(url)
    with tempfile.TemporaryDirectory() as directory:
        cluster = Cluster(broker, database, Path(directory))
        try:
            cluster.start("bench")
            return measure(cluster.producer, jobs, "celery")
        finally:
            cluster.close()
            database.dispose()


def row(engine: str, backend: str, result: tuple[float, list[float]]) -> str:
    throughput, latencies = result
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    return f"| {engine} | {backend} | {throughput:.0f} jobs/s | {p50:.0f} ms | {p95:.0f} ms |"


def run(url: str, backend: str, jobs: int) -> list[str]:
    rows = [row("embedded (`bastion worker --forever`)", backend, embedded(url, jobs))]
    for name, broker in BROKERS.items():
        database = Database(url)  # a fresh jobs table for each engine
        with database.session() as session:
            session.execute(sa.delete(JobRow))
        database.dispose()
        rows.append(row(f"Celery on {name}", backend, celery(url, broker, jobs)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL (127.0.0.1:5432)")
    args = parser.parse_args()
    os.environ.setdefault("BASTION_TEST_DIR", tempfile.mkdtemp())
    print(f"# {platform.node()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print("| engine | database | throughput | latency p50 | p95 |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/bench.db"
        Database(url).migrate()
        for line in run(url, "SQLite", args.jobs):
            print(line, flush=True)
    if args.postgres:
        with scratch_postgres_database("bench_jobs") as url:
            Database(url).migrate()
            for line in run(url, "PostgreSQL", args.jobs):
                print(line, flush=True)


if __name__ == "__main__":
    main()
