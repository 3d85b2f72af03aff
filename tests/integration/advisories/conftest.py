"""A database loaded with all of ../shared/data (five OSV sources and KEV), once per module and backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bastion.advisories.importer import AdvisoryImporter
from bastion.advisories.report import ImportReport
from bastion.api.app import create_app
from bastion.core.clock import ManualClock
from bastion.core.config import Settings
from bastion.db import Database
from bastion.runtime import Runtime
from tests.dbutil import scratch_postgres_database


def all_sources(shared: Path) -> list[str]:
    return [str(shared / "osv"), str(shared / "kev" / "known_exploited_vulnerabilities.json")]


class Loaded:
    def __init__(self, runtime: Runtime, report: ImportReport) -> None:
        self.runtime = runtime
        self.report = report
        self.client = TestClient(create_app(runtime))
        self.rejected = frozenset(f.record_id for f in report.failures if f.record_id)


def _load(url: str, data_dir: Path, shared: Path) -> Loaded:
    database = Database(url)
    database.migrate()
    runtime = Runtime(
        settings=Settings(data_dir=data_dir, database_url=url, osv_page_size=3),
        database=database,
        clock=ManualClock(datetime(2026, 11, 2, tzinfo=UTC)),
    )
    report = AdvisoryImporter(database, runtime.clock).import_sources(all_sources(shared))
    return Loaded(runtime, report)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[Loaded]:
    data_dir = tmp_path_factory.mktemp("loaded")
    if request.param == "sqlite":
        result = _load(f"sqlite:///{data_dir / 'bastion.db'}", data_dir, shared_data)
        yield result
        result.runtime.database.dispose()
        return
    with scratch_postgres_database("osv") as url:
        result = _load(url, data_dir, shared_data)
        yield result
        result.runtime.database.dispose()
