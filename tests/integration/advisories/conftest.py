"""A database loaded with all of ../shared/data (five OSV sources and KEV), once per module and backend."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(runtime: Runtime, **settings: str) -> Iterator[str]:
    """``bastion serve`` in a subprocess on the runtime's database; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "BASTION_DATABASE_URL": runtime.database.url,
        "BASTION_DATA_DIR": str(runtime.settings.data_dir),
        **{f"BASTION_{key.upper()}": value for key, value in settings.items()},
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bastion.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # 30 s: a loaded machine starts slowly
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            process.kill()
            output = process.communicate()[0].decode(errors="replace")
            pytest.fail(f"bastion serve did not come up:\n{output}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
