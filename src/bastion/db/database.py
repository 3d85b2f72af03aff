"""Engine, sessions and migrations. One ``Database`` per process; services receive it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bastion.core.errors import InvalidInput, OperationalError
from bastion.core.files import private_dir

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


@cache
def head_revision() -> str:
    """The newest migration's revision. Migrations form one line and each file is named after its revision
    (``0010_review_disclosure.py``), so it is the greatest file name: no need to load Alembic to know it
    (``tests/integration/db/test_migrations.py`` holds the naming rule and Alembic's own answer to this)."""
    return max(p.stem for p in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


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


def _create_private(path: Path) -> None:
    """Create the SQLite file 0600 before SQLite does (its -wal and -shm files take the same mode)."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _unstorable(error: Exception) -> InvalidInput:
    """A value the database cannot hold (a NUL in text, an integer beyond 64 bits) is the caller's input,
    refused on both databases alike; never a server error."""
    reason = str(error.orig) if isinstance(error, sa.exc.DBAPIError) else str(error)
    return InvalidInput(
        "a value in the request cannot be stored or compared by the database",
        code="invalid_value",
        hint="remove NUL characters from text and keep integers within 64 bits",
        details={"reason": reason.splitlines()[0] if reason else type(error).__name__},
    )


_UNSTORABLE = (sa.exc.DataError, OverflowError)
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
                _create_private(Path(parsed.database))
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
        except _UNSTORABLE as e:
            session.rollback()
            raise _unstorable(e) from e
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
        except _UNSTORABLE as e:
            raise _unstorable(e) from e
        finally:
            session.close()

    def migrate(self) -> None:
        """Bring the schema to the newest revision (run on every start; a no-op when current).

        A database already at :func:`head_revision` is left alone without loading Alembic or the models
        (which would cost a command-line call about a second); anything else goes through Alembic."""
        if self.revision() == head_revision():
            return
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

    def revision(self) -> str | None:
        """The schema revision the database records, or None when it has none (or cannot be read)."""
        try:
            with self.engine.connect() as connection:
                rows = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        except sa.exc.DBAPIError:
            return None  # no schema yet, or no server: migrating says which, clearly
        return rows[0] if len(rows) == 1 else None

    def dispose(self) -> None:
        self.engine.dispose()
