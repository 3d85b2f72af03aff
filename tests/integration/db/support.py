"""Moving a test database along the migration history."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from bastion.db import Database
from bastion.db.database import MIGRATIONS_DIR


def alembic_to(database: Database, *, to: str) -> None:
    """Upgrade (``"head"``) or downgrade (a revision) the database, as an operator's Alembic run would."""
    database.dispose()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        if to == "head":
            command.upgrade(config, to)
        else:
            command.downgrade(config, to)
