"""Tables of the defense slice. The migration ``0008_defense`` creates exactly these.

An agency (``org_id``) registers *systems* (what it runs, with the exposure and mission impact it declares)
and *projects* inside them; each upload of an SBOM or a lockfile is a new *version* of a project, with its
*components* identified by purl. *Exposures* are the matches of the current version's components against the
advisory database, kept so that a change of advisories finds only what is new. *VEX statements* are analysts'
decisions and imported vendor statements, keyed by project, advisory and package (never by version), so they
survive the next SBOM. EPSS scores come from a local FIRST CSV and are programme-wide.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bastion.core.ids import ProjectID, SystemID, VersionID, VexStatementID, VulnID
from bastion.core.principal import OrgID
from bastion.db.base import Base, UTCDateTime


class SystemRow(Base):
    """A system an agency runs: how exposed it is and what its compromise would cost (SSVC inputs)."""

    __tablename__ = "defense_systems"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[SystemID] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[OrgID] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    exposure: Mapped[str] = mapped_column(String(20))  # small | controlled | open (SSVC system exposure)
    mission_impact: Mapped[str] = mapped_column(String(20))  # low | medium | high (SSVC mission & well-being)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProjectRow(Base):
    """A piece of software inside a system whose inventory is uploaded over time (its versions)."""

    __tablename__ = "defense_projects"
    __table_args__ = (UniqueConstraint("system_id", "name"),)

    id: Mapped[ProjectID] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[OrgID] = mapped_column(String(40), index=True)
    system_id: Mapped[SystemID] = mapped_column(String(40), ForeignKey("defense_systems.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VersionRow(Base):
    """One uploaded inventory of a project (an SBOM or a lockfile); the newest is ``current``."""

    __tablename__ = "defense_versions"
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: Mapped[VersionID] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[OrgID] = mapped_column(String(40), index=True)
    project_id: Mapped[ProjectID] = mapped_column(String(40), ForeignKey("defense_projects.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per project
    label: Mapped[str] = mapped_column(String(200))  # what the agency calls it ("2.4.1", a commit, a date)
    format: Mapped[str] = mapped_column(String(40))  # e.g. cyclonedx-json, spdx-tag-value, poetry.lock
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    component_count: Mapped[int] = mapped_column(Integer)
    current: Mapped[bool] = mapped_column(Boolean, index=True)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ComponentRow(Base):
    """A component of one version. ``ecosystem``/``name`` (as the advisory database normalises them) are set
    when the purl names an OSV ecosystem; such components are matched."""

    __tablename__ = "defense_components"
    __table_args__ = (Index("ix_defense_components_package", "ecosystem", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[VersionID] = mapped_column(String(40), ForeignKey("defense_versions.id"), index=True)
    purl: Mapped[str | None] = mapped_column(Text, nullable=True)
    display_name: Mapped[str] = mapped_column(String(500))
    ecosystem: Mapped[str | None] = mapped_column(String(100), nullable=True)
    name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    version: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ExposureRow(Base):
    """An advisory affecting a component of a project's current version (withdrawn advisories never)."""

    __tablename__ = "defense_exposures"
    __table_args__ = (UniqueConstraint("component_id", "advisory_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[OrgID] = mapped_column(String(40), index=True)
    project_id: Mapped[ProjectID] = mapped_column(String(40), ForeignKey("defense_projects.id"), index=True)
    version_id: Mapped[VersionID] = mapped_column(String(40), ForeignKey("defense_versions.id"), index=True)
    component_id: Mapped[int] = mapped_column(Integer, ForeignKey("defense_components.id"), index=True)
    advisory_id: Mapped[VulnID] = mapped_column(String(255), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cause: Mapped[str] = mapped_column(String(20))  # upload | advisories (a re-match)


class VexRow(Base):
    """An analyst's decision or an imported VEX statement about one advisory on one package.

    ``project_id`` None: it applies to every project of the agency (an imported vendor statement).
    ``package`` is the purl without version; ``version`` None: every version (so it survives new SBOMs).
    """

    __tablename__ = "defense_vex"

    id: Mapped[VexStatementID] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[OrgID] = mapped_column(String(40), index=True)
    project_id: Mapped[ProjectID | None] = mapped_column(String(40), ForeignKey("defense_projects.id"), nullable=True)
    advisory_id: Mapped[VulnID] = mapped_column(String(255), index=True)
    package: Mapped[str] = mapped_column(String(500))
    version: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(30))  # not_affected | affected | fixed | under_investigation
    justification: Mapped[str | None] = mapped_column(String(60), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20))  # analyst | vendor
    source_name: Mapped[str] = mapped_column(String(200))  # who said it (a user id, a vendor, a document)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EpssRow(Base):
    """FIRST's EPSS score for one CVE, from the last imported CSV."""

    __tablename__ = "defense_epss"

    cve_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    epss: Mapped[float] = mapped_column(Float)
    percentile: Mapped[float] = mapped_column(Float)
    score_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    model_version: Mapped[str] = mapped_column(String(60))
