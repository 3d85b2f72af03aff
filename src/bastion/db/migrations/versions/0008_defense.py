"""Defense slice: agencies' systems, projects, inventory versions and their components, exposures, VEX
statements, EPSS scores.

Revision ID: 0008_defense
Revises: 0007_clearinghouse
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bastion.db.base import UTCDateTime

revision: str = "0008_defense"
down_revision: str | None = "0007_clearinghouse"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "defense_systems",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("exposure", sa.String(length=20), nullable=False),
        sa.Column("mission_impact", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_defense_systems")),
        sa.UniqueConstraint("org_id", "name", name=op.f("uq_defense_systems_org_id")),
    )
    op.create_index(op.f("ix_defense_systems_org_id"), "defense_systems", ["org_id"])
    op.create_table(
        "defense_projects",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("system_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"], ["defense_systems.id"], name=op.f("fk_defense_projects_system_id_defense_systems")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_defense_projects")),
        sa.UniqueConstraint("system_id", "name", name=op.f("uq_defense_projects_system_id")),
    )
    op.create_index(op.f("ix_defense_projects_org_id"), "defense_projects", ["org_id"])
    op.create_index(op.f("ix_defense_projects_system_id"), "defense_projects", ["system_id"])
    op.create_table(
        "defense_versions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("format", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("component_count", sa.Integer(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["defense_projects.id"], name=op.f("fk_defense_versions_project_id_defense_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_defense_versions")),
        sa.UniqueConstraint("project_id", "number", name=op.f("uq_defense_versions_project_id")),
    )
    op.create_index(op.f("ix_defense_versions_org_id"), "defense_versions", ["org_id"])
    op.create_index(op.f("ix_defense_versions_project_id"), "defense_versions", ["project_id"])
    op.create_index(op.f("ix_defense_versions_current"), "defense_versions", ["current"])
    op.create_table(
        "defense_components",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version_id", sa.String(length=40), nullable=False),
        sa.Column("purl", sa.Text(), nullable=True),
        sa.Column("display_name", sa.String(length=500), nullable=False),
        sa.Column("ecosystem", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column("version", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"], ["defense_versions.id"], name=op.f("fk_defense_components_version_id_defense_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_defense_components")),
    )
    op.create_index("ix_defense_components_package", "defense_components", ["ecosystem", "name"])
    op.create_index(op.f("ix_defense_components_version_id"), "defense_components", ["version_id"])
    op.create_table(
        "defense_exposures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("version_id", sa.String(length=40), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("advisory_id", sa.String(length=255), nullable=False),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("cause", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["defense_components.id"],
            name=op.f("fk_defense_exposures_component_id_defense_components"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["defense_projects.id"], name=op.f("fk_defense_exposures_project_id_defense_projects")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["defense_versions.id"], name=op.f("fk_defense_exposures_version_id_defense_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_defense_exposures")),
        sa.UniqueConstraint("component_id", "advisory_id", name=op.f("uq_defense_exposures_component_id")),
    )
    for column in ("org_id", "project_id", "version_id", "component_id", "advisory_id"):
        op.create_index(op.f(f"ix_defense_exposures_{column}"), "defense_exposures", [column])
    op.create_table(
        "defense_vex",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=True),
        sa.Column("advisory_id", sa.String(length=255), nullable=False),
        sa.Column("package", sa.String(length=500), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("justification", sa.String(length=60), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["defense_projects.id"], name=op.f("fk_defense_vex_project_id_defense_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_defense_vex")),
    )
    op.create_index(op.f("ix_defense_vex_org_id"), "defense_vex", ["org_id"])
    op.create_index(op.f("ix_defense_vex_advisory_id"), "defense_vex", ["advisory_id"])
    op.create_table(
        "defense_epss",
        sa.Column("cve_id", sa.String(length=32), nullable=False),
        sa.Column("epss", sa.Float(), nullable=False),
        sa.Column("percentile", sa.Float(), nullable=False),
        sa.Column("score_date", sa.Date(), nullable=True),
        sa.Column("model_version", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("cve_id", name=op.f("pk_defense_epss")),
    )


def downgrade() -> None:
    for table in (
        "defense_epss",
        "defense_vex",
        "defense_exposures",
        "defense_components",
        "defense_versions",
        "defense_projects",
        "defense_systems",
    ):
        op.drop_table(table)
