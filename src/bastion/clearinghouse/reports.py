"""Reading reports (each through the one access policy, lists and counts included) and the analysts' decisions
on them: accept (a case opens), reject, not a duplicate after all, validate again; and the reporter adding
what was missing."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from pydantic import ConfigDict, Field

from bastion.clearinghouse._base import ClearinghouseContext, load_report, participants, report_resource
from bastion.clearinghouse.cases import open_case
from bastion.clearinghouse.errors import StateConflict, invalid
from bastion.clearinghouse.models import CaseVendorRow, ReporterRow, ReportRow, ValidationRow
from bastion.clearinghouse.public import ReportPublic, ReportsPublic
from bastion.clearinghouse.render import Reader, report_public, reporter_record
from bastion.clearinghouse.schemas import ReproducerIn, TargetIn
from bastion.clearinghouse.states import ReportStatus, check_report
from bastion.clearinghouse.stored import check_sizes, store_reproducer, store_target
from bastion.clearinghouse.targets import check_purl_targets
from bastion.clearinghouse.validation import queue_validation
from bastion.core.access import Action, Resource, ResourceKind, is_clearinghouse_staff
from bastion.core.fields import RequestBody
from bastion.core.ids import ReportID
from bastion.core.principal import OrgID, Principal
from bastion.core.work import Work


class Decision(StrEnum):
    ACCEPT = "accept"  # open a case
    REJECT = "reject"
    NOT_DUPLICATE = "not_duplicate"  # back to triage
    REVALIDATE = "revalidate"  # run the reproducer again


class ReportDecision(RequestBody):
    model_config = ConfigDict(extra="forbid", frozen=True)
    decision: Decision
    reason: str = Field(min_length=3, max_length=5000)


class MoreInformation(RequestBody):
    """What a reporter adds to a report that needs information (or was not reproduced): it is validated again."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    reproducer: ReproducerIn | None = None
    target: TargetIn | None = None
    fixed_target: TargetIn | None = None
    note: str | None = Field(default=None, max_length=5000)


class ReportService:
    def __init__(self, ctx: ClearinghouseContext) -> None:
        self._ctx = ctx

    def get(self, actor: Principal, report_id: ReportID) -> ReportPublic:
        with self._ctx.uow(actor, "report.read", "ch_report", report_id) as work:
            row = load_report(work.session, report_id)
            work.require(
                Action.READ, report_resource(row, participants(work.session, row.case_id)), what=f"report {report_id}"
            )
            work.record()
            return self._public(work, actor, row)

    def list(
        self, actor: Principal, *, status: ReportStatus | None = None, q: str | None = None, mine: bool = False
    ) -> ReportsPublic:
        """Reports the actor may see (analysts: the queue), newest first; ``q`` searches titles and descriptions."""
        with self._ctx.uow(actor, "report.list", "ch_report", None) as work:
            query = sa.select(ReportRow).order_by(ReportRow.created_at.desc(), ReportRow.id)
            if status is not None:
                query = query.where(ReportRow.status == status.value)
            if mine:
                query = query.where(ReportRow.reporter_user_id == actor.user_id)
            if q:
                pattern = f"%{q.lower()}%"
                query = query.where(
                    sa.or_(
                        sa.func.lower(ReportRow.title).like(pattern), sa.func.lower(ReportRow.description).like(pattern)
                    )
                )
            rows = work.session.scalars(query.limit(5000)).all()
            orgs = _participants_by_case(work, {r.case_id for r in rows if r.case_id})
            shown = [
                r for r in rows if work.allowed(Action.READ, report_resource(r, orgs.get(r.case_id or "", frozenset())))
            ]
            data = [self._public(work, actor, r) for r in shown]
            work.record(count=len(data), status=status.value if status else None)
            return ReportsPublic(data=data, count=len(data))

    def decide(self, actor: Principal, report_id: ReportID, body: ReportDecision) -> ReportPublic:
        with self._ctx.uow(actor, f"report.{body.decision.value}", "ch_report", report_id) as work:
            row = load_report(work.session, report_id, lock=True)
            resource = report_resource(row, participants(work.session, row.case_id))
            work.require(Action.READ, resource, what=f"report {report_id}")
            work.require(Action.DECIDE, resource, what=f"report {report_id}", refusal="analysts decide on reports")
            previous = row.status
            if body.decision is Decision.ACCEPT:
                check_report(previous, ReportStatus.ACCEPTED)
                open_case(work, self._ctx, row, actor)
            elif body.decision is Decision.REVALIDATE:
                if row.reproducer is None:
                    raise invalid(f"report {report_id} has no reproducer to run", hint="ask the reporter for one")
                queue_validation(work, self._ctx, row)
            else:
                target = ReportStatus.REJECTED if body.decision is Decision.REJECT else ReportStatus.TRIAGE
                check_report(previous, target)
                row.status = target
                if target is ReportStatus.TRIAGE:
                    row.duplicate_of = row.duplicate_advisory = row.duplicate_reason = None
                    row.known_fixed_in = []
            row.updated_at = work.now
            work.record(from_status=previous, to_status=row.status, reason=body.reason)
            return self._public(work, actor, row)

    def add_information(self, actor: Principal, report_id: ReportID, body: MoreInformation) -> ReportPublic:
        """The reporter completes a report that needs information or was not reproduced; it is validated again."""
        with self._ctx.uow(actor, "report.add_information", "ch_report", report_id) as work:
            row = load_report(work.session, report_id, lock=True)
            resource = report_resource(row, participants(work.session, row.case_id))
            work.require(Action.READ, resource, what=f"report {report_id}")
            work.require(
                Action.UPDATE, resource, what=f"report {report_id}", refusal="only its reporter completes a report"
            )
            status = row.status
            if status not in (ReportStatus.NEEDS_INFO, ReportStatus.NOT_REPRODUCED, ReportStatus.TRIAGE):
                raise StateConflict(
                    f"report {report_id} is {status.value}; information is added while it needs information, was "
                    "not reproduced, or waits in triage",
                    code="report_not_open_for_information",
                )
            check_sizes(body.reproducer, [body.target, body.fixed_target], self._ctx.limits)
            check_purl_targets(self._ctx.package_index, target=body.target, fixed_target=body.fixed_target)
            blobs = self._ctx.blobs
            if body.reproducer is not None:
                row.reproducer = store_reproducer(blobs, body.reproducer)
            if body.target is not None:
                row.target = store_target(blobs, body.target)
            if body.fixed_target is not None:
                row.fixed_target = store_target(blobs, body.fixed_target)
            if body.note:
                row.description = f"{row.description}\n\nAdded {work.now.date().isoformat()}: {body.note}"
            work.record(fields=sorted(body.model_fields_set))
            if row.reproducer is not None:
                queue_validation(work, self._ctx, row)
            row.updated_at = work.now
            return self._public(work, actor, row)

    def _public(self, work: Work, actor: Principal, row: ReportRow) -> ReportPublic:
        staff = is_clearinghouse_staff(actor)
        record = None
        if staff:
            profile = work.session.get(ReporterRow, row.reporter_user_id)
            record = reporter_record(work.session, profile) if profile else None
        validations = work.session.scalars(
            sa.select(ValidationRow).where(ValidationRow.report_id == row.id).order_by(ValidationRow.created_at)
        ).all()
        return report_public(work.session, row, reader=Reader.of(actor), record=record, validations=validations)


def _participants_by_case(work: Work, case_ids: set[str]) -> dict[str, frozenset[OrgID]]:
    found: dict[str, set[OrgID]] = {}
    if case_ids:
        for case_id, org_id in work.session.execute(
            sa.select(CaseVendorRow.case_id, CaseVendorRow.org_id).where(CaseVendorRow.case_id.in_(sorted(case_ids)))
        ):
            found.setdefault(case_id, set()).add(OrgID(org_id))
    return {k: frozenset(v) for k, v in found.items()}


QUEUE = Resource(ResourceKind.CH_OPERATIONS)
