"""Tables of the clearinghouse slice. The migration ``0006_clearinghouse`` creates exactly these.

Uploaded files (reproducers, targets, patches, sandbox logs) live content-addressed under
``data_dir/clearinghouse/blobs``; rows keep their names, sizes and SHA-256 digests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bastion.clearinghouse.advisory import VendorStatus
from bastion.clearinghouse.states import CaseStatus, EmbargoStatus, FixStatus, ReportStatus
from bastion.core.ids import (
    CaseID,
    CaseMessageID,
    CveID,
    EmbargoRevisionID,
    FindingID,
    FixID,
    ReportID,
    ValidationID,
    VendorID,
)
from bastion.core.principal import OrgID, UserID
from bastion.db.base import Base, EnumText, UTCDateTime


class ReporterRow(Base):
    """A reporter's profile: a person, or an AI tool (named and versioned) with its own token; its limits."""

    __tablename__ = "clearinghouse_reporters"

    user_id: Mapped[UserID] = mapped_column(String(40), ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # person | ai_tool
    tool_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    tool_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    per_minute: Mapped[int] = mapped_column(Integer)
    per_day: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SubmissionRow(Base):
    """One intake call (a report, a SARIF or OSV upload, a flagged finding): the client's idempotency key."""

    __tablename__ = "clearinghouse_submissions"
    __table_args__ = (UniqueConstraint("reporter_user_id", "client_key"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    reporter_user_id: Mapped[UserID] = mapped_column(String(40), index=True)
    client_key: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(20))
    report_ids: Mapped[list[ReportID]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReportRow(Base):
    __tablename__ = "clearinghouse_reports"

    id: Mapped[ReportID] = mapped_column(String(40), primary_key=True)
    submission_id: Mapped[str] = mapped_column(String(40), ForeignKey("clearinghouse_submissions.id"), index=True)
    reporter_user_id: Mapped[UserID] = mapped_column(String(40), index=True)
    reporter_org_id: Mapped[OrgID] = mapped_column(String(40))
    reporter_kind: Mapped[str] = mapped_column(String(20))
    tool_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    tool_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    source: Mapped[str] = mapped_column(String(20))
    status: Mapped[ReportStatus] = mapped_column(EnumText(ReportStatus, 20), index=True)
    classification: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    purl: Mapped[str | None] = mapped_column(String(500), nullable=True)
    cpe: Mapped[str | None] = mapped_column(String(500), nullable=True)
    product_key: Mapped[str] = mapped_column(String(500), index=True)
    affected: Mapped[dict[str, Any]] = mapped_column(JSON)
    cwe: Mapped[str | None] = mapped_column(String(20), nullable=True)
    cvss_vector: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cvss_version: Mapped[str | None] = mapped_column(String(5), nullable=True)
    cvss_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    severity: Mapped[str] = mapped_column(String(10))
    aliases: Mapped[list[str]] = mapped_column(JSON)
    location: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    crash_state: Mapped[list[str]] = mapped_column(JSON)
    reproducer: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    target: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    fixed_target: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    references: Mapped[list[str]] = mapped_column(JSON)
    review_finding_id: Mapped[FindingID | None] = mapped_column(String(40), nullable=True, unique=True)
    duplicate_of: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    duplicate_advisory: Mapped[str | None] = mapped_column(String(255), nullable=True)
    duplicate_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    known_fixed_in: Mapped[list[str]] = mapped_column(JSON)
    case_id: Mapped[CaseID | None] = mapped_column(String(40), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ReportKeyRow(Base):
    """Lookup keys of a report for deduplication: ``a:`` alias, ``f:`` fingerprint, ``p:`` product word,
    ``t:`` wording key. Candidates are found by key, then decided by ``dedupe.find_duplicate``."""

    __tablename__ = "clearinghouse_report_keys"

    report_id: Mapped[ReportID] = mapped_column(String(40), ForeignKey("clearinghouse_reports.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), primary_key=True, index=True)


class ValidationRow(Base):
    """One sandbox run: a report's reproducer, the declared fixed version, a vendor's fix or a patch."""

    __tablename__ = "clearinghouse_validations"

    id: Mapped[ValidationID] = mapped_column(String(40), primary_key=True)
    report_id: Mapped[ReportID] = mapped_column(String(40), ForeignKey("clearinghouse_reports.id"), index=True)
    fix_id: Mapped[FixID | None] = mapped_column(String(40), nullable=True, index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # report | fix
    job_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # queued | done | error
    outcome: Mapped[str | None] = mapped_column(String(30), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    evidence_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    requested_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class VendorRow(Base):
    __tablename__ = "clearinghouse_vendors"

    id: Mapped[VendorID] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[OrgID] = mapped_column(String(40), ForeignKey("organisations.id"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VendorProductRow(Base):
    """A claim in the vendor registry: a purl namespace (name ``*`` = all of it) or a CPE vendor/product."""

    __tablename__ = "clearinghouse_vendor_products"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    vendor_id: Mapped[VendorID] = mapped_column(String(40), ForeignKey("clearinghouse_vendors.id"), index=True)
    purl_type: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    purl_namespace: Mapped[str | None] = mapped_column(String(200), nullable=True)
    purl_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cpe_vendor: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    cpe_product: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseRow(Base):
    __tablename__ = "clearinghouse_cases"

    id: Mapped[CaseID] = mapped_column(String(40), primary_key=True)
    report_id: Mapped[ReportID] = mapped_column(String(40), ForeignKey("clearinghouse_reports.id"), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[CaseStatus] = mapped_column(EnumText(CaseStatus, 20), index=True)
    classification: Mapped[int] = mapped_column(Integer)
    exploited: Mapped[bool] = mapped_column(Boolean)
    embargo_status: Mapped[EmbargoStatus] = mapped_column(EnumText(EmbargoStatus, 20))
    embargo_policy: Mapped[str] = mapped_column(String(40))
    disclosure_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sla_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    advisory_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    cve_id: Mapped[CveID | None] = mapped_column(String(40), nullable=True)
    opened_by: Mapped[str] = mapped_column(String(40))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CaseVendorRow(Base):
    """A vendor taking part in a case, with its answer (the CSAF / VEX product status)."""

    __tablename__ = "clearinghouse_case_vendors"
    __table_args__ = (UniqueConstraint("case_id", "vendor_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[CaseID] = mapped_column(String(40), ForeignKey("clearinghouse_cases.id"), index=True)
    vendor_id: Mapped[VendorID] = mapped_column(String(40), ForeignKey("clearinghouse_vendors.id"))
    org_id: Mapped[OrgID] = mapped_column(String(40), index=True)
    added_how: Mapped[str] = mapped_column(String(20))  # registry | analyst
    status: Mapped[VendorStatus] = mapped_column(EnumText(VendorStatus, 30))
    justification: Mapped[str | None] = mapped_column(String(60), nullable=True)
    statement: Mapped[str | None] = mapped_column(Text, nullable=True)
    added_by: Mapped[str] = mapped_column(String(40))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MessageRow(Base):
    __tablename__ = "clearinghouse_messages"

    id: Mapped[CaseMessageID] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[CaseID] = mapped_column(String(40), ForeignKey("clearinghouse_cases.id"), index=True)
    author_user_id: Mapped[UserID] = mapped_column(String(40))
    author_org_id: Mapped[OrgID] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EmbargoRevisionRow(Base):
    """A proposed change of the disclosure date; who agreed, and the analyst's decision."""

    __tablename__ = "clearinghouse_embargo_revisions"

    id: Mapped[EmbargoRevisionID] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[CaseID] = mapped_column(String(40), ForeignKey("clearinghouse_cases.id"), index=True)
    disclosure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # proposed | accepted | rejected
    agreed_by: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{user_id, org_id, at}]
    proposed_by: Mapped[str] = mapped_column(String(40))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class FixRow(Base):
    """A vendor's declared fix (a version, a commit, a patch) or a patch candidate from anyone (an AI patcher)."""

    __tablename__ = "clearinghouse_fixes"

    id: Mapped[FixID] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[CaseID] = mapped_column(String(40), ForeignKey("clearinghouse_cases.id"), index=True)
    vendor_id: Mapped[VendorID | None] = mapped_column(String(40), nullable=True)
    origin: Mapped[str] = mapped_column(String(20))  # vendor | candidate | ai_patcher
    fixed_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    commit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    patch_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    target: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[FixStatus] = mapped_column(EnumText(FixStatus, 20))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PublicationRow(Base):
    """A published advisory: the ``PublishedAdvisory`` record every format is written from."""

    __tablename__ = "clearinghouse_publications"

    advisory_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[CaseID] = mapped_column(String(40), ForeignKey("clearinghouse_cases.id"), unique=True)
    revision: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by: Mapped[str | None] = mapped_column(String(40), nullable=True)


class OutboxRow(Base):
    """Reminders, escalations and notices for delivery adapters; ``dedupe_key`` sends each once."""

    __tablename__ = "clearinghouse_outbox"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    topic: Mapped[str] = mapped_column(String(60), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
