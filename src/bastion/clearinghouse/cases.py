"""Cases, as in VINCE: an accepted report opens one; its vendors are found in the registry by the report's purl
or CPE (analysts add more); each vendor states its status (the CSAF / VEX vocabulary); a message thread; an
embargo proposed from the versioned policy (shorter when the flaw is exploited in the wild) and an SLA clock
by severity. Participants (the reporter, the vendors) see only their own cases. An analyst closes a case, open or
published, with a resolution written into its thread; a closed case takes no more changes, and its clocks stop."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

import sqlalchemy as sa
from pydantic import ConfigDict, Field, model_validator

from bastion.clearinghouse._base import (
    ClearinghouseContext,
    case_resource,
    load_case,
    new_id,
    participants,
    vendor_status_resource,
)
from bastion.clearinghouse.advisory import NotAffectedJustification, VendorStatus
from bastion.clearinghouse.deadlines import disclosure_date, sla_due
from bastion.clearinghouse.errors import StateConflict
from bastion.clearinghouse.models import (
    CaseRow,
    CaseVendorRow,
    EmbargoRevisionRow,
    MessageRow,
    ReportRow,
    ValidationRow,
    VendorRow,
)
from bastion.clearinghouse.outbox import Topic, enqueue
from bastion.clearinghouse.products import parse_cpe, parse_purl, vendors_for
from bastion.clearinghouse.public import CasePublic, CasesPublic, MessagePublic, MessagesPublic
from bastion.clearinghouse.render import Reader, case_public, message_public, report_public
from bastion.clearinghouse.scoring import Severity
from bastion.clearinghouse.states import CaseStatus, EmbargoStatus, ReportStatus, check_case
from bastion.clearinghouse.vendors import registry
from bastion.core.access import Action, not_found
from bastion.core.audit import Actor
from bastion.core.fields import RequestBody
from bastion.core.ids import CaseID, CaseMessageID, VendorID
from bastion.core.principal import Principal
from bastion.core.work import Work


class VendorStatusUpdate(RequestBody):
    model_config = ConfigDict(extra="forbid", frozen=True)
    status: VendorStatus
    justification: NotAffectedJustification | None = Field(default=None, description="Required for not_affected.")
    statement: str | None = Field(default=None, max_length=10_000)

    @model_validator(mode="after")
    def _justified(self) -> VendorStatusUpdate:
        if self.status is VendorStatus.NOT_AFFECTED and self.justification is None:
            raise ValueError("not_affected needs a justification (the CSAF / VEX vocabulary)")
        if self.status is not VendorStatus.NOT_AFFECTED and self.justification is not None:
            raise ValueError("a justification is given only with not_affected")
        return self


class MessageCreate(RequestBody):
    model_config = ConfigDict(extra="forbid", frozen=True)
    body: str = Field(min_length=1, max_length=20_000)


class VendorAdd(RequestBody):
    model_config = ConfigDict(extra="forbid", frozen=True)
    vendor_id: VendorID


class CaseResolution(StrEnum):
    """Why a case ends: its flaw fixed (and published, where it was), or no coordination left to do."""

    RESOLVED = "resolved"
    NOT_A_VULNERABILITY = "not_a_vulnerability"
    VENDOR_UNRESPONSIVE = "vendor_unresponsive"
    WITHDRAWN = "withdrawn"


class CaseClose(RequestBody):
    model_config = ConfigDict(extra="forbid", frozen=True)
    resolution: CaseResolution
    reason: str = Field(min_length=3, max_length=2000, description="Written into the case's thread.")


class ExploitedMark(RequestBody):
    model_config = ConfigDict(extra="forbid", frozen=True)
    reason: str = Field(min_length=3, max_length=2000)


def open_case(work: Work, ctx: ClearinghouseContext, report: ReportRow, actor: Principal) -> CaseRow:
    """Accept ``report``: a case with the registry's vendors, a proposed embargo and an SLA clock."""
    now = work.now
    exploited = ctx.advisories.known_exploited(report.aliases) if report.aliases else False
    policy = ctx.embargo
    disclosure = disclosure_date(now, exploited=exploited, policy=policy)
    case = CaseRow(
        id=new_id("chc"),
        report_id=report.id,
        title=report.title,
        severity=report.severity,
        status=CaseStatus.OPEN,
        classification=report.classification,
        exploited=exploited,
        embargo_status=EmbargoStatus.PROPOSED,
        embargo_policy=policy.version,
        disclosure_at=disclosure,
        sla_due_at=sla_due(now, Severity(report.severity), ctx.sla),
        opened_by=actor.user_id,
        opened_at=now,
    )
    work.session.add(case)
    work.session.flush()
    days = policy.exploited_days if exploited else policy.default_days
    why = "exploited in the wild (KEV)" if exploited else "the default"
    work.session.add(
        EmbargoRevisionRow(
            id=new_id("emb"),
            case_id=case.id,
            disclosure_at=disclosure,
            reason=f"embargo policy {policy.version}: {days} days, {why}",
            status="proposed",
            agreed_by=[],
            proposed_by=actor.user_id,
            proposed_at=now,
        )
    )
    report.status = ReportStatus.ACCEPTED
    report.case_id = case.id
    purl = parse_purl(report.purl) if report.purl else None
    cpe = parse_cpe(report.cpe) if report.cpe else None
    for vendor_id in vendors_for(registry(work.session), purl, cpe):
        _add_vendor(work, case, vendor_id, actor, how="registry")
    work.record("case.open", "ch_case", case.id, report_id=report.id, exploited=exploited, disclosure_at=disclosure)
    return case


def _add_vendor(work: Work, case: CaseRow, vendor_id: VendorID, actor: Actor, *, how: str) -> CaseVendorRow:
    vendor = work.session.get(VendorRow, vendor_id)
    if vendor is None:
        raise not_found(f"vendor {vendor_id}")
    exists = work.session.scalar(
        sa.select(CaseVendorRow.id).where(CaseVendorRow.case_id == case.id, CaseVendorRow.vendor_id == vendor_id)
    )
    if exists:
        raise StateConflict(f"{vendor.name} already takes part in case {case.id}", code="vendor_in_case")
    row = CaseVendorRow(
        id=new_id("cvn"),
        case_id=case.id,
        vendor_id=vendor.id,
        org_id=vendor.org_id,
        added_how=how,
        status=VendorStatus.UNDER_INVESTIGATION,
        added_by=getattr(actor, "user_id", "system"),
        added_at=work.now,
        updated_at=work.now,
    )
    work.session.add(row)
    work.session.flush()
    enqueue(
        work.session,
        topic=Topic.VENDOR_NOTIFIED,
        dedupe_key=f"case:{case.id}:vendor:{vendor.id}",
        payload={"case_id": case.id, "vendor_id": vendor.id, "org_id": vendor.org_id},
        at=work.now,
    )
    work.record("case.add_vendor", "ch_case", case.id, vendor_id=vendor.id, how=how)
    return row


class CaseService:
    def __init__(self, ctx: ClearinghouseContext) -> None:
        self._ctx = ctx

    def read(self, work: Work, actor: Principal, case_id: CaseID, *, lock: bool = False) -> tuple[CaseRow, ReportRow]:
        """The case, if the actor may know it exists (else the same 404 as a missing id)."""
        case, report = load_case(work.session, case_id, lock=lock)
        orgs = participants(work.session, case.id)
        work.require(Action.READ, case_resource(case, report, orgs), what=f"case {case_id}")
        return case, report

    def authorize(
        self, work: Work, actor: Principal, case_id: CaseID, action: Action, refusal: str, *, lock: bool = True
    ) -> tuple[CaseRow, ReportRow]:
        """Read the case, then require ``action`` on it: a 403 saying ``refusal`` (the actor knows the case)."""
        case, report = self.read(work, actor, case_id, lock=lock)
        resource = case_resource(case, report, participants(work.session, case.id))
        work.require(action, resource, what=f"case {case_id}", refusal=refusal)
        return case, report

    def public(self, work: Work, actor: Principal, case: CaseRow, report: ReportRow) -> CasePublic:
        validations = work.session.scalars(
            sa.select(ValidationRow).where(ValidationRow.report_id == report.id).order_by(ValidationRow.created_at)
        ).all()
        reader = Reader.of(actor)
        shown = report_public(work.session, report, reader=reader, validations=validations)
        return case_public(work.session, case, shown, reader)

    def get(self, actor: Principal, case_id: CaseID) -> CasePublic:
        with self._ctx.uow(actor, "case.read", "ch_case", case_id) as work:
            case, report = self.read(work, actor, case_id)
            work.record()
            return self.public(work, actor, case, report)

    def list(self, actor: Principal, *, status: CaseStatus | None = None) -> CasesPublic:
        with self._ctx.uow(actor, "case.list", "ch_case", None) as work:
            query = sa.select(CaseRow, ReportRow).join(ReportRow, ReportRow.id == CaseRow.report_id)
            if status is not None:
                query = query.where(CaseRow.status == status.value)
            rows = work.session.execute(query.order_by(CaseRow.opened_at.desc(), CaseRow.id)).all()
            data = []
            for case, report in rows:
                resource = case_resource(case, report, participants(work.session, case.id))
                if work.allowed(Action.READ, resource):
                    data.append(self.public(work, actor, case, report))
            work.record(count=len(data))
            return CasesPublic(data=data, count=len(data))

    def add_vendor(self, actor: Principal, case_id: CaseID, body: VendorAdd) -> CasePublic:
        with self._ctx.uow(actor, "case.add_vendor", "ch_case", case_id) as work:
            case, report = self.authorize(work, actor, case_id, Action.DECIDE, "analysts add vendors")
            _require_open(case)
            _add_vendor(work, case, body.vendor_id, actor, how="analyst")
            return self.public(work, actor, case, report)

    def set_vendor_status(
        self, actor: Principal, case_id: CaseID, vendor_id: VendorID, body: VendorStatusUpdate
    ) -> CasePublic:
        """A vendor's answer for its product (analysts may record it on a vendor's behalf)."""
        with self._ctx.uow(actor, "case.vendor_status", "ch_case", case_id) as work:
            case, report = self.read(work, actor, case_id, lock=True)
            require_not_closed(case)
            row = work.session.scalar(
                sa.select(CaseVendorRow).where(CaseVendorRow.case_id == case.id, CaseVendorRow.vendor_id == vendor_id)
            )
            if row is None:
                raise not_found(f"vendor {vendor_id} in case {case_id}")
            orgs = participants(work.session, case.id)
            resource = vendor_status_resource(case, report, orgs, row.org_id)
            work.require(Action.UPDATE, resource, what=f"case {case_id}", refusal="each vendor states its own status")
            before = row.status
            row.status = body.status
            row.justification = body.justification.value if body.justification else None
            row.statement = body.statement
            row.updated_by = actor.user_id
            row.updated_at = work.now
            work.record(vendor_id=vendor_id, from_status=before, to_status=row.status, justification=row.justification)
            return self.public(work, actor, case, report)

    def post_message(self, actor: Principal, case_id: CaseID, body: MessageCreate) -> MessagePublic:
        with self._ctx.uow(actor, "case.message", "ch_case", case_id) as work:
            case, report = self.authorize(
                work, actor, case_id, Action.RESPOND, "participants write in the thread", lock=False
            )
            require_not_closed(case)
            row = _write_message(work, case, actor, body.body)
            work.record(message_id=row.id)
            return message_public(row, Reader.of(actor), report)

    def messages(self, actor: Principal, case_id: CaseID) -> MessagesPublic:
        with self._ctx.uow(actor, "case.messages", "ch_case", case_id) as work:
            case, report = self.read(work, actor, case_id)
            rows = work.session.scalars(
                sa.select(MessageRow)
                .where(MessageRow.case_id == case.id)
                .order_by(MessageRow.created_at, MessageRow.id)
            ).all()
            work.record(count=len(rows))
            reader = Reader.of(actor)
            return MessagesPublic(data=[message_public(r, reader, report) for r in rows], count=len(rows))

    def mark_exploited(self, actor: Principal, case_id: CaseID, body: ExploitedMark) -> CasePublic:
        """Exploited in the wild: the embargo shortens to the policy's ``exploited_days`` from now, if sooner."""
        with self._ctx.uow(actor, "case.exploited", "ch_case", case_id) as work:
            case, report = self.authorize(work, actor, case_id, Action.DECIDE, "analysts mark exploitation")
            _require_open(case)
            case.exploited = True
            sooner = work.now + timedelta(days=self._ctx.embargo.exploited_days)
            before = case.disclosure_at
            if case.disclosure_at is None or case.disclosure_at > sooner:
                case.disclosure_at = sooner
            work.record(reason=body.reason, from_disclosure=before, to_disclosure=case.disclosure_at)
            return self.public(work, actor, case, report)

    def close(self, actor: Principal, case_id: CaseID, body: CaseClose) -> CasePublic:
        """End the case: its participants read the resolution in the thread. The clock no longer reminds,
        escalates or publishes it; an unpublished case stays unpublished (and its embargo as it was, so no
        vendor reads the close as leave to disclose)."""
        with self._ctx.uow(actor, "case.close", "ch_case", case_id) as work:
            case, report = self.authorize(work, actor, case_id, Action.DECIDE, "analysts close cases")
            before = case.status
            check_case(before, CaseStatus.CLOSED)
            case.status = CaseStatus.CLOSED
            case.closed_at = work.now
            _write_message(work, case, actor, f"Case closed ({body.resolution.value.replace('_', ' ')}): {body.reason}")
            work.record(from_status=before, resolution=body.resolution.value, reason=body.reason)
            return self.public(work, actor, case, report)


def _write_message(work: Work, case: CaseRow, actor: Principal, body: str) -> MessageRow:
    """A message in the case's thread, written by ``actor`` now."""
    row = MessageRow(
        id=CaseMessageID(new_id("msg")),
        case_id=case.id,
        author_user_id=actor.user_id,
        author_org_id=actor.org_id,
        body=body,
        created_at=work.now,
    )
    work.session.add(row)
    return row


def require_not_closed(case: CaseRow) -> None:
    """Published cases still take vendors' statuses and messages; closed ones take nothing."""
    if case.status is CaseStatus.CLOSED:
        raise StateConflict(f"case {case.id} is closed", code="case_closed", hint="a closed case is read-only")


def _require_open(case: CaseRow) -> None:
    if case.status != CaseStatus.OPEN.value:
        raise StateConflict(f"case {case.id} is {case.status}", code="case_not_open")


def vendor_of(work: Work, case: CaseRow, actor: Principal) -> CaseVendorRow | None:
    """The actor's own vendor row in ``case`` (None for analysts and the reporter)."""
    return work.session.scalar(
        sa.select(CaseVendorRow).where(CaseVendorRow.case_id == case.id, CaseVendorRow.org_id == actor.org_id)
    )


def require_open(case: CaseRow) -> None:
    _require_open(case)
