"""Benchmark of the vulnerability database: import throughput, and OSV API latency against the floor.

    .venv/bin/python bench/bench_osv.py [--postgres-url postgresql://postgres@127.0.0.1:5432/test]

Imports all of ../shared/data/osv (and KEV) into a fresh SQLite file and a fresh PostgreSQL database. For each,
it serves the data with `bastion serve` (one worker) and, side by side in the same run, the floor: bare uvicorn
(`bench/floor_app.py`) answering the very same answers, either as bytes computed beforehand or serialized with
orjson on each request. It measures over HTTP (httpx, keep-alive), interleaving the servers request by request:
- POST /v1/querybatch with 1,000 real package@version queries (p50, p99 over 30 batches);
- POST /v1/query, one real query per request (p50, p99 over the 1,000).
It checks both backends give byte-identical answers, and prints Markdown tables with the times and the ratios.
Goals (issue 8): batch p50 <= 3x the orjson floor; single query p50 <= 3x the bare floor.
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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import sqlalchemy as sa

from bastion.advisories.importer import AdvisoryImporter
from bastion.advisories.models import AffectedPackage
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
            sa.select(AffectedPackage.ecosystem, AffectedPackage.name, AffectedPackage.entry).order_by(
                AffectedPackage.advisory_id, AffectedPackage.id
            )
        ):
            versions = list(entry.get("versions") or [])
            versions += [
                e["fixed"] for r in entry.get("ranges") or [] if r["type"] != "GIT" for e in r["events"] if "fixed" in e
            ]
            rows.extend((ecosystem, name, v) for v in versions[:5] if v and " " not in v)
    rng = random.Random(seed)
    picked = rng.sample(rows, count)
    return [{"version": v, "package": {"name": n, "ecosystem": e}} for e, n, v in picked]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def started(argv: list[str], env: dict[str, str], port: int) -> Iterator[httpx.Client]:
    """A server process, and a keep-alive client to it once it answers."""
    server = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for _ in range(300):
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield client
    finally:
        server.terminate()
        server.wait(timeout=30)


def timed(client: httpx.Client, path: str, content: bytes) -> float:
    t0 = time.perf_counter()
    response = client.post(path, content=content, headers={"content-type": "application/json"})
    elapsed = time.perf_counter() - t0
    response.raise_for_status()
    return elapsed


def load(url: str) -> tuple[Database, float, int]:
    database = Database(url)
    database.migrate()
    start = time.perf_counter()
    report = AdvisoryImporter(database, SystemClock()).import_sources(
        [str(SHARED / "osv"), str(SHARED / "kev" / "known_exploited_vulnerabilities.json")]
    )
    return database, time.perf_counter() - start, report.imported


def measure(url: str, label: str, data_dir: Path, rounds: int) -> dict[str, Any]:
    database, import_seconds, imported = load(url)
    queries = real_queries(database, 1000)
    database.dispose()
    batch_body = orjson.dumps({"queries": queries})
    single_bodies = [orjson.dumps(query) for query in queries]
    port = free_port()
    env = {**os.environ, "BASTION_DATABASE_URL": url, "BASTION_DATA_DIR": str(data_dir)}
    serve = [sys.executable, "-m", "bastion.cli.main", "serve", "--port", str(port)]
    with started(serve, env, port) as bastion:
        answer = bastion.post("/v1/querybatch", content=batch_body).content  # also warms the caches
        singles = {
            body.decode(): orjson.loads(bastion.post("/v1/query", content=body).content) for body in single_bodies
        }
        floor_data = data_dir / f"floor-{label}.json"
        floor_data.write_bytes(orjson.dumps({"batch": orjson.loads(answer), "single": singles}))
        floor_port = free_port()
        floor_env = {**os.environ, "BENCH_FLOOR_DATA": str(floor_data), "PYTHONPATH": str(ROOT / "bench")}
        floor_argv = [
            sys.executable,
            "-m",
            "uvicorn",
            "floor_app:app",
            "--port",
            str(floor_port),
            "--log-level",
            "info",
        ]
        with started(floor_argv, floor_env, floor_port) as floor:
            samples: dict[str, list[float]] = {"batch": [], "bytes": [], "orjson": [], "single": [], "bare": []}
            for _ in range(rounds):
                samples["batch"].append(timed(bastion, "/v1/querybatch", batch_body))
                samples["bytes"].append(timed(floor, "/bytes/querybatch", batch_body))
                samples["orjson"].append(timed(floor, "/orjson/querybatch", batch_body))
            for body in single_bodies:
                samples["single"].append(timed(bastion, "/v1/query", body))
                samples["bare"].append(timed(floor, "/bytes/query", body))
    ids = sum(len(result.get("vulns", [])) for result in orjson.loads(answer)["results"])
    return {"label": label, "records": imported, "import_s": import_seconds, "answer": answer, "ids": ids, **samples}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--rounds", type=int, default=30, help="batches per server")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL (a quick look while tuning)")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(measure(f"sqlite:///{tmp}/bench.db", "SQLite", Path(tmp), args.rounds))
        if args.sqlite_only:
            report(results)
            return
        admin = sa.create_engine(Database(args.postgres_url).url, isolation_level="AUTOCOMMIT")
        name = f"bastion_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            pg_url = sa.engine.make_url(Database(args.postgres_url).url).set(database=name)
            results.append(measure(pg_url.render_as_string(hide_password=False), "PostgreSQL", Path(tmp), args.rounds))
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    assert results[0]["answer"] == results[1]["answer"], "SQLite and PostgreSQL must give byte-identical answers"
    report(results)


def report(results: list[dict[str, Any]]) -> None:
    ms = 1000.0
    load_avg = os.getloadavg()[0]
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform()}; load average {load_avg:.1f}; batch answer {len(results[0]['answer']) / 1e6:.1f} MB, "
        f"{results[0]['ids']} ids"
    )
    print()
    print("| backend | import (5 sources + KEV) | records/s |")
    print("|---|---|---|")
    for r in results:
        print(f"| {r['label']} | {r['import_s']:.1f} s | {r['records'] / r['import_s']:.0f} |")
    print()
    print("| backend | server | /v1/querybatch x1000 p50 | p99 | /v1/query p50 | p99 |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['label']} | Bastion | {percentile(r['batch'], 50) * ms:.1f} ms "
            f"| {percentile(r['batch'], 99) * ms:.1f} ms "
            f"| {percentile(r['single'], 50) * ms:.2f} ms | {percentile(r['single'], 99) * ms:.2f} ms |"
        )
        print(
            f"| {r['label']} | floor: bare uvicorn, precomputed bytes | {percentile(r['bytes'], 50) * ms:.1f} ms "
            f"| {percentile(r['bytes'], 99) * ms:.1f} ms | {percentile(r['bare'], 50) * ms:.2f} ms "
            f"| {percentile(r['bare'], 99) * ms:.2f} ms |"
        )
        print(
            f"| {r['label']} | floor: bare uvicorn, orjson per request | {percentile(r['orjson'], 50) * ms:.1f} ms "
            f"| {percentile(r['orjson'], 99) * ms:.1f} ms | - | - |"
        )
    print()
    print("| backend | batch p50 / orjson floor p50 (goal <= 3) | single p50 / bare floor p50 (goal <= 3) |")
    print("|---|---|---|")
    for r in results:
        batch_ratio = statistics.median(r["batch"]) / statistics.median(r["orjson"])
        single_ratio = statistics.median(r["single"]) / statistics.median(r["bare"])
        print(f"| {r['label']} | {batch_ratio:.2f} | {single_ratio:.2f} |")


if __name__ == "__main__":
    main()
