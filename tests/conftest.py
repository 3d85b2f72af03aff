"""Shared fixtures: a migrated database on SQLite *and* PostgreSQL, a runtime with a manual clock,
and an HTTP client against the real app.

Every test that takes ``database`` (or anything built on it) runs once per backend: ``test_x[sqlite]``
and ``test_x[postgresql]``. With no reachable PostgreSQL the second reports itself skipped by name;
in CI (``BASTION_REQUIRE_POSTGRES=1``) an unreachable PostgreSQL is a failure instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bastion.api.app import create_app
from bastion.container import Container
from bastion.core.clock import ManualClock
from bastion.core.config import Settings
from bastion.db import Database
from bastion.runtime import Runtime
from tests.dbutil import scratch_postgres_database

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", default=False, help="run opt-in slow tests")
    parser.addoption(
        "--run-quickstart", action="store_true", default=False, help="run the README Quickstart test (CI does)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    opt_in = {
        "slow": (config.getoption("--run-slow"), "slow test: opt in with --run-slow"),
        "quickstart": (config.getoption("--run-quickstart"), "installs for minutes: opt in with --run-quickstart"),
    }
    for marker, (wanted, reason) in opt_in.items():
        if not wanted:
            for item in items:
                if marker in item.keywords:
                    item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared data not found at {SHARED_DATA}; the repository must sit beside ../shared")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _eval_datasets_from_shared_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test downloads an evaluation dataset: challenges built on SVEN read the shared copy. A test that
    checks the download path sets BASTION_EVAL_DATA_DIR itself."""
    if "BASTION_EVAL_DATA_DIR" not in os.environ and (SHARED_DATA / "evals").is_dir():
        monkeypatch.setenv("BASTION_EVAL_DATA_DIR", str(SHARED_DATA / "evals"))


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_url() -> Iterator[str]:
    with scratch_postgres_database("test") as url:
        db = Database(url)
        db.migrate()
        _SEED_ROWS[url] = _snapshot_seed_rows(db)
        db.dispose()
        yield url


# Rows the migrations seed (e.g. the agencies, the audit chain head), restored after each TRUNCATE.
_SEED_ROWS: dict[str, list[tuple[sa.Table, list[dict[str, object]]]]] = {}


def _snapshot_seed_rows(db: Database) -> list[tuple[sa.Table, list[dict[str, object]]]]:
    reflected = sa.MetaData()
    with db.engine.connect() as conn:
        reflected.reflect(conn)
        snapshot = [
            (table, [dict(row._mapping) for row in conn.execute(sa.select(table))])
            for table in reflected.sorted_tables
            if table.name != "alembic_version"
        ]
    return [(table, rows) for table, rows in snapshot if rows]


def _truncate_all(db: Database) -> None:
    with db.engine.begin() as conn:
        tables = [
            row[0]
            for row in conn.execute(
                sa.text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename != 'alembic_version'"
                )
            )
        ]
        if tables:
            conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        for table, rows in _SEED_ROWS.get(db.url, []):
            conn.execute(sa.insert(table), rows)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A freshly migrated, empty database on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "bastion.db"
        shutil.copyfile(template, path)
        db = Database(f"sqlite:///{path}")
        yield db
        db.dispose()
    else:
        url: str = request.getfixturevalue("_postgres_url")
        db = Database(url)
        _truncate_all(db)
        yield db
        db.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def runtime(database: Database, clock: ManualClock, tmp_path: Path) -> Runtime:
    settings = Settings(data_dir=tmp_path / "data", database_url=database.url, secret_key="test-secret-key")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Runtime(settings=settings, database=database, clock=clock)


@pytest.fixture
def container(runtime: Runtime) -> Container:
    """The composition root over the test runtime (what the API, the CLI and workers build once)."""
    return Container(runtime)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as test_client:
        yield test_client


@pytest.fixture
def cli_env(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    """Point the CLI (``bastion.cli.main.main``) at the test database and data directory."""
    monkeypatch.setenv("BASTION_DATABASE_URL", runtime.database.url)
    monkeypatch.setenv("BASTION_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.setenv("BASTION_SECRET_KEY", "test-secret-key")
    return runtime
