"""Review slice: submissions, selection decisions, reviews, assignments, findings, evidence, outbox.

Revision ID: 0003_review
Revises: 0002_identity
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bastion.db.base import UTCDateTime

revision: str = "0003_review"
down_revision: str | None = "0002_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column[str]:
    return sa.Column("id", sa.String(40), nullable=False)


def _keys(table: str, *, fks: dict[str, str] | None = None, unique: tuple[str, ...] = ()) -> list[sa.Constraint]:
    """Primary key, foreign keys and a unique constraint, named as ``bastion.db.base.NAMING_CONVENTION``."""
    keys: list[sa.Constraint] = [sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))]
    for column, target in (fks or {}).items():
        name = op.f(f"fk_{table}_{column}_{target}")
        keys.append(sa.ForeignKeyConstraint([column], [f"{target}.id"], name=name))
    if unique:
        keys.append(sa.UniqueConstraint(*unique, name=op.f(f"uq_{table}_{unique[0]}")))
    return keys


def upgrade() -> None:
    op.create_table(
        "review_submissions",
        _id(),
        sa.Column("org_id", sa.String(40), nullable=False),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("model_version", sa.String(100), nullable=False),
        sa.Column("developer", sa.String(200), nullable=False),
        sa.Column("training_compute_flop", sa.Float, nullable=False),
        sa.Column("modalities", sa.JSON, nullable=False),
        sa.Column("intended_release_at", UTCDateTime, nullable=True),
        sa.Column("access_endpoint", sa.String(500), nullable=True),
        sa.Column("access_credential_encrypted", sa.Text, nullable=True),
        sa.Column("documentation", sa.JSON, nullable=False),
        sa.Column("capability_tiers", sa.JSON, nullable=False),
        sa.Column("evaluation_scores", sa.JSON, nullable=False),
        sa.Column("reference_scores", sa.JSON, nullable=False),
        sa.Column("classification", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("selection_status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("withdrawn_at", UTCDateTime, nullable=True),
        *_keys("review_submissions", fks={"org_id": "organisations"}),
    )
    op.create_index(op.f("ix_review_submissions_org_id"), "review_submissions", ["org_id"])
    op.create_table(
        "review_nominations",
        _id(),
        sa.Column("submission_id", sa.String(40), nullable=False),
        sa.Column("agency_org_id", sa.String(40), nullable=False),
        sa.Column("agency_name", sa.String(200), nullable=False),
        sa.Column("nominated_by", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        *_keys(
            "review_nominations",
            fks={"submission_id": "review_submissions"},
            unique=("submission_id", "agency_org_id"),
        ),
    )
    op.create_index(op.f("ix_review_nominations_submission_id"), "review_nominations", ["submission_id"])
    op.create_table(
        "review_selection_decisions",
        _id(),
        sa.Column("submission_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("selected", sa.Boolean, nullable=False),
        sa.Column("policy_version", sa.String(100), nullable=True),
        sa.Column("fired_rules", sa.JSON, nullable=False),
        sa.Column("rule_results", sa.JSON, nullable=False),
        sa.Column("manual", sa.Boolean, nullable=False),
        sa.Column("override_reason", sa.Text, nullable=True),
        sa.Column("decided_by", sa.String(40), nullable=True),
        sa.Column("decided_at", UTCDateTime, nullable=False),
        *_keys("review_selection_decisions", fks={"submission_id": "review_submissions"}),
    )
    op.create_index(
        op.f("ix_review_selection_decisions_submission_id"), "review_selection_decisions", ["submission_id"]
    )
    op.create_table(
        "review_reviews",
        _id(),
        sa.Column("submission_id", sa.String(40), nullable=False),
        sa.Column("org_id", sa.String(40), nullable=False),
        sa.Column("classification", sa.Integer, nullable=False),
        sa.Column("opened_at", UTCDateTime, nullable=False),
        sa.Column("window_days", sa.Integer, nullable=False),
        sa.Column("close_at_release", sa.Boolean, nullable=False),
        sa.Column("extension_days", sa.Integer, nullable=False),
        sa.Column("released_at", UTCDateTime, nullable=True),
        sa.Column("withdrawn_at", UTCDateTime, nullable=True),
        sa.Column("closed_at", UTCDateTime, nullable=True),
        sa.Column("close_reason", sa.String(30), nullable=True),
        sa.Column("opened_by", sa.String(40), nullable=False),
        *_keys("review_reviews", fks={"submission_id": "review_submissions"}, unique=("submission_id",)),
    )
    op.create_index(op.f("ix_review_reviews_org_id"), "review_reviews", ["org_id"])
    op.create_table(
        "review_extensions",
        _id(),
        sa.Column("review_id", sa.String(40), nullable=False),
        sa.Column("days", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("proposed_by", sa.String(40), nullable=False),
        sa.Column("proposed_at", UTCDateTime, nullable=False),
        sa.Column("answered_by", sa.String(40), nullable=True),
        sa.Column("answered_at", UTCDateTime, nullable=True),
        *_keys("review_extensions", fks={"review_id": "review_reviews"}),
    )
    op.create_index(op.f("ix_review_extensions_review_id"), "review_extensions", ["review_id"])
    op.create_table(
        "review_assignments",
        _id(),
        sa.Column("review_id", sa.String(40), nullable=False),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("focus_areas", sa.JSON, nullable=False),
        sa.Column("assigned_by", sa.String(40), nullable=False),
        sa.Column("assigned_at", UTCDateTime, nullable=False),
        *_keys(
            "review_assignments",
            fks={"review_id": "review_reviews", "user_id": "users"},
            unique=("review_id", "user_id"),
        ),
    )
    op.create_index(op.f("ix_review_assignments_review_id"), "review_assignments", ["review_id"])
    op.create_table(
        "review_findings",
        _id(),
        sa.Column("review_id", sa.String(40), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("focus_area", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("classification", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("for_clearinghouse", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("shared_at", UTCDateTime, nullable=True),
        *_keys("review_findings", fks={"review_id": "review_reviews"}),
    )
    op.create_index(op.f("ix_review_findings_review_id"), "review_findings", ["review_id"])
    op.create_table(
        "review_finding_responses",
        _id(),
        sa.Column("finding_id", sa.String(40), nullable=False),
        sa.Column("author_id", sa.String(40), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        *_keys("review_finding_responses", fks={"finding_id": "review_findings"}),
    )
    op.create_index(op.f("ix_review_finding_responses_finding_id"), "review_finding_responses", ["finding_id"])
    op.create_table(
        "review_evidence",
        _id(),
        sa.Column("review_id", sa.String(40), nullable=False),
        sa.Column("finding_id", sa.String(40), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_path", sa.String(500), nullable=False),
        sa.Column("classification", sa.Integer, nullable=False),
        sa.Column("summary", sa.JSON, nullable=True),
        sa.Column("uploaded_by", sa.String(40), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        *_keys("review_evidence", fks={"review_id": "review_reviews", "finding_id": "review_findings"}),
    )
    op.create_index(op.f("ix_review_evidence_review_id"), "review_evidence", ["review_id"])
    op.create_table(
        "review_outbox",
        _id(),
        sa.Column("topic", sa.String(60), nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("delivered_at", UTCDateTime, nullable=True),
        *_keys("review_outbox", unique=("dedupe_key",)),
    )
    op.create_index(op.f("ix_review_outbox_topic"), "review_outbox", ["topic"])


def downgrade() -> None:
    for table in (
        "review_outbox",
        "review_evidence",
        "review_finding_responses",
        "review_findings",
        "review_assignments",
        "review_extensions",
        "review_reviews",
        "review_selection_decisions",
        "review_nominations",
        "review_submissions",
    ):
        op.drop_table(table)  # dropping a table drops its indexes
