"""Benchmark of the vulnerability database: import throughput and OSV API latency.

    .venv/bin/python bench/bench_osv.py [--postgres-url postgresql://postgres@127.0.0.1:5432/test]

Imports all of ../shared/data/osv (and KEV) into a fresh SQLite file and a fresh PostgreSQL database, serves
each with `bastion serve`, and measures over HTTP:
- POST /v1/query, one real package@version per request (p50, p99 over 1,000 requests);
- POST /v1/querybatch with 1,000 real package@version queries (p50, p99 over 30 batches);
next to the floor: the same 1,000 lookups done in memory (compiled ranges in a dict, no database, no HTTP).
Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bastion.advisories.ecosystems import parse_ecosystem
from bastion.advisories.errors import InvalidVersion
from bastion.advisories.importer import AdvisoryImporter
from bastion.advisories.matching import compile_affected
from bastion.advisories.models import AffectedPackage
from bastion.advisories.package_index import IndexedEntry, PackageIndex
from bastion.core.clock import SystemClock
from bastion.db import Database

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def real_queries(database: Database, count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Package@version pairs that occur in the data: listed versions and fixed versions."""
    rows = []
    with database.read_session() as session:
        for ecosystem, name, entry in session.execute(
            sa.select(AffectedPackage.ecosystem, AffectedPackage.name, AffectedPackage.entry)
        ):
            versions = list(entry.get("versions") or [])
            versions += [
                e["fixed"] for r in entry.get("ranges") or [] if r["type"] != "GIT" for e in r["events"] if "fixed" in e
            ]
            rows.extend((ecosystem, name, v) for v in versions[:5] if v and " " not in v)
    rng = random.Random(seed)
    picked = rng.sample(rows, count)
    return [{"version": v, "package": {"name": n, "ecosystem": e}} for e, n, v in picked]


def memory_floor(database: Database, queries: list[dict[str, Any]], rounds: int) -> list[float]:
    """The same lookups with the same in-memory package indexes, but no database and no HTTP."""
    entries: dict[tuple[str, str], list[IndexedEntry]] = defaultdict(list)
    with database.read_session() as session:
        for advisory_id, ecosystem, name, entry in session.execute(
            sa.select(
                AffectedPackage.advisory_id, AffectedPackage.ecosystem, AffectedPackage.name, AffectedPackage.entry
            )
        ):
            eco = parse_ecosystem(ecosystem)
            entries[(ecosystem, name)].append(IndexedEntry(advisory_id, "", None, compile_affected(eco, entry)))
    index = {key: PackageIndex(parse_ecosystem(key[0]), value) for key, value in entries.items()}
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        for query in queries:
            package = index[(query["package"]["ecosystem"], query["package"]["name"])]
            floor_match(package, query["version"])
        timings.append(time.perf_counter() - start)
    return timings


def floor_match(package: PackageIndex, version: str) -> tuple[Any, ...]:
    try:
        return package.affected(version, None)
    except InvalidVersion:  # a pre-PEP 440 release the data lists, read as the records do
        return package.affected(version, None, as_recorded=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def measure(url: str, label: str, data_dir: Path) -> dict[str, Any]:
    database = Database(url)
    database.migrate()
    start = time.perf_counter()
    report = AdvisoryImporter(database, SystemClock()).import_sources(
        [str(SHARED / "osv"), str(SHARED / "kev" / "known_exploited_vulnerabilities.json")]
    )
    import_seconds = time.perf_counter() - start
    queries = real_queries(database, 1000)
    port = free_port()
    env = {**os.environ, "BASTION_DATABASE_URL": url, "BASTION_DATA_DIR": str(data_dir)}
    server = subprocess.Popen(
        [sys.executable, "-m", "bastion.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(100):
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            client.post("/v1/querybatch", json={"queries": queries})  # warm the compiled-range cache
            single = []
            for query in queries:
                t0 = time.perf_counter()
                response = client.post("/v1/query", json=query)
                single.append(time.perf_counter() - t0)
                response.raise_for_status()
            batch = []
            for _ in range(30):
                t0 = time.perf_counter()
                response = client.post("/v1/querybatch", json={"queries": queries})
                batch.append(time.perf_counter() - t0)
                response.raise_for_status()
    finally:
        server.terminate()
        server.wait(timeout=30)
    floor = memory_floor(database, queries, 30)
    database.dispose()
    return {
        "label": label,
        "records": report.imported,
        "import_s": import_seconds,
        "single": single,
        "batch": batch,
        "floor": floor,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(measure(f"sqlite:///{tmp}/bench.db", "SQLite", Path(tmp)))
        admin = sa.create_engine(Database(args.postgres_url).url, isolation_level="AUTOCOMMIT")
        name = f"bastion_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            pg_url = sa.engine.make_url(Database(args.postgres_url).url).set(database=name)
            results.append(measure(pg_url.render_as_string(hide_password=False), "PostgreSQL", Path(tmp)))
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    ms = 1000.0
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform()}"
    )
    print()
    print("| backend | import (5 sources + KEV) | records/s | /v1/query p50 | p99 | /v1/querybatch x1000 p50 | p99 |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['label']} | {r['import_s']:.1f} s | {r['records'] / r['import_s']:.0f} "
            f"| {percentile(r['single'], 50) * ms:.2f} ms | {percentile(r['single'], 99) * ms:.2f} ms "
            f"| {percentile(r['batch'], 50) * ms:.1f} ms | {percentile(r['batch'], 99) * ms:.1f} ms |"
        )
    floor = results[0]["floor"]
    print(
        f"| in-memory floor (no DB, no HTTP) | - | - | {statistics.median(floor) / 1000 * ms:.4f} ms per lookup | - "
        f"| {percentile(floor, 50) * ms:.1f} ms | {percentile(floor, 99) * ms:.1f} ms |"
    )


if __name__ == "__main__":
    main()
