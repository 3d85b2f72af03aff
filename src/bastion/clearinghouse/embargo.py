"""The embargo (Vultron's EM): proposed when the case opens (its date from the versioned policy), active once an
analyst accepts it with the participants' agreement, revised by a proposal the participants agree to and an
analyst accepts (extensions record who agreed), exited when the case is published."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, ConfigDict, Field

from bastion.clearinghouse._base import ClearinghouseContext, new_id
from bastion.clearinghouse.cases import CaseService, require_not_closed, require_open
from bastion.clearinghouse.deadlines import check_disclosure, embargo_policy
from bastion.clearinghouse.errors import StateConflict
from bastion.clearinghouse.models import CaseRow, EmbargoRevisionRow, ReportRow
from bastion.clearinghouse.public import CasePublic
from bastion.clearinghouse.states import EmbargoStatus, check_embargo
from bastion.core.access import Action, not_found
from bastion.core.fields import RequestBody
from bastion.core.ids import CaseID, EmbargoRevisionID
from bastion.core.principal import Principal
from bastion.core.work import Work


class RevisionCreate(RequestBody):
    model_config = ConfigDict(extra="forbid", frozen=True)
    disclosure_at: AwareDatetime
    reason: str = Field(min_length=3, max_length=5000)


class RevisionDecision(RequestBody):
    model_config = ConfigDict(extra="forbid", frozen=True)
    accept: bool
    note: str | None = Field(default=None, max_length=5000)


class EmbargoService:
    def __init__(self, ctx: ClearinghouseContext, cases: CaseService) -> None:
        self._ctx = ctx
        self._cases = cases

    def propose(self, actor: Principal, case_id: CaseID, body: RevisionCreate) -> CasePublic:
        """Any participant proposes a new disclosure date (an extension, or sooner); the embargo is under
        revision until an analyst decides."""
        with self._ctx.uow(actor, "embargo.propose", "ch_case", case_id) as work:
            case, report = self._cases.authorize(
                work, actor, case_id, Action.RESPOND, "participants propose embargo changes"
            )
            require_open(case)
            check_disclosure(case.opened_at, body.disclosure_at, work.now, embargo_policy(case.embargo_policy))
            current = case.embargo_status
            if current is EmbargoStatus.ACTIVE:
                check_embargo(current, EmbargoStatus.REVISE)
                case.embargo_status = EmbargoStatus.REVISE
            elif current not in (EmbargoStatus.PROPOSED, EmbargoStatus.REVISE):
                raise StateConflict(f"the embargo of case {case_id} is {current.value}", code="embargo_closed")
            row = EmbargoRevisionRow(
                id=new_id("emb"),
                case_id=case.id,
                disclosure_at=body.disclosure_at,
                reason=body.reason,
                status="proposed",
                agreed_by=[_agreement(actor, work.now)],
                proposed_by=actor.user_id,
                proposed_at=work.now,
            )
            work.session.add(row)
            work.record(revision_id=row.id, disclosure_at=body.disclosure_at, reason=body.reason)
            return self._cases.public(work, actor, case, report)

    def agree(self, actor: Principal, case_id: CaseID, revision_id: EmbargoRevisionID) -> CasePublic:
        """A participant's recorded agreement to a proposed date."""
        with self._ctx.uow(actor, "embargo.agree", "ch_case", case_id) as work:
            case, report, row = self._revision(
                work, actor, case_id, revision_id, action=Action.RESPOND, refusal="participants agree to embargoes"
            )
            require_not_closed(case)
            if row.status != "proposed":
                raise StateConflict(f"embargo proposal {revision_id} was already {row.status}", code="revision_decided")
            if not any(a["user_id"] == actor.user_id for a in row.agreed_by):
                row.agreed_by = [*row.agreed_by, _agreement(actor, work.now)]
            work.record(revision_id=row.id)
            return self._cases.public(work, actor, case, report)

    def decide(
        self, actor: Principal, case_id: CaseID, revision_id: EmbargoRevisionID, body: RevisionDecision
    ) -> CasePublic:
        """An analyst accepts a proposal (the embargo becomes active with its date) or rejects it."""
        with self._ctx.uow(actor, "embargo.decide", "ch_case", case_id) as work:
            case, report, row = self._revision(
                work, actor, case_id, revision_id, action=Action.DECIDE, refusal="analysts decide embargoes"
            )
            require_open(case)
            if row.status != "proposed":
                raise StateConflict(f"embargo proposal {revision_id} was already {row.status}", code="revision_decided")
            current = case.embargo_status
            if body.accept:
                check_disclosure(case.opened_at, row.disclosure_at, work.now, embargo_policy(case.embargo_policy))
            target = EmbargoStatus.ACTIVE if body.accept or current is EmbargoStatus.REVISE else current
            if target is not current:
                check_embargo(current, target)
            row.status = "accepted" if body.accept else "rejected"
            row.decided_by, row.decided_at = actor.user_id, work.now
            before = case.disclosure_at
            if body.accept:
                case.disclosure_at = row.disclosure_at
            case.embargo_status = target
            work.record(
                revision_id=row.id,
                accepted=body.accept,
                agreed_by=[a["org_id"] for a in row.agreed_by],
                from_disclosure=before,
                to_disclosure=case.disclosure_at,
                note=body.note,
            )
            return self._cases.public(work, actor, case, report)

    def _revision(
        self,
        work: Work,
        actor: Principal,
        case_id: CaseID,
        revision_id: EmbargoRevisionID,
        *,
        action: Action,
        refusal: str,
    ) -> tuple[CaseRow, ReportRow, EmbargoRevisionRow]:
        case, report = self._cases.authorize(work, actor, case_id, action, refusal)
        row = work.session.get(EmbargoRevisionRow, revision_id)
        if row is None or row.case_id != case.id:
            raise not_found(f"embargo proposal {revision_id}")
        return case, report, row


def _agreement(actor: Principal, at: datetime) -> dict[str, str]:
    return {"user_id": actor.user_id, "org_id": actor.org_id, "at": at.isoformat()}


def exit_embargo(work: Work, case: CaseRow, reason: str) -> None:
    current = case.embargo_status
    if current is EmbargoStatus.EXITED:
        return
    if current is EmbargoStatus.NONE:
        case.embargo_status = EmbargoStatus.EXITED
    else:
        check_embargo(current, EmbargoStatus.EXITED)
        case.embargo_status = EmbargoStatus.EXITED
    work.record("embargo.exit", "ch_case", case.id, from_status=current, reason=reason)
