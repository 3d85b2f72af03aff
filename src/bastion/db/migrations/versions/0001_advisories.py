"""The vulnerability database: advisories, aliases, affected packages and commits, KEV.

Revision ID: 0001_advisories
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bastion.db import UTCDateTime

revision: str = "0001_advisories"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "advisories",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("modified", UTCDateTime(), nullable=False),
        sa.Column("published", UTCDateTime(), nullable=True),
        sa.Column("withdrawn", UTCDateTime(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("raw_format", sa.String(8), nullable=False),
        sa.Column("raw_sha256", sa.String(64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "advisory_aliases",
        sa.Column(
            "advisory_id",
            sa.String(255),
            sa.ForeignKey("advisories.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("alias", sa.String(255), primary_key=True),
    )
    op.create_index("ix_advisory_aliases_alias", "advisory_aliases", ["alias"])
    op.create_table(
        "affected_packages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("advisory_id", sa.String(255), sa.ForeignKey("advisories.id", ondelete="CASCADE"), nullable=False),
        sa.Column("ecosystem", sa.String(100), nullable=False),
        sa.Column("ecosystem_release", sa.String(100), nullable=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("entry", sa.JSON(), nullable=False),
    )
    op.create_index("ix_affected_packages_lookup", "affected_packages", ["ecosystem", "name"])
    op.create_index("ix_affected_packages_advisory_id", "affected_packages", ["advisory_id"])
    op.create_table(
        "affected_commits",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("advisory_id", sa.String(255), sa.ForeignKey("advisories.id", ondelete="CASCADE"), nullable=False),
        sa.Column("commit", sa.String(64), nullable=False),
        sa.Column("affected_index", sa.Integer(), nullable=False),
    )
    op.create_index("ix_affected_commits_commit", "affected_commits", ["commit"])
    op.create_index("ix_affected_commits_advisory_id", "affected_commits", ["advisory_id"])
    op.create_table(
        "kev_entries",
        sa.Column("cve_id", sa.String(32), primary_key=True),
        sa.Column("vendor", sa.String(500), nullable=False),
        sa.Column("product", sa.String(500), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("date_added", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("known_ransomware_use", sa.String(32), nullable=True),
        sa.Column("required_action", sa.Text(), nullable=True),
        sa.Column("catalog_version", sa.String(64), nullable=False),
        sa.Column("raw_sha256", sa.String(64), nullable=False),
    )
    generation = op.create_table(
        "advisory_generation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(generation, [{"id": 1, "value": 0}])


def downgrade() -> None:
    for table in (
        "advisory_generation",
        "kev_entries",
        "affected_commits",
        "affected_packages",
        "advisory_aliases",
        "advisories",
    ):
        op.drop_table(table)
