"""The one migration history produces exactly the tables the models declare, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from bastion.db import Database
from bastion.db.database import MIGRATIONS_DIR, head_revision
from bastion.db.models import metadata


def test_migrations_match_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_migrating_twice_is_a_no_op(database: Database) -> None:
    database.migrate()
    with database.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_heads() == ("0011_listed_order",)


def test_each_migration_file_is_named_after_its_revision_and_the_history_is_one_line() -> None:
    """What ``head_revision`` relies on to name the newest revision without loading Alembic."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    revisions = list(script.walk_revisions())
    assert [r.revision for r in revisions] == sorted((r.revision for r in revisions), reverse=True)
    for revision in revisions:
        assert revision.path is not None
        assert Path(revision.path).stem == revision.revision
    assert script.get_heads() == [head_revision()]


def test_a_database_at_the_head_skips_alembic_and_one_behind_is_upgraded(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrades: list[str] = []
    monkeypatch.setattr(command, "upgrade", lambda _config, target: upgrades.append(target))
    assert database.revision() == head_revision()
    database.migrate()
    assert upgrades == []  # at the head: nothing loaded, nothing run
    previous = ScriptDirectory(str(MIGRATIONS_DIR)).get_revision(head_revision()).down_revision
    assert isinstance(previous, str)
    with database.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": previous})
    try:
        database.migrate()
        assert upgrades == ["head"]  # behind: Alembic brings it up
    finally:
        with database.engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": head_revision()})


def test_an_empty_database_has_no_revision_and_is_migrated(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path}/fresh.db")
    try:
        assert database.revision() is None
        database.migrate()
        assert database.revision() == head_revision()
    finally:
        database.dispose()
