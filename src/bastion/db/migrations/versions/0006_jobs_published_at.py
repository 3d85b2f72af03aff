"""Jobs delivered through a broker (Celery): when each job was last published.

Revision ID: 0006_jobs_published_at
Revises: 0005_keyed_audit
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bastion.db.base import UTCDateTime

revision: str = "0006_jobs_published_at"
down_revision: str | None = "0005_keyed_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("published_at", UTCDateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("published_at")
