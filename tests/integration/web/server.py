"""A real Bastion server for the browser tests: a migrated SQLite database with the demo programme, a few real
advisories (PyPA's salt and jinja2 records) and the CISA KEV catalogue, served by uvicorn on a free port."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bastion.advisories.importer import AdvisoryImporter
from bastion.api.app import create_app
from bastion.container import Container
from bastion.core.clock import ManualClock
from bastion.core.config import Settings
from bastion.db import Database
from bastion.review.demo import DemoProgramme, seed_demo
from bastion.runtime import Runtime
from tests.integration.api.live import in_thread

PACKAGES = ("salt", "jinja2")  # salt's records alias CVEs in the KEV catalogue; jinja2's are the README's


@dataclass(frozen=True)
class Served:
    url: str
    demo: DemoProgramme
    container: Container


def _advisories(shared_data: Path, into: Path) -> list[str]:
    with zipfile.ZipFile(shared_data / "osv" / "pypa-advisory-database.zip") as archive:
        for name in archive.namelist():
            if any(f"/{package}/" in name for package in PACKAGES) and name.endswith(".yaml"):
                archive.extract(name, into)
    return [str(into), str(shared_data / "kev" / "known_exploited_vulnerabilities.json")]


@contextmanager
def serve(shared_data: Path, work: Path) -> Iterator[Served]:
    settings = Settings(data_dir=work / "data", database_url=f"sqlite:///{work}/bastion.db", secret_key="web-tests")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.database_url)
    database.migrate()
    clock = ManualClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    container = Container(Runtime(settings=settings, database=database, clock=clock))
    AdvisoryImporter(database, clock).import_sources(_advisories(shared_data, work / "osv"))
    demo = seed_demo(container)
    clock.advance(timedelta(days=3))  # three days into the review window and the cases' SLA clocks
    try:
        with in_thread(create_app(container)) as base:
            yield Served(base, demo, container)
    finally:
        database.dispose()
