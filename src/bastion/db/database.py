"""Engine, sessions and migrations. One ``Database`` per process; services receive it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bastion.core.errors import OperationalError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _normalize_url(url: str) -> str:
    """Accept the URLs people type (``postgresql://``) and pick the driver we ship (psycopg 3)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, begin transactions (see ``_sqlite_begin``): pysqlite's own lazy BEGIN
    # breaks SAVEPOINTs and leaves reads before the first write outside the transaction.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_READ_ONLY = "bastion_read_only"


def _sqlite_begin(connection: sa.engine.Connection) -> None:
    """A unit of work takes SQLite's write lock when it begins (``BEGIN IMMEDIATE``), so its reads and writes
    form one atomic step: no lost update, no upgrade from a stale read snapshot (busy_timeout makes it wait).
    Read-only sessions begin a deferred transaction: a consistent snapshot that blocks nobody."""
    read_only = connection.get_execution_options().get(_READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = _normalize_url(url)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        try:
            self.engine: Engine = sa.create_engine(self.url, **kwargs)
        except (ImportError, sa.exc.ArgumentError) as e:
            raise OperationalError(
                f"cannot use database URL {parsed.render_as_string(hide_password=True)}: {e}",
                hint="for PostgreSQL install the extra: pip install 'bastion[postgres]'",
            ) from e
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.engine.execution_options(**{_READ_ONLY: True}), expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any exception. Nothing is half-written."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reads only; it never commits. Loaded objects stay readable after it closes."""
        session = self._read_sessions()
        try:
            yield session
        finally:
            session.close()

    def migrate(self) -> None:
        """Bring the schema to the newest revision (run on every start; a no-op when current)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.set_main_option("path_separator", "os")
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except sa.exc.OperationalError as e:
            raise OperationalError(
                f"cannot reach the database at {make_url(self.url).render_as_string(hide_password=True)}",
                hint="check BASTION_DATABASE_URL and that the server is running",
                details={"reason": str(e.orig)},
            ) from e

    def dispose(self) -> None:
        self.engine.dispose()
