"""Clearinghouse slice: reporters, submissions, reports and their dedupe keys, sandbox validations, the vendor
registry, cases with vendors, messages and embargo revisions, fixes, publications and the outbox.

Revision ID: 0007_clearinghouse
Revises: 0006_jobs_published_at
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bastion.db.base import UTCDateTime

revision: str = "0007_clearinghouse"
down_revision: str | None = "0006_jobs_published_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clearinghouse_outbox",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearinghouse_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_clearinghouse_outbox_dedupe_key")),
    )
    with op.batch_alter_table("clearinghouse_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearinghouse_outbox_topic"), ["topic"], unique=False)

    op.create_table(
        "clearinghouse_submissions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("reporter_user_id", sa.String(length=40), nullable=False),
        sa.Column("client_key", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("report_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearinghouse_submissions")),
        sa.UniqueConstraint(
            "reporter_user_id", "client_key", name=op.f("uq_clearinghouse_submissions_reporter_user_id")
        ),
    )
    with op.batch_alter_table("clearinghouse_submissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clearinghouse_submissions_reporter_user_id"), ["reporter_user_id"], unique=False
        )

    op.create_table(
        "clearinghouse_reports",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("submission_id", sa.String(length=40), nullable=False),
        sa.Column("reporter_user_id", sa.String(length=40), nullable=False),
        sa.Column("reporter_org_id", sa.String(length=40), nullable=False),
        sa.Column("reporter_kind", sa.String(length=20), nullable=False),
        sa.Column("tool_name", sa.String(length=200), nullable=True),
        sa.Column("tool_version", sa.String(length=100), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("purl", sa.String(length=500), nullable=True),
        sa.Column("cpe", sa.String(length=500), nullable=True),
        sa.Column("product_key", sa.String(length=500), nullable=False),
        sa.Column("affected", sa.JSON(), nullable=False),
        sa.Column("cwe", sa.String(length=20), nullable=True),
        sa.Column("cvss_vector", sa.String(length=200), nullable=True),
        sa.Column("cvss_version", sa.String(length=5), nullable=True),
        sa.Column("cvss_score", sa.Float(), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("location", sa.JSON(), nullable=True),
        sa.Column("crash_state", sa.JSON(), nullable=False),
        sa.Column("reproducer", sa.JSON(), nullable=True),
        sa.Column("target", sa.JSON(), nullable=True),
        sa.Column("fixed_target", sa.JSON(), nullable=True),
        sa.Column("references", sa.JSON(), nullable=False),
        sa.Column("review_finding_id", sa.String(length=40), nullable=True),
        sa.Column("duplicate_of", sa.String(length=40), nullable=True),
        sa.Column("duplicate_advisory", sa.String(length=255), nullable=True),
        sa.Column("duplicate_reason", sa.String(length=300), nullable=True),
        sa.Column("known_fixed_in", sa.JSON(), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("validated_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["clearinghouse_submissions.id"],
            name=op.f("fk_clearinghouse_reports_submission_id_clearinghouse_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearinghouse_reports")),
        sa.UniqueConstraint("review_finding_id", name=op.f("uq_clearinghouse_reports_review_finding_id")),
    )
    with op.batch_alter_table("clearinghouse_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearinghouse_reports_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_clearinghouse_reports_duplicate_of"), ["duplicate_of"], unique=False)
        batch_op.create_index(batch_op.f("ix_clearinghouse_reports_product_key"), ["product_key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_clearinghouse_reports_reporter_user_id"), ["reporter_user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_clearinghouse_reports_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_clearinghouse_reports_submission_id"), ["submission_id"], unique=False)

    op.create_table(
        "clearinghouse_vendors",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_clearinghouse_vendors_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearinghouse_vendors")),
        sa.UniqueConstraint("org_id", name=op.f("uq_clearinghouse_vendors_org_id")),
    )
    op.create_table(
        "clearinghouse_cases",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("report_id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("exploited", sa.Boolean(), nullable=False),
        sa.Column("embargo_status", sa.String(length=20), nullable=False),
        sa.Column("embargo_policy", sa.String(length=40), nullable=False),
        sa.Column("disclosure_at", UTCDateTime(), nullable=True),
        sa.Column("sla_due_at", UTCDateTime(), nullable=False),
        sa.Column("fixed_at", UTCDateTime(), nullable=True),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("advisory_id", sa.String(length=40), nullable=True),
        sa.Column("cve_id", sa.String(length=40), nullable=True),
        sa.Column("opened_by", sa.String(length=40), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["clearinghouse_reports.id"],
            name=op.f("fk_clearinghouse_cases_report_id_clearinghouse_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearinghouse_cases")),
        sa.UniqueConstraint("report_id", name=op.f("uq_clearinghouse_cases_report_id")),
    )
    with op.batch_alter_table("clearinghouse_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearinghouse_cases_status"), ["status"], unique=False)

    op.create_table(
        "clearinghouse_report_keys",
        sa.Column("report_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["clearinghouse_reports.id"],
            name=op.f("fk_clearinghouse_report_keys_report_id_clearinghouse_reports"),
        ),
        sa.PrimaryKeyConstraint("report_id", "key", name=op.f("pk_clearinghouse_report_keys")),
    )
    with op.batch_alter_table("clearinghouse_report_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearinghouse_report_keys_key"), ["key"], unique=False)

    op.create_table(
        "clearinghouse_reporters",
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("tool_name", sa.String(length=200), nullable=True),
        sa.Column("tool_version", sa.String(length=100), nullable=True),
        sa.Column("per_minute", sa.Integer(), nullable=False),
        sa.Column("per_day", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_clearinghouse_reporters_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_clearinghouse_reporters")),
    )
    op.create_table(
        "clearinghouse_validations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("report_id", sa.String(length=40), nullable=False),
        sa.Column("fix_id", sa.String(length=40), nullable=True),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=True),
        sa.Column("requested_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["clearinghouse_reports.id"],
            name=op.f("fk_clearinghouse_validations_report_id_clearinghouse_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearinghouse_validations")),
    )
    with op.batch_alter_table("clearinghouse_validations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearinghouse_validations_fix_id"), ["fix_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_clearinghouse_validations_report_id"), ["report_id"], unique=False)

    op.create_table(
        "clearinghouse_vendor_products",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("vendor_id", sa.String(length=40), nullable=False),
        sa.Column("purl_type", sa.String(length=40), nullable=True),
        sa.Column("purl_namespace", sa.String(length=200), nullable=True),
        sa.Column("purl_name", sa.String(length=200), nullable=True),
        sa.Column("cpe_vendor", sa.String(length=200), nullable=True),
        sa.Column("cpe_product", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["clearinghouse_vendors.id"],
            name=op.f("fk_clearinghouse_vendor_products_vendor_id_clearinghouse_vendors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearinghouse_vendor_products")),
    )
    with op.batch_alter_table("clearinghouse_vendor_products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearinghouse_vendor_products_cpe_vendor"), ["cpe_vendor"], unique=False)
        batch_op.create_index(batch_op.f("ix_clearinghouse_vendor_products_purl_type"), ["purl_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_clearinghouse_vendor_products_vendor_id"), ["vendor_id"], unique=False)

    op.create_table(
        "clearinghouse_case_vendors",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("vendor_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("added_how", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("justification", sa.String(length=60), nullable=True),
        sa.Column("statement", sa.Text(), nullable=True),
        sa.Column("added_by", sa.String(length=40), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=40), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["clearinghouse_cases.id"],
            name=op.f("fk_clearinghouse_case_vendors_case_id_clearinghouse_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["clearinghouse_vendors.id"],
            name=op.f("fk_clearinghouse_case_vendors_vendor_id_clearinghouse_vendors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearinghouse_case_vendors")),
        sa.UniqueConstraint("case_id", "vendor_id", name=op.f("uq_clearinghouse_case_vendors_case_id")),
    )
    with op.batch_alter_table("clearinghouse_case_vendors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearinghouse_case_vendors_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_clearinghouse_case_vendors_org_id"), ["org_id"], unique=False)

    op.create_table(
        "clearinghouse_embargo_revisions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("disclosure_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("agreed_by", sa.JSON(), nullable=False),
        sa.Column("proposed_by", sa.String(length=40), nullable=False),
        sa.Column("proposed_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=40), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["clearinghouse_cases.id"],
            name=op.f("fk_clearinghouse_embargo_revisions_case_id_clearinghouse_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearinghouse_embargo_revisions")),
    )
    with op.batch_alter_table("clearinghouse_embargo_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearinghouse_embargo_revisions_case_id"), ["case_id"], unique=False)

    op.create_table(
        "clearinghouse_fixes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("vendor_id", sa.String(length=40), nullable=True),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("fixed_version", sa.String(length=100), nullable=True),
        sa.Column("commit", sa.String(length=64), nullable=True),
        sa.Column("patch_sha256", sa.String(length=64), nullable=True),
        sa.Column("target", sa.JSON(), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("verified_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["clearinghouse_cases.id"], name=op.f("fk_clearinghouse_fixes_case_id_clearinghouse_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearinghouse_fixes")),
    )
    with op.batch_alter_table("clearinghouse_fixes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearinghouse_fixes_case_id"), ["case_id"], unique=False)

    op.create_table(
        "clearinghouse_messages",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("author_user_id", sa.String(length=40), nullable=False),
        sa.Column("author_org_id", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["clearinghouse_cases.id"], name=op.f("fk_clearinghouse_messages_case_id_clearinghouse_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearinghouse_messages")),
    )
    with op.batch_alter_table("clearinghouse_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearinghouse_messages_case_id"), ["case_id"], unique=False)

    op.create_table(
        "clearinghouse_publications",
        sa.Column("advisory_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("modified_at", UTCDateTime(), nullable=False),
        sa.Column("published_by", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["clearinghouse_cases.id"],
            name=op.f("fk_clearinghouse_publications_case_id_clearinghouse_cases"),
        ),
        sa.PrimaryKeyConstraint("advisory_id", name=op.f("pk_clearinghouse_publications")),
        sa.UniqueConstraint("case_id", name=op.f("uq_clearinghouse_publications_case_id")),
    )


def downgrade() -> None:
    op.drop_table("clearinghouse_publications")
    with op.batch_alter_table("clearinghouse_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearinghouse_messages_case_id"))

    op.drop_table("clearinghouse_messages")
    with op.batch_alter_table("clearinghouse_fixes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearinghouse_fixes_case_id"))

    op.drop_table("clearinghouse_fixes")
    with op.batch_alter_table("clearinghouse_embargo_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearinghouse_embargo_revisions_case_id"))

    op.drop_table("clearinghouse_embargo_revisions")
    with op.batch_alter_table("clearinghouse_case_vendors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearinghouse_case_vendors_org_id"))
        batch_op.drop_index(batch_op.f("ix_clearinghouse_case_vendors_case_id"))

    op.drop_table("clearinghouse_case_vendors")
    with op.batch_alter_table("clearinghouse_vendor_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearinghouse_vendor_products_vendor_id"))
        batch_op.drop_index(batch_op.f("ix_clearinghouse_vendor_products_purl_type"))
        batch_op.drop_index(batch_op.f("ix_clearinghouse_vendor_products_cpe_vendor"))

    op.drop_table("clearinghouse_vendor_products")
    with op.batch_alter_table("clearinghouse_validations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearinghouse_validations_report_id"))
        batch_op.drop_index(batch_op.f("ix_clearinghouse_validations_fix_id"))

    op.drop_table("clearinghouse_validations")
    op.drop_table("clearinghouse_reporters")
    with op.batch_alter_table("clearinghouse_report_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearinghouse_report_keys_key"))

    op.drop_table("clearinghouse_report_keys")
    with op.batch_alter_table("clearinghouse_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearinghouse_cases_status"))

    op.drop_table("clearinghouse_cases")
    op.drop_table("clearinghouse_vendors")
    with op.batch_alter_table("clearinghouse_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearinghouse_reports_submission_id"))
        batch_op.drop_index(batch_op.f("ix_clearinghouse_reports_status"))
        batch_op.drop_index(batch_op.f("ix_clearinghouse_reports_reporter_user_id"))
        batch_op.drop_index(batch_op.f("ix_clearinghouse_reports_product_key"))
        batch_op.drop_index(batch_op.f("ix_clearinghouse_reports_duplicate_of"))
        batch_op.drop_index(batch_op.f("ix_clearinghouse_reports_case_id"))

    op.drop_table("clearinghouse_reports")
    with op.batch_alter_table("clearinghouse_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearinghouse_submissions_reporter_user_id"))

    op.drop_table("clearinghouse_submissions")
    with op.batch_alter_table("clearinghouse_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearinghouse_outbox_topic"))

    op.drop_table("clearinghouse_outbox")
