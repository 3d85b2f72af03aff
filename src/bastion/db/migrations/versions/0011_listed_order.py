"""Affected entries keep their listed versions in the ecosystem's order (``affected_packages.listed_order``),
so matching bisects them computing only the keys it probes. Existing rows are filled in here.

Revision ID: 0011_listed_order
Revises: 0010_review_disclosure
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_listed_order"
down_revision: str | None = "0010_review_disclosure"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 2000


def upgrade() -> None:
    from bastion.advisories.matching import stored_listed_order

    with op.batch_alter_table("affected_packages") as batch:
        batch.add_column(sa.Column("listed_order", sa.JSON(), nullable=True))
    rows = sa.table(
        "affected_packages",
        sa.column("id", sa.Integer()),
        sa.column("ecosystem", sa.String()),
        sa.column("entry", sa.JSON()),
        sa.column("listed_order", sa.JSON()),
    )
    connection = op.get_bind()
    last = 0
    while True:
        batch_rows = connection.execute(
            sa.select(rows.c.id, rows.c.ecosystem, rows.c.entry)
            .where(rows.c.id > last)
            .order_by(rows.c.id)
            .limit(_BATCH)
        ).all()
        if not batch_rows:
            break
        connection.execute(
            sa.update(rows).where(rows.c.id == sa.bindparam("row_id")),
            [{"row_id": r.id, "listed_order": stored_listed_order(r.ecosystem, r.entry)} for r in batch_rows],
        )
        last = batch_rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("affected_packages") as batch:
        batch.drop_column("listed_order")
