"""Audit log: events are appended unsealed (an autoincrement ``id``) and sealed into a keyed chain later.

Existing events keep their order (their old ``seq`` becomes their ``id``) and are unsealed: the first seal
after this migration chains them again under the audit key (``BASTION_AUDIT_KEY`` or its key file), which the
old unkeyed chain never had. Verify the old chain with the previous release before upgrading if it matters.

Revision ID: 0005_keyed_audit
Revises: 0004_evals
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bastion.db.base import UTCDateTime

revision: str = "0005_keyed_audit"
down_revision: str | None = "0004_evals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64
_KEPT = ("at", "actor_user_id", "actor_org_id", "action", "resource_type", "resource_id", "outcome", "detail")


def _events_table() -> sa.Table:
    return op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor_user_id", sa.String(40), nullable=True),
        sa.Column("actor_org_id", sa.String(40), nullable=True),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("resource_type", sa.String(40), nullable=False),
        sa.Column("resource_id", sa.String(80), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=True),
        sa.Column("hash", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_events_seq")),
    )


def upgrade() -> None:
    bind = op.get_bind()
    old = sa.Table("audit_events", sa.MetaData(), autoload_with=bind)
    rows = [dict(row._mapping) for row in bind.execute(sa.select(old).order_by(old.c.seq))]
    op.drop_table("audit_events")
    events = _events_table()
    op.create_index(op.f("ix_audit_events_actor_user_id"), "audit_events", ["actor_user_id"])
    op.create_index(op.f("ix_audit_events_action"), "audit_events", ["action"])
    op.create_index(op.f("ix_audit_events_resource_id"), "audit_events", ["resource_id"])
    if rows:
        op.bulk_insert(events, [{"id": row["seq"], **{k: row[k] for k in _KEPT}} for row in rows])
        if bind.dialect.name == "postgresql":
            bind.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('audit_events', 'id'), :n)"),
                {"n": max(row["seq"] for row in rows)},
            )
    bind.execute(sa.text("UPDATE audit_chain_head SET last_seq = 0, last_hash = :g"), {"g": GENESIS_HASH})


def downgrade() -> None:
    raise NotImplementedError("the keyed audit chain cannot be turned back into the unkeyed one")
