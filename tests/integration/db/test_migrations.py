"""The one migration history produces exactly the tables the models declare, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bastion.db import Database
from bastion.db.models import metadata


def test_migrations_match_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_migrating_twice_is_a_no_op(database: Database) -> None:
    database.migrate()
    with database.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_heads() == ("0009_defense_alerts",)
