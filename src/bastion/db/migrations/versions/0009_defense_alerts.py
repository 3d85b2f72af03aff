"""Defense alerts and the AI triage assistant: each agency's alert settings, alerts (raised once), their
deliveries (the outbox), and triage proposals.

Revision ID: 0009_defense_alerts
Revises: 0008_defense
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bastion.db.base import UTCDateTime

revision: str = "0009_defense_alerts"
down_revision: str | None = "0008_defense"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "defense_alert_settings",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("webhook_secret", sa.Text(), nullable=True),
        sa.Column("emails", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=40), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_defense_alert_settings")),
    )
    op.create_table(
        "defense_alerts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("exposure_id", sa.Integer(), nullable=False),
        sa.Column("advisory_id", sa.String(length=255), nullable=False),
        sa.Column("purl", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_defense_alerts")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_defense_alerts_dedupe_key")),
    )
    with op.batch_alter_table("defense_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_defense_alerts_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_defense_alerts_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_defense_alerts_exposure_id"), ["exposure_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_defense_alerts_raised_at"), ["raised_at"], unique=False)
    op.create_table(
        "defense_alert_deliveries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("alert_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["defense_alerts.id"], name=op.f("fk_defense_alert_deliveries_alert_id_defense_alerts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_defense_alert_deliveries")),
        sa.UniqueConstraint("alert_id", "channel", name=op.f("uq_defense_alert_deliveries_alert_id")),
    )
    with op.batch_alter_table("defense_alert_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_defense_alert_deliveries_alert_id"), ["alert_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_defense_alert_deliveries_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_defense_alert_deliveries_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_defense_alert_deliveries_next_attempt_at"), ["next_attempt_at"], unique=False
        )
    op.create_table(
        "defense_triage_proposals",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("exposure_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("advisory_id", sa.String(length=255), nullable=False),
        sa.Column("purl", sa.Text(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("prompt_sha256", sa.String(length=64), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("proposal", sa.JSON(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=40), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("vex_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_defense_triage_proposals")),
    )
    with op.batch_alter_table("defense_triage_proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_defense_triage_proposals_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_defense_triage_proposals_exposure_id"), ["exposure_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_defense_triage_proposals_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_defense_triage_proposals_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("defense_triage_proposals")
    op.drop_table("defense_alert_deliveries")
    op.drop_table("defense_alerts")
    op.drop_table("defense_alert_settings")
