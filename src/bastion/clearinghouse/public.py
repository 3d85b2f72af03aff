"""Records the clearinghouse hands out (service results and API responses alike)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bastion.clearinghouse.advisory import NotAffectedJustification, VendorStatus
from bastion.clearinghouse.dedupe import MatchKind
from bastion.clearinghouse.states import CaseStatus, EmbargoStatus, FixStatus, ReportStatus
from bastion.core.ids import (
    AdvisoryID,
    CaseID,
    CaseMessageID,
    ClaimID,
    EmbargoRevisionID,
    FindingID,
    FixID,
    NoticeID,
    ReportID,
    TrackingID,
    ValidationID,
    VendorID,
    VulnID,
)
from bastion.core.principal import OrgID, UserID


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class DuplicateNotice(_Record):
    """Why a report was recognised as known. ``report_id`` is shown only to whoever may see that report; a
    duplicate of an embargoed report says no more than that it is being coordinated."""

    kind: MatchKind
    message: str
    report_id: ReportID | None = None
    advisory_id: VulnID | None = None
    fixed_in: list[str] = Field(default_factory=list)


class ReportAck(_Record):
    id: ReportID = Field(description="The report's tracking id.")
    status: ReportStatus
    duplicate: DuplicateNotice | None = None
    message: str


class SubmissionAck(_Record):
    tracking_id: TrackingID = Field(description="The submission's tracking id (one upload may make many reports).")
    client_key: str
    source: str
    replayed: bool = Field(description="True when this client key was seen before: the first answer, again.")
    reports: list[ReportAck]


class ValidationPublic(_Record):
    id: ValidationID
    purpose: str
    status: str
    outcome: str | None
    detail: dict[str, Any]
    evidence_sha256: str | None
    created_at: datetime
    finished_at: datetime | None


class ReporterPublic(_Record):
    user_id: UserID
    kind: str
    tool_name: str | None
    tool_version: str | None
    per_minute: int
    per_day: int


class ReporterRecord(_Record):
    """A reporter's track record, shown to analysts beside each report."""

    reporter: ReporterPublic
    submitted: int
    validated: int
    not_reproduced: int
    needs_info: int
    accepted: int
    rejected: int
    duplicates: int


class ReportPublic(_Record):
    id: ReportID
    status: ReportStatus
    source: str
    reporter_user_id: UserID | None = Field(description="Shown to analysts and to the reporter's own organisation.")
    reporter_kind: str
    tool_name: str | None
    tool_version: str | None
    classification: str
    title: str
    description: str
    purl: str | None
    cpe: str | None
    affected: dict[str, Any]
    cwe: str | None
    cvss_vector: str | None
    cvss_score: float | None
    severity: str
    aliases: list[str]
    location: dict[str, Any] | None
    crash_state: list[str]
    reproducer: dict[str, Any] | None
    target: dict[str, Any] | None
    fixed_target: dict[str, Any] | None
    duplicate_of: str | None
    duplicate_advisory: str | None
    duplicate_reason: str | None
    known_fixed_in: list[str]
    review_finding_id: FindingID | None
    case_id: CaseID | None
    validations: list[ValidationPublic]
    reporter_record: ReporterRecord | None = Field(default=None, description="Shown to analysts.")
    created_at: datetime
    updated_at: datetime


class ReportsPublic(_Record):
    data: list[ReportPublic]
    count: int


class RegistryClaimPublic(_Record):
    id: ClaimID
    purl_type: str | None
    purl_namespace: str | None
    purl_name: str | None
    cpe_vendor: str | None
    cpe_product: str | None


class VendorPublic(_Record):
    id: VendorID
    org_id: OrgID
    name: str
    products: list[RegistryClaimPublic]


class VendorsPublic(_Record):
    data: list[VendorPublic]
    count: int


class CaseVendorPublic(_Record):
    vendor_id: VendorID
    org_id: OrgID
    name: str
    added_how: str
    status: VendorStatus
    justification: NotAffectedJustification | None
    statement: str | None
    updated_at: datetime


class RevisionPublic(_Record):
    id: EmbargoRevisionID
    disclosure_at: datetime
    reason: str
    status: str
    agreed_by: list[dict[str, Any]] = Field(
        description="Each agreement's org_id and time; its user_id only to analysts and that organisation."
    )
    proposed_by: str | None = Field(description="A user id, shown to analysts and the proposer's organisation.")
    proposed_at: datetime
    decided_by: str | None = Field(description="A user id, shown to analysts (and the decider's organisation).")
    decided_at: datetime | None


class EmbargoPublic(_Record):
    status: EmbargoStatus
    policy: str
    disclosure_at: datetime | None
    revisions: list[RevisionPublic]


class FixPublic(_Record):
    id: FixID
    case_id: CaseID
    vendor_id: VendorID | None
    origin: str
    fixed_version: str | None
    commit: str | None
    patch_sha256: str | None
    model: str | None
    status: FixStatus
    detail: dict[str, Any]
    submitted_by: str | None = Field(description="A user id (or 'system'), shown to analysts and the submitter.")
    created_at: datetime
    verified_at: datetime | None


class MessagePublic(_Record):
    id: CaseMessageID
    case_id: CaseID
    author_user_id: UserID | None = Field(description="Shown to analysts and the author's organisation.")
    author_org_id: OrgID
    from_reporter: bool = Field(description="Written by the case's reporter.")
    body: str
    created_at: datetime


class CasePublic(_Record):
    id: CaseID
    report_id: ReportID
    title: str
    severity: str
    status: CaseStatus
    classification: str
    exploited: bool
    embargo: EmbargoPublic
    sla_due_at: datetime
    fixed_at: datetime | None
    published_at: datetime | None
    closed_at: datetime | None
    advisory_id: AdvisoryID | None
    vendors: list[CaseVendorPublic]
    fixes: list[FixPublic]
    opened_at: datetime
    report: ReportPublic


class CasesPublic(_Record):
    data: list[CasePublic]
    count: int


class MessagesPublic(_Record):
    data: list[MessagePublic]
    count: int


class PublicationPublic(_Record):
    advisory_id: AdvisoryID
    case_id: CaseID
    revision: int
    published_at: datetime
    advisory: dict[str, Any] = Field(description="The PublishedAdvisory record every format is written from.")
    osv: dict[str, Any] | None = Field(default=None, description="The OSV record put into the advisories database.")


class PublicationsPublic(_Record):
    data: list[PublicationPublic]
    count: int


class OutboxMessagePublic(_Record):
    id: NoticeID
    topic: str
    payload: dict[str, Any]
    created_at: datetime
    delivered_at: datetime | None


class OutboxPublic(_Record):
    data: list[OutboxMessagePublic]
    count: int


class TickResult(_Record):
    reminders: int
    escalations: int
    published: list[str]
