"""Alembic environment: always run with a connection handed over by ``Database.migrate``."""

from __future__ import annotations

from alembic import context

from bastion.db.models import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable when someone runs the alembic CLI by hand
    raise SystemExit("run migrations through `bastion db upgrade` (Database.migrate), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
