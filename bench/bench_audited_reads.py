"""Benchmark of audited reads under concurrency (issue 9): do reads that record an audit event queue?

    PYTHONPATH=src:. .venv/bin/python bench/bench_audited_reads.py [--concurrent 200] [--rounds 10]

On a fresh PostgreSQL database (created and dropped here, on ``BASTION_TEST_POSTGRES_URL``'s server) it seeds the demo
programme, then, in each round, starts ``--concurrent`` threads at once behind a barrier, each making one
read of the same review through the service (``ReviewService.get``: its own unit of work, the access policy,
and an audit event ``review.read`` in the same transaction). The same round runs again with the audit event
switched off (the service's ``record`` made a no-op: the very same reads, unaudited). Rounds alternate, so
both see the same machine. Each read is timed from the barrier to its return; a round's wall time is the
slowest read's. The threads share the process's one connection pool (SQLAlchemy's default, 5 + 10 overflow),
as the API's request threads do.

Prints a Markdown table for BENCHMARKS.md, and checks that every audited read left exactly one event.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bastion.container import Container
from bastion.core.audit_models import AuditEvent
from bastion.core.config import Settings
from bastion.core.principal import Principal
from bastion.review._base import ReviewContext
from bastion.review.demo import seed_demo
from bastion.runtime import Runtime
from tests.dbutil import POSTGRES_ADMIN_URL, scratch_postgres_database


@contextmanager
def scratch_database(synchronous_commit: str) -> Iterator[str]:
    """A fresh PostgreSQL database (``BASTION_TEST_POSTGRES_URL``'s server) with the given synchronous_commit."""
    with scratch_postgres_database("bench_audit") as url:
        admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            name = sa.engine.make_url(url).database
            conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = {synchronous_commit}'))
        admin.dispose()
        yield url


@contextmanager
def unaudited() -> Iterator[None]:
    """The review services' audit append made a no-op: the same reads, without their event."""
    original = ReviewContext.record

    def skip(*_: Any, **__: Any) -> None:
        return None

    ReviewContext.record = skip  # type: ignore[method-assign]
    try:
        yield
    finally:
        ReviewContext.record = original  # type: ignore[method-assign]


def one_round(read: Callable[[], object], concurrent: int) -> list[float]:
    """``concurrent`` threads, released together; each read's seconds from the release to its answer."""
    barrier = threading.Barrier(concurrent + 1)
    times: list[float] = [0.0] * concurrent
    errors: list[BaseException] = []

    def reader(index: int) -> None:
        barrier.wait()
        started = time.perf_counter()
        try:
            read()
        except BaseException as e:  # noqa: BLE001 - reported after the round
            errors.append(e)
        times[index] = time.perf_counter() - started

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(concurrent)]
    for thread in threads:
        thread.start()
    barrier.wait()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrent", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--synchronous-commit",
        choices=["on", "off"],
        default="on",
        help="the database's synchronous_commit (off: a diagnosis of what a durable commit costs, not a setting)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.synchronous_commit) as url:
        settings = Settings(data_dir=Path(tmp) / "data", database_url=url, secret_key="bench-secret-key")
        runtime = Runtime.from_settings(settings)
        runtime.migrate()
        container = Container(runtime)
        demo = seed_demo(container)
        review_id = demo.ids["review"]
        actor: Principal = container.identity.get_principal(demo.users["programme-admin"])
        reviews = container.review.reviews
        reviews.get(actor, review_id)  # warm up: pool, policy, mappers

        def read() -> object:
            return reviews.get(actor, review_id)

        def events() -> int:
            with runtime.database.read_session() as session:
                return (
                    session.scalar(
                        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "review.read")
                    )
                    or 0
                )

        audited: list[float] = []
        plain: list[float] = []
        walls: dict[str, list[float]] = {"audited": [], "unaudited": []}
        for _ in range(args.rounds):
            before = events()
            times = one_round(read, args.concurrent)
            assert events() - before == args.concurrent, "every audited read records one event"
            audited += times
            walls["audited"].append(max(times))
            with unaudited():
                before = events()
                times = one_round(read, args.concurrent)
                assert events() == before, "unaudited reads record nothing"
            plain += times
            walls["unaudited"].append(max(times))
        runtime.database.dispose()

    rows = [("audited", audited, walls["audited"]), ("unaudited", plain, walls["unaudited"])]
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(
        f"{args.concurrent} concurrent reads of one review, {args.rounds} rounds each, PostgreSQL "
        f"(synchronous_commit {args.synchronous_commit})\n"
    )
    print("| reads | p50 | p95 | p99 | round wall time (median) | reads/s |")
    print("|---|---|---|---|---|---|")
    for name, times, wall in rows:
        median_wall = statistics.median(wall)
        print(
            f"| {name} | {percentile(times, 0.5) * 1000:.1f} ms | {percentile(times, 0.95) * 1000:.1f} ms | "
            f"{percentile(times, 0.99) * 1000:.1f} ms | {median_wall * 1000:.0f} ms | "
            f"{args.concurrent / median_wall:.0f} |"
        )
    ratio_p50 = percentile(audited, 0.5) / percentile(plain, 0.5)
    ratio_wall = statistics.median(walls["audited"]) / statistics.median(walls["unaudited"])
    print(f"\naudited / unaudited: p50 {ratio_p50:.2f}, round wall time {ratio_wall:.2f}")


if __name__ == "__main__":
    main()
