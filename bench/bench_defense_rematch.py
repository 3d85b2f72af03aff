"""Re-matching after one advisory import into 1,000 inventories x 500 components (not a test).
Goal (issue 11): 1 s or less.

Run: .venv/bin/python bench/bench_defense_rematch.py [--postgres-url URL] [--sqlite-only]

Imports all of ``../shared/data/osv`` and KEV (or copies ``--advisories``, a SQLite file where that was done),
then writes 1,000 inventories (20 agencies x 50 projects, each with a current version of 500 components:
500,000 component rows) straight into the defense tables, drawing components (fixed seed) from the data's
package@version pairs. Their existing exposures are not written: a re-match reads only the changed package's
components and their exposures. Then one new OSV record is imported for a package that 100 of the inventories
hold, through the importer wired to defense as the container wires it: the import's own transaction re-matches
only the current inventories holding that package. Reported: the whole import of that record (parse, write,
re-match, commit), and the re-match alone (``Defense.on_advisories_changed`` in a session), for that package
and for it plus a package every inventory holds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from bastion.advisories.importer import AdvisoryImporter
from bastion.advisories.models import AffectedPackage
from bastion.container import Container
from bastion.core.clock import SystemClock
from bastion.core.config import Settings
from bastion.db import Database
from bastion.defense.models import ComponentRow, ProjectRow, SystemRow, VersionRow
from bastion.runtime import Runtime

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
AGENCIES, PROJECTS, COMPONENTS, HOLDERS = 20, 50, 500, 100
NEW_PACKAGE = "bastion-bench-target"


def pool(database: Database, seed: int = 5) -> list[tuple[str, str, str]]:
    pairs = set()
    with database.read_session() as session:
        for ecosystem, name, entry in session.execute(
            sa.select(AffectedPackage.ecosystem, AffectedPackage.name, AffectedPackage.entry).where(
                AffectedPackage.ecosystem.in_(["PyPI", "npm", "crates.io", "Go", "RubyGems", "Packagist"])
            )
        ):
            for r in entry.get("ranges") or []:
                for e in r.get("events") or []:
                    if "fixed" in e and " " not in str(e["fixed"]):
                        pairs.add((ecosystem, name, str(e["fixed"])))
    ordered = sorted(pairs)
    random.Random(seed).shuffle(ordered)
    return ordered


def populate(container: Container) -> None:
    database = container.runtime.database
    candidates = pool(database)
    rng = random.Random(9)
    now = datetime.now(UTC)
    holders = set(rng.sample(range(AGENCIES * PROJECTS), HOLDERS))
    with database.session() as session:
        for a in range(AGENCIES):
            org = f"org_bench_{a}"
            session.execute(
                sa.insert(SystemRow),
                [{"id": f"sys_{a}", "org_id": org, "name": "system", "description": "", "exposure": "open",
                  "mission_impact": "high", "created_at": now, "updated_at": now}],
            )  # fmt: skip
            for p in range(PROJECTS):
                n = a * PROJECTS + p
                session.execute(
                    sa.insert(ProjectRow),
                    [{"id": f"prj_{n}", "org_id": org, "system_id": f"sys_{a}", "name": f"p{p}", "created_at": now}],
                )
                session.execute(
                    sa.insert(VersionRow),
                    [{"id": f"ver_{n}", "org_id": org, "project_id": f"prj_{n}", "number": 1, "label": "1",
                      "format": "cyclonedx-json-1.6", "filename": "bom.json", "sha256": "0" * 64,
                      "component_count": COMPONENTS, "current": True, "created_by": "bench", "created_at": now}],
                )  # fmt: skip
                picked = [
                    *rng.sample(candidates, COMPONENTS - 1),
                    ("PyPI", NEW_PACKAGE if n in holders else "six", "1.0.0"),
                ]
                session.execute(
                    sa.insert(ComponentRow),
                    [{"version_id": f"ver_{n}", "purl": f"pkg:generic/{name}@{version}", "display_name": name,
                      "ecosystem": ecosystem, "name": name, "version": version}
                     for ecosystem, name, version in picked],
                )  # fmt: skip


def advisory(tmp: Path, number: int) -> Path:
    record = {
        "schema_version": "1.6.0",
        "id": f"BENCH-2026-{number}",
        "modified": f"2026-11-27T00:00:0{number}Z",
        "summary": "a new advisory",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": NEW_PACKAGE},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0.1"}]}],
            }
        ],
    }
    path = tmp / f"BENCH-2026-{number}.json"
    path.write_text(json.dumps(record))
    return path


def measure(url: str, label: str, tmp: Path, *, reuse: bool = False) -> None:
    database = Database(url)
    database.migrate()
    settings = Settings(data_dir=tmp / "data", database_url=url, secret_key="bench")
    container = Container(Runtime(settings=settings, database=database, clock=SystemClock()))
    if not reuse:
        t0 = time.perf_counter()
        AdvisoryImporter(database, SystemClock()).import_sources(
            [str(SHARED / "osv"), str(SHARED / "kev" / "known_exploited_vulnerabilities.json")]
        )
        print(f"{label}: advisories imported in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    populate(container)
    print(f"  1,000 inventories x 500 components written and matched in {time.perf_counter() - t0:.1f} s")
    told: list[int] = []
    container.defense.subscribe(lambda session, created: told.append(len(created)))
    t0 = time.perf_counter()
    report = container.advisory_importer.import_sources([str(advisory(tmp, 1))])
    whole = time.perf_counter() - t0
    assert report.imported == 1 and told == [HOLDERS], (report.as_dict(), told)
    with database.session() as session:
        t0 = time.perf_counter()
        again = container.defense.on_advisories_changed(session, {("PyPI", NEW_PACKAGE)})
        alone = time.perf_counter() - t0
        session.rollback()
    assert again == []  # nothing new the second time
    with database.session() as session:
        t0 = time.perf_counter()
        container.defense.on_advisories_changed(session, {("PyPI", name) for name in ("six", NEW_PACKAGE)})
        wide = time.perf_counter() - t0
        session.rollback()
    print(
        f"  import of one new advisory, re-match included ({HOLDERS} new exposures): {whole:.3f} s\n"
        f"  re-match alone, the advisory's package ({HOLDERS} inventories): {alone:.3f} s\n"
        f"  re-match alone, a package in all 1,000 inventories as well: {wide:.3f} s"
    )
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument(
        "--advisories", type=Path, help="a SQLite file with the advisories imported (copied, not changed)"
    )
    args = parser.parse_args()
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform()}; load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        if args.advisories:
            shutil.copyfile(args.advisories, Path(tmp) / "bench.db")
        measure(f"sqlite:///{tmp}/bench.db", "SQLite", Path(tmp), reuse=bool(args.advisories))
        if args.sqlite_only:
            return
        admin = sa.create_engine(Database(args.postgres_url).url, isolation_level="AUTOCOMMIT")
        name = f"bastion_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            url = sa.engine.make_url(Database(args.postgres_url).url).set(database=name)
            measure(url.render_as_string(hide_password=False), "PostgreSQL", Path(tmp))
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
