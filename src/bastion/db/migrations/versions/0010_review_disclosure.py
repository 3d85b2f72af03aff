"""Review disclosure: evaluation scores live only in the evidence they came from; extensions know whose side
proposed them.

- ``review_submissions.evaluation_scores`` and ``reference_scores`` go. Scores are review content: they keep
  the marking and need to know of the evaluation-summary evidence they came from, and the selection engine
  reads them from that evidence on the server. The copies merged into the submission (readable by the lab and
  by agency staff not on the review) and the figures labs wrote themselves are dropped.
- ``review_extensions.proposed_by_org``: the organisation of whoever proposed an extension, so a lab is shown
  its own people's ids and never programme staff's. Filled from ``users`` for existing rows.

Revision ID: 0010_review_disclosure
Revises: 0009_defense_alerts
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_review_disclosure"
down_revision: str | None = "0009_defense_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Native DROP COLUMN (SQLite >= 3.35, PostgreSQL): a batch copy of review_submissions would have to drop a
    # table other tables' rows refer to, which SQLite refuses with foreign keys on.
    for column in ("evaluation_scores", "reference_scores"):
        op.execute(f"ALTER TABLE review_submissions DROP COLUMN {column}")
    op.add_column("review_extensions", sa.Column("proposed_by_org", sa.String(40), nullable=True))
    op.execute(
        "UPDATE review_extensions SET proposed_by_org = "
        "(SELECT users.org_id FROM users WHERE users.id = review_extensions.proposed_by)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE review_extensions DROP COLUMN proposed_by_org")
    for column in ("evaluation_scores", "reference_scores"):
        op.add_column("review_submissions", sa.Column(column, sa.JSON(), nullable=False, server_default="{}"))
