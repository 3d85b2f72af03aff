"""Rows to public records, and the reporter's track record (counted from its reports)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.clearinghouse.advisory import NotAffectedJustification
from bastion.clearinghouse.models import (
    CaseRow,
    CaseVendorRow,
    EmbargoRevisionRow,
    FixRow,
    MessageRow,
    ReporterRow,
    ReportRow,
    ValidationRow,
    VendorRow,
)
from bastion.clearinghouse.public import (
    CasePublic,
    CaseVendorPublic,
    EmbargoPublic,
    FixPublic,
    MessagePublic,
    ReporterPublic,
    ReporterRecord,
    ReportPublic,
    RevisionPublic,
    ValidationPublic,
)
from bastion.clearinghouse.states import ReportStatus
from bastion.core.access import is_clearinghouse_staff
from bastion.core.principal import Classification, OrgID, Principal, UserID

SYSTEM = UserID("system")  # what the clearinghouse did itself: not a person, shown to everyone


@dataclass(frozen=True, slots=True)
class Reader:
    """Who reads a record, and so whose people's ids it may learn: analysts and programme administrators
    see every id; anyone else (vendors, reporters) sees its own and its own organisation's people's, never
    the programme staff's, another vendor's or the reporter's. Where the organisation of a person is not
    recorded, only the person themselves and staff see the id."""

    user_id: UserID
    org_id: OrgID
    staff: bool

    @classmethod
    def of(cls, actor: Principal) -> Reader:
        return cls(actor.user_id, actor.org_id, is_clearinghouse_staff(actor))

    def person(self, user_id: UserID | None, org_id: OrgID | None = None) -> UserID | None:
        if user_id is None or user_id == SYSTEM or self.staff or user_id == self.user_id:
            return user_id
        return user_id if org_id is not None and org_id == self.org_id else None


def validation_public(row: ValidationRow) -> ValidationPublic:
    return ValidationPublic(
        id=row.id,
        purpose=row.purpose,
        status=row.status,
        outcome=row.outcome,
        detail=row.detail,
        evidence_sha256=row.evidence_sha256,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


def reporter_public(row: ReporterRow) -> ReporterPublic:
    return ReporterPublic(
        user_id=row.user_id,
        kind=row.kind,
        tool_name=row.tool_name,
        tool_version=row.tool_version,
        per_minute=row.per_minute,
        per_day=row.per_day,
    )


def reporter_record(session: Session, profile: ReporterRow) -> ReporterRecord:
    counts = dict(
        session.execute(
            sa.select(ReportRow.status, sa.func.count())
            .where(ReportRow.reporter_user_id == profile.user_id)
            .group_by(ReportRow.status)
        ).all()
    )
    validated_ever = session.scalar(
        sa.select(sa.func.count(sa.distinct(ValidationRow.report_id)))
        .join(ReportRow, ReportRow.id == ValidationRow.report_id)
        .where(
            ReportRow.reporter_user_id == profile.user_id,
            ValidationRow.purpose == "report",
            ValidationRow.outcome == ReportStatus.VALIDATED.value,
        )
    )
    return ReporterRecord(
        reporter=reporter_public(profile),
        submitted=sum(counts.values()),
        validated=int(validated_ever or 0),
        not_reproduced=counts.get(ReportStatus.NOT_REPRODUCED, 0),
        needs_info=counts.get(ReportStatus.NEEDS_INFO, 0),
        accepted=counts.get(ReportStatus.ACCEPTED, 0),
        rejected=counts.get(ReportStatus.REJECTED, 0),
        duplicates=counts.get(ReportStatus.DUPLICATE, 0),
    )


def report_public(
    session: Session,
    row: ReportRow,
    *,
    reader: Reader,
    record: ReporterRecord | None = None,
    validations: Sequence[ValidationRow] | None = None,
) -> ReportPublic:
    """Staff (analysts) see the links between reports and the reporter's record; others see neither, nor the
    reporter's user id unless it is theirs (:class:`Reader`)."""
    staff = reader.staff
    if validations is None:
        validations = session.scalars(
            sa.select(ValidationRow).where(ValidationRow.report_id == row.id).order_by(ValidationRow.created_at)
        ).all()
    return ReportPublic(
        id=row.id,
        status=row.status,
        source=row.source,
        reporter_user_id=reader.person(row.reporter_user_id, row.reporter_org_id),
        reporter_kind=row.reporter_kind,
        tool_name=row.tool_name,
        tool_version=row.tool_version,
        classification=Classification(row.classification).name,
        title=row.title,
        description=row.description,
        purl=row.purl,
        cpe=row.cpe,
        affected=row.affected,
        cwe=row.cwe,
        cvss_vector=row.cvss_vector,
        cvss_score=row.cvss_score,
        severity=row.severity,
        aliases=row.aliases,
        location=row.location,
        crash_state=row.crash_state,
        reproducer=row.reproducer,
        target=row.target,
        fixed_target=row.fixed_target,
        duplicate_of=row.duplicate_of if staff else None,
        duplicate_advisory=row.duplicate_advisory,
        duplicate_reason=row.duplicate_reason if staff else None,
        known_fixed_in=row.known_fixed_in,
        review_finding_id=row.review_finding_id if staff else None,
        case_id=row.case_id,
        validations=[validation_public(v) for v in validations],
        reporter_record=record if staff else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def fix_public(row: FixRow, reader: Reader) -> FixPublic:
    return FixPublic(
        id=row.id,
        case_id=row.case_id,
        vendor_id=row.vendor_id,
        origin=row.origin,
        fixed_version=row.fixed_version,
        commit=row.commit,
        patch_sha256=row.patch_sha256,
        model=row.model,
        status=row.status,
        detail=row.detail,
        submitted_by=reader.person(UserID(row.submitted_by)),
        created_at=row.created_at,
        verified_at=row.verified_at,
    )


def message_public(row: MessageRow, reader: Reader, report: ReportRow) -> MessagePublic:
    return MessagePublic(
        id=row.id,
        case_id=row.case_id,
        author_user_id=reader.person(row.author_user_id, row.author_org_id),
        from_reporter=row.author_user_id == report.reporter_user_id,
        author_org_id=row.author_org_id,
        body=row.body,
        created_at=row.created_at,
    )


def revision_public(row: EmbargoRevisionRow, reader: Reader) -> RevisionPublic:
    orgs = {a.get("user_id"): a.get("org_id") for a in row.agreed_by}  # an agreement records its org
    agreed: list[dict[str, Any]] = [
        {**a, "user_id": reader.person(a.get("user_id"), a.get("org_id"))} for a in row.agreed_by
    ]
    return RevisionPublic(
        id=row.id,
        disclosure_at=row.disclosure_at,
        reason=row.reason,
        status=row.status,
        agreed_by=agreed,
        proposed_by=reader.person(UserID(row.proposed_by), orgs.get(row.proposed_by)),
        proposed_at=row.proposed_at,
        decided_by=reader.person(UserID(row.decided_by), orgs.get(row.decided_by)) if row.decided_by else None,
        decided_at=row.decided_at,
    )


def case_public(session: Session, case: CaseRow, report: ReportPublic, reader: Reader) -> CasePublic:
    vendors = session.execute(
        sa.select(CaseVendorRow, VendorRow)
        .join(VendorRow, VendorRow.id == CaseVendorRow.vendor_id)
        .where(CaseVendorRow.case_id == case.id)
        .order_by(CaseVendorRow.added_at, CaseVendorRow.id)
    ).all()
    fixes = session.scalars(sa.select(FixRow).where(FixRow.case_id == case.id).order_by(FixRow.created_at)).all()
    revisions = session.scalars(
        sa.select(EmbargoRevisionRow)
        .where(EmbargoRevisionRow.case_id == case.id)
        .order_by(EmbargoRevisionRow.proposed_at, EmbargoRevisionRow.id)
    ).all()
    return CasePublic(
        id=case.id,
        report_id=case.report_id,
        title=case.title,
        severity=case.severity,
        status=case.status,
        classification=Classification(case.classification).name,
        exploited=case.exploited,
        embargo=EmbargoPublic(
            status=case.embargo_status,
            policy=case.embargo_policy,
            disclosure_at=case.disclosure_at,
            revisions=[revision_public(r, reader) for r in revisions],
        ),
        sla_due_at=case.sla_due_at,
        fixed_at=case.fixed_at,
        published_at=case.published_at,
        closed_at=case.closed_at,
        advisory_id=case.advisory_id,
        vendors=[
            CaseVendorPublic(
                vendor_id=cv.vendor_id,
                org_id=cv.org_id,
                name=vendor.name,
                added_how=cv.added_how,
                status=cv.status,
                justification=NotAffectedJustification(cv.justification) if cv.justification else None,
                statement=cv.statement,
                updated_at=cv.updated_at,
            )
            for cv, vendor in vendors
        ],
        fixes=[fix_public(f, reader) for f in fixes],
        opened_at=case.opened_at,
        report=report,
    )
