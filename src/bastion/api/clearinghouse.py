"""/api/clearinghouse: reports in (a person, an AI tool, SARIF, OSV, a flagged review finding), the analysts'
queue and decisions, vendors, cases with their embargo, thread and fixes, publication. Thin: parse, call one
``Clearinghouse`` service, return its record. Jobs (sandbox validation, the AI patcher) run in workers."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from pydantic import ConfigDict, Field

from bastion.api.auth import PrincipalDep
from bastion.api.deps import ContainerDep
from bastion.api.limits import EVIDENCE_BODY  # reports, fixes and patches carry files in their JSON
from bastion.clearinghouse import (
    AffectedRange,
    AiPatchRequest,
    CaseClose,
    CasePublic,
    CasesPublic,
    CaseStatus,
    ClaimIn,
    Clearinghouse,
    ExploitedMark,
    FixDeclaration,
    FixPublic,
    Level,
    MessageCreate,
    MessagePublic,
    MessagesPublic,
    MoreInformation,
    OutboxMessagePublic,
    OutboxPublic,
    PatchCandidate,
    PublicationPublic,
    PublicationsPublic,
    PublishRequest,
    ReportDecision,
    ReporterRecord,
    ReporterRegistration,
    ReportPublic,
    ReportsPublic,
    ReportStatus,
    ReportSubmission,
    RevisionCreate,
    RevisionDecision,
    SarifProduct,
    SubmissionAck,
    TickResult,
    VendorAdd,
    VendorCreate,
    VendorPublic,
    VendorsPublic,
    VendorStatusUpdate,
)
from bastion.core.fields import RequestBody
from bastion.core.ids import AdvisoryID, CaseID, EmbargoRevisionID, FindingID, NoticeID, ReportID, VendorID
from bastion.core.principal import UserID

router = APIRouter(prefix="/api/clearinghouse")
_reports: list[str | Enum] = ["clearinghouse: reports"]
_cases: list[str | Enum] = ["clearinghouse: cases"]
_registry: list[str | Enum] = ["clearinghouse: vendors and reporters"]
_published: list[str | Enum] = ["clearinghouse: publications"]
_CREATED = status.HTTP_201_CREATED


def _clearinghouse(container: ContainerDep) -> Clearinghouse:
    return container.clearinghouse


ClearinghouseDep = Annotated[Clearinghouse, Depends(_clearinghouse)]


class SarifUpload(RequestBody):
    """A SARIF 2.1.0 log and the product it is about (SARIF does not say)."""

    model_config = ConfigDict(extra="forbid")
    client_key: str = Field(min_length=1, max_length=200)
    sarif: dict[str, Any]
    purl: str | None = Field(default=None, max_length=500)
    cpe: str | None = Field(default=None, max_length=500)
    affected: AffectedRange = Field(default_factory=AffectedRange)
    min_level: str = Field(default="warning", description="none, note, warning or error.")


class OsvUpload(RequestBody):
    model_config = ConfigDict(extra="forbid")
    client_key: str = Field(min_length=1, max_length=200)
    records: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


class FindingFlag(RequestBody):
    model_config = ConfigDict(extra="forbid")
    release_reason: str | None = Field(
        default=None, max_length=5000, description="The release decision, for a finding marked above CUI."
    )
    purl: str | None = Field(default=None, max_length=500, description="The product, if the finding names none.")
    cpe: str | None = Field(default=None, max_length=500, description="The product's CPE 2.3 name.")


# --- intake -----------------------------------------------------------------------------------------------


@router.post(
    "/reports",
    tags=_reports,
    status_code=_CREATED,
    summary="Submit a report (a person or an AI tool)",
    openapi_extra=EVIDENCE_BODY,
)
def submit_report(body: ReportSubmission, actor: PrincipalDep, ch: ClearinghouseDep) -> SubmissionAck:
    return ch.intake.submit(actor, body)


@router.post(
    "/reports/sarif",
    tags=_reports,
    status_code=_CREATED,
    summary="Submit a SARIF 2.1.0 log (many reports)",
    openapi_extra=EVIDENCE_BODY,
)
def submit_sarif(body: SarifUpload, actor: PrincipalDep, ch: ClearinghouseDep) -> SubmissionAck:
    product = SarifProduct(purl=body.purl, cpe=body.cpe, affected=body.affected)
    return ch.intake.submit_sarif(
        actor, client_key=body.client_key, document=body.sarif, product=product, min_level=Level.parse(body.min_level)
    )


@router.post(
    "/reports/osv",
    tags=_reports,
    status_code=_CREATED,
    summary="Submit OSV records (a report each)",
    openapi_extra=EVIDENCE_BODY,
)
def submit_osv(body: OsvUpload, actor: PrincipalDep, ch: ClearinghouseDep) -> SubmissionAck:
    return ch.intake.submit_osv(actor, client_key=body.client_key, records=body.records)


@router.post(
    "/findings/{finding_id}/report",
    tags=_reports,
    status_code=_CREATED,
    summary="A review finding flagged for the clearinghouse becomes a report (keeps its marking)",
)
def flag_finding(finding_id: str, body: FindingFlag, actor: PrincipalDep, ch: ClearinghouseDep) -> SubmissionAck:
    return ch.intake.flag_finding(
        actor, FindingID(finding_id), release_reason=body.release_reason, purl=body.purl, cpe=body.cpe
    )


# --- reports ----------------------------------------------------------------------------------------------


@router.get("/reports", tags=_reports, summary="Reports you may see (analysts: the queue); q searches text")
def list_reports(
    actor: PrincipalDep,
    ch: ClearinghouseDep,
    status: ReportStatus | None = None,
    q: str | None = None,
    mine: bool = False,
) -> ReportsPublic:
    return ch.reports.list(actor, status=status, q=q, mine=mine)


@router.get("/reports/{report_id}", tags=_reports, summary="One report, with its validations")
def get_report(report_id: str, actor: PrincipalDep, ch: ClearinghouseDep) -> ReportPublic:
    return ch.reports.get(actor, ReportID(report_id))


@router.post("/reports/{report_id}/decision", tags=_reports, summary="Accept (opens a case), reject, ... (analysts)")
def decide_report(report_id: str, body: ReportDecision, actor: PrincipalDep, ch: ClearinghouseDep) -> ReportPublic:
    return ch.reports.decide(actor, ReportID(report_id), body)


@router.post(
    "/reports/{report_id}/information",
    tags=_reports,
    summary="Add what a report needs (its reporter)",
    openapi_extra=EVIDENCE_BODY,
)
def add_information(report_id: str, body: MoreInformation, actor: PrincipalDep, ch: ClearinghouseDep) -> ReportPublic:
    return ch.reports.add_information(actor, ReportID(report_id), body)


# --- reporters and vendors --------------------------------------------------------------------------------


@router.put("/reporters", tags=_registry, summary="Register a reporter (an AI tool: name, version, limits)")
def register_reporter(body: ReporterRegistration, actor: PrincipalDep, ch: ClearinghouseDep) -> ReporterRecord:
    return ch.reporters.register(actor, body)


@router.get("/reporters", tags=_registry, summary="Reporters and their records (analysts)")
def list_reporters(actor: PrincipalDep, ch: ClearinghouseDep) -> list[ReporterRecord]:
    return ch.reporters.all(actor)


@router.get("/reporters/{user_id}", tags=_registry, summary="A reporter's record (analysts, or the reporter)")
def get_reporter(user_id: str, actor: PrincipalDep, ch: ClearinghouseDep) -> ReporterRecord:
    return ch.reporters.record(actor, UserID(user_id))


@router.post("/vendors", tags=_registry, status_code=_CREATED, summary="Add a vendor to the registry (analysts)")
def register_vendor(body: VendorCreate, actor: PrincipalDep, ch: ClearinghouseDep) -> VendorPublic:
    return ch.vendors.register(actor, body)


@router.post("/vendors/{vendor_id}/products", tags=_registry, summary="Claim a purl namespace or CPE product")
def add_vendor_product(vendor_id: str, body: ClaimIn, actor: PrincipalDep, ch: ClearinghouseDep) -> VendorPublic:
    return ch.vendors.add_product(actor, VendorID(vendor_id), body)


@router.get("/vendors", tags=_registry, summary="The vendor registry (analysts; a vendor: its own entry)")
def list_vendors(actor: PrincipalDep, ch: ClearinghouseDep) -> VendorsPublic:
    return ch.vendors.list(actor)


# --- cases ------------------------------------------------------------------------------------------------


@router.get("/cases", tags=_cases, summary="Cases you take part in (analysts: all)")
def list_cases(actor: PrincipalDep, ch: ClearinghouseDep, status: CaseStatus | None = None) -> CasesPublic:
    return ch.cases.list(actor, status=status)


@router.get("/cases/{case_id}", tags=_cases, summary="One case: vendors, embargo, fixes, the report")
def get_case(case_id: str, actor: PrincipalDep, ch: ClearinghouseDep) -> CasePublic:
    return ch.cases.get(actor, CaseID(case_id))


@router.post("/cases/{case_id}/vendors", tags=_cases, summary="Add a vendor to a case (analysts)")
def add_case_vendor(case_id: str, body: VendorAdd, actor: PrincipalDep, ch: ClearinghouseDep) -> CasePublic:
    return ch.cases.add_vendor(actor, CaseID(case_id), body)


@router.put("/cases/{case_id}/vendors/{vendor_id}", tags=_cases, summary="A vendor's status (affected, fixed, ...)")
def set_vendor_status(
    case_id: str, vendor_id: str, body: VendorStatusUpdate, actor: PrincipalDep, ch: ClearinghouseDep
) -> CasePublic:
    return ch.cases.set_vendor_status(actor, CaseID(case_id), VendorID(vendor_id), body)


@router.get("/cases/{case_id}/messages", tags=_cases, summary="The case's thread")
def list_messages(case_id: str, actor: PrincipalDep, ch: ClearinghouseDep) -> MessagesPublic:
    return ch.cases.messages(actor, CaseID(case_id))


@router.post("/cases/{case_id}/messages", tags=_cases, status_code=_CREATED, summary="Write in the case's thread")
def post_message(case_id: str, body: MessageCreate, actor: PrincipalDep, ch: ClearinghouseDep) -> MessagePublic:
    return ch.cases.post_message(actor, CaseID(case_id), body)


@router.post("/cases/{case_id}/exploited", tags=_cases, summary="Exploited in the wild: shortens the embargo")
def mark_exploited(case_id: str, body: ExploitedMark, actor: PrincipalDep, ch: ClearinghouseDep) -> CasePublic:
    return ch.cases.mark_exploited(actor, CaseID(case_id), body)


@router.post("/cases/{case_id}/close", tags=_cases, summary="Close the case, with its resolution (analysts)")
def close_case(case_id: str, body: CaseClose, actor: PrincipalDep, ch: ClearinghouseDep) -> CasePublic:
    return ch.cases.close(actor, CaseID(case_id), body)


@router.post("/cases/{case_id}/embargo", tags=_cases, status_code=_CREATED, summary="Propose a disclosure date")
def propose_embargo(case_id: str, body: RevisionCreate, actor: PrincipalDep, ch: ClearinghouseDep) -> CasePublic:
    return ch.embargo.propose(actor, CaseID(case_id), body)


@router.post("/cases/{case_id}/embargo/{revision_id}/agree", tags=_cases, summary="Agree to a proposed date")
def agree_embargo(case_id: str, revision_id: str, actor: PrincipalDep, ch: ClearinghouseDep) -> CasePublic:
    return ch.embargo.agree(actor, CaseID(case_id), EmbargoRevisionID(revision_id))


@router.post("/cases/{case_id}/embargo/{revision_id}/decision", tags=_cases, summary="Accept or reject (analysts)")
def decide_embargo(
    case_id: str, revision_id: str, body: RevisionDecision, actor: PrincipalDep, ch: ClearinghouseDep
) -> CasePublic:
    return ch.embargo.decide(actor, CaseID(case_id), EmbargoRevisionID(revision_id), body)


@router.post(
    "/cases/{case_id}/fixes",
    tags=_cases,
    status_code=_CREATED,
    summary="Declare a fix (vendors)",
    openapi_extra=EVIDENCE_BODY,
)
def declare_fix(case_id: str, body: FixDeclaration, actor: PrincipalDep, ch: ClearinghouseDep) -> FixPublic:
    return ch.fixes.declare(actor, CaseID(case_id), body)


@router.post(
    "/cases/{case_id}/patches",
    tags=_cases,
    status_code=_CREATED,
    summary="Offer a patch candidate",
    openapi_extra=EVIDENCE_BODY,
)
def patch_candidate(case_id: str, body: PatchCandidate, actor: PrincipalDep, ch: ClearinghouseDep) -> FixPublic:
    return ch.fixes.candidate(actor, CaseID(case_id), body)


@router.post("/cases/{case_id}/ai-patch", tags=_cases, status_code=_CREATED, summary="Queue the AI patcher")
def ai_patch(case_id: str, body: AiPatchRequest, actor: PrincipalDep, ch: ClearinghouseDep) -> dict[str, Any]:
    return ch.fixes.request_ai_patch(actor, CaseID(case_id), body)


@router.get("/cases/{case_id}/fixes", tags=_cases, summary="The case's fixes and patch candidates")
def list_fixes(case_id: str, actor: PrincipalDep, ch: ClearinghouseDep) -> list[FixPublic]:
    return ch.fixes.for_case(actor, CaseID(case_id))


@router.post("/cases/{case_id}/publish", tags=_published, status_code=_CREATED, summary="Publish (analysts)")
def publish(case_id: str, body: PublishRequest, actor: PrincipalDep, ch: ClearinghouseDep) -> PublicationPublic:
    return ch.publications.publish(actor, CaseID(case_id), body)


# --- publications and operations --------------------------------------------------------------------------


@router.get("/publications", tags=_published, summary="Published advisories (public)")
def list_publications(ch: ClearinghouseDep) -> PublicationsPublic:
    return ch.publications.all()


@router.get("/publications/{advisory_id}", tags=_published, summary="One published advisory (public)")
def get_publication(advisory_id: str, ch: ClearinghouseDep) -> PublicationPublic:
    return ch.publications.get(AdvisoryID(advisory_id))


@router.get(
    "/publications/{advisory_id}/cve",
    tags=_published,
    summary="One published advisory as a CVE JSON 5 record (public; 409 until a CVE is assigned)",
    responses={409: {"description": "No CVE id is assigned to the advisory yet"}},
)
def get_publication_cve(advisory_id: str, ch: ClearinghouseDep) -> dict[str, Any]:
    return ch.publications.cve(AdvisoryID(advisory_id))


@router.get("/outbox", tags=_published, summary="Reminders, escalations and notices (analysts)")
def list_outbox(actor: PrincipalDep, ch: ClearinghouseDep, pending: bool = False) -> OutboxPublic:
    return ch.outbox.list(actor, pending_only=pending)


@router.post("/outbox/{message_id}/delivered", tags=_published, summary="Mark a message delivered")
def deliver(message_id: str, actor: PrincipalDep, ch: ClearinghouseDep) -> OutboxMessagePublic:
    return ch.outbox.mark_delivered(actor, NoticeID(message_id))


@router.post("/tick", tags=_published, summary="Run the clock: reminders, escalations, embargo ends (analysts)")
def tick(actor: PrincipalDep, ch: ClearinghouseDep) -> TickResult:
    return ch.operations.tick_as(actor)
