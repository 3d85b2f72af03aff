"""The AI triage assistant's use cases: propose (ask the agent about one exposure), list and read proposals,
confirm one (which records its VEX draft as the analyst's decision, through ``Defense.decide``) or reject it.

A proposal is only a proposal: nothing is applied until a person confirms it. Every proposal is recorded with
the model that made it, the SHA-256 of the prompt it was sent and the inputs it read (the advisory, the
component, the evidence), also when its answer was unusable (``invalid``, with what was wrong). The model is
asked outside any transaction; the record is written in one audited unit of work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from bastion.advisories.service import AdvisoryService
from bastion.core.access import Action, not_found
from bastion.core.errors import Conflict
from bastion.core.fields import RequestBody
from bastion.core.ids import ProjectID, TriageProposalID, VexStatementID, VulnID
from bastion.core.principal import Principal
from bastion.core.work import UnitOfWork, Work
from bastion.defense.alert_models import TriageProposalRow
from bastion.defense.alerts import agency_resource, new_id
from bastion.defense.records import Justification, VexDecision, VexStatus
from bastion.defense.service import Defense
from bastion.defense.triage import (
    Evidence,
    TriageAgent,
    TriageAnswer,
    TriageAnswerInvalid,
    TriageError,
    TriageInputs,
    VexDraft,
    parse_answer,
)

MAX_DETAILS_CHARS = 20_000


class TriageStateError(TriageError, Conflict):
    default_code = "triage_proposal_decided"


class ProposalStatus:
    PROPOSED = "proposed"  # waiting for a person
    INVALID = "invalid"  # the model's answer was unusable: nothing to confirm
    CONFIRMED = "confirmed"  # its VEX draft is now the analyst's decision
    REJECTED = "rejected"


class TriageRequest(RequestBody):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(min_length=3, max_length=200, description="An Inspect model name: provider/model.")
    evidence: list[Evidence] = Field(default_factory=list, max_length=20)


class TriageConfirm(RequestBody):
    """Confirm a proposal; ``vex`` replaces its draft when the analyst corrected it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    note: str = Field(default="", max_length=2000)
    vex: VexDraft | None = None


class TriageReject(RequestBody):
    model_config = ConfigDict(extra="forbid", frozen=True)

    note: str = Field(default="", max_length=2000)


class TriageProposalPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: TriageProposalID
    exposure_id: int
    project_id: ProjectID
    advisory_id: VulnID
    purl: str
    status: str
    model: str
    prompt_sha256: str
    inputs: dict[str, Any]
    proposal: TriageAnswer | None
    problem: str | None
    created_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    vex_id: VexStatementID | None


class TriageProposalsPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    data: list[TriageProposalPublic]
    count: int


def _public(row: TriageProposalRow) -> TriageProposalPublic:
    return TriageProposalPublic(
        id=row.id,
        exposure_id=row.exposure_id,
        project_id=row.project_id,
        advisory_id=row.advisory_id,
        purl=row.purl,
        status=row.status,
        model=row.model,
        prompt_sha256=row.prompt_sha256,
        inputs=row.inputs,
        proposal=TriageAnswer.model_validate(row.proposal) if row.proposal is not None else None,
        problem=row.problem,
        created_by=row.created_by,
        created_at=row.created_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        vex_id=row.vex_id,
    )


class TriageService:
    def __init__(self, *, uow: UnitOfWork, defense: Defense, advisories: AdvisoryService, agent: TriageAgent) -> None:
        self._uow = uow
        self._defense = defense
        self._advisories = advisories
        self._agent = agent

    def propose(self, actor: Principal, exposure_id: int, request: TriageRequest) -> TriageProposalPublic:
        """Ask the model about one exposure of the actor's agency; the recorded proposal. An unusable answer is
        recorded (``invalid``) and raised as ``TriageAnswerInvalid`` naming what was wrong."""
        exposure = self._defense.exposure(actor, exposure_id)  # the policy's answer: 404 for anyone else
        project = self._defense.get_project(actor, exposure.project_id)
        document = self._advisories.documents([exposure.advisory_id]).get(exposure.advisory_id, {})
        severity = exposure.severity
        inputs = TriageInputs(
            exposure_id=str(exposure.id),
            project=project.name,
            purl=exposure.purl,
            advisory_id=exposure.advisory_id,
            aliases=tuple(exposure.aliases),
            summary=exposure.summary or "",
            details=str(document.get("details") or "")[:MAX_DETAILS_CHARS],
            severity=f"{severity.rating} {severity.score} ({severity.vector})" if severity else None,
            fixed_versions=tuple(exposure.fixed_versions),
            in_kev=exposure.kev is not None,
            evidence=tuple(request.evidence),
        )
        answer = self._agent.ask(request.model, inputs)
        parsed: TriageAnswer | None = None
        problem: TriageAnswerInvalid | None = None
        try:
            parsed = parse_answer(answer.answer)
        except TriageAnswerInvalid as e:
            problem = e
        proposal_id = new_id("tri")
        with self._uow(actor, "defense_triage.propose", "defense_triage", proposal_id) as work:
            work.require(
                Action.CREATE, agency_resource(actor.org_id), what="triage", refusal="triage is for an agency's own"
            )
            row = TriageProposalRow(
                id=proposal_id,
                org_id=actor.org_id,
                exposure_id=exposure.id,
                project_id=exposure.project_id,
                advisory_id=exposure.advisory_id,
                purl=exposure.purl,
                model=answer.model[:200],
                prompt_sha256=answer.prompt_sha256,
                inputs=inputs.as_record(),
                answer=answer.answer,
                proposal=parsed.model_dump(mode="json") if parsed is not None else None,
                problem=problem.message if problem is not None else None,
                status=ProposalStatus.PROPOSED if parsed is not None else ProposalStatus.INVALID,
                created_by=actor.user_id,
                created_at=work.now,
            )
            work.session.add(row)
            work.record(
                exposure_id=exposure.id,
                model=row.model,
                prompt_sha256=row.prompt_sha256,
                status=row.status,
                evidence=[e.name for e in request.evidence],
            )
            public = _public(row)
        if problem is not None:
            problem.details = {**problem.details, "proposal_id": proposal_id}
            raise problem
        return public

    def list(
        self, actor: Principal, *, exposure_id: int | None = None, status: str | None = None
    ) -> TriageProposalsPublic:
        with self._uow(actor, "defense_triage.list", "defense_triage", None) as work:
            work.require(
                Action.READ, agency_resource(actor.org_id), what="triage", refusal="triage is for an agency's own"
            )
            query = sa.select(TriageProposalRow).where(TriageProposalRow.org_id == actor.org_id)
            if exposure_id is not None:
                query = query.where(TriageProposalRow.exposure_id == exposure_id)
            if status:
                query = query.where(TriageProposalRow.status == status)
            rows = [
                r
                for r in work.session.scalars(query.order_by(TriageProposalRow.created_at.desc(), TriageProposalRow.id))
                if work.allowed(Action.READ, agency_resource(r.org_id))
            ]
            return TriageProposalsPublic(data=[_public(r) for r in rows], count=len(rows))

    def get(self, actor: Principal, proposal_id: TriageProposalID) -> TriageProposalPublic:
        with self._uow(actor, "defense_triage.read", "defense_triage", proposal_id) as work:
            return _public(self._row(work, proposal_id, Action.READ))

    def confirm(self, actor: Principal, proposal_id: TriageProposalID, body: TriageConfirm) -> TriageProposalPublic:
        """A person accepts the proposal: its VEX draft (or the corrected ``body.vex``) becomes the analyst's
        decision on the project, through the defense slice's own use case, in this same unit of work."""
        with self._uow(actor, "defense_triage.confirm", "defense_triage", proposal_id) as work:
            row = self._undecided(work, proposal_id)
            draft = body.vex or (VexDraft.model_validate(row.proposal["vex"]) if row.proposal else None)
            if draft is None:  # an invalid proposal: nothing to confirm
                raise TriageStateError(
                    f"proposal {proposal_id} has no usable answer to confirm",
                    hint="reject it, or ask again",
                )
            decision = VexDecision(
                advisory_id=row.advisory_id,
                package=row.purl,
                status=VexStatus(draft.status.value),
                justification=Justification(draft.justification) if draft.justification else None,
                detail=draft.detail,
            )
            vex = self._defense.decide(actor, row.project_id, decision)
            row.status = ProposalStatus.CONFIRMED
            row.decided_by, row.decided_at, row.decision_note = actor.user_id, work.now, body.note
            row.vex_id = vex.id
            work.record(vex_id=vex.id, status=draft.status.value, corrected=body.vex is not None)
            return _public(row)

    def reject(self, actor: Principal, proposal_id: TriageProposalID, body: TriageReject) -> TriageProposalPublic:
        with self._uow(actor, "defense_triage.reject", "defense_triage", proposal_id) as work:
            row = self._undecided(work, proposal_id)
            row.status = ProposalStatus.REJECTED
            row.decided_by, row.decided_at, row.decision_note = actor.user_id, work.now, body.note
            work.record(note=body.note)
            return _public(row)

    def _row(self, work: Work, proposal_id: TriageProposalID, action: Action) -> TriageProposalRow:
        row = work.session.get(TriageProposalRow, proposal_id, with_for_update=action is Action.UPDATE)
        work.require(action, agency_resource(row.org_id if row else None), what=f"triage proposal {proposal_id}")
        if row is None:  # pragma: no cover - a missing row has no owner: refused above
            raise not_found(f"triage proposal {proposal_id}")
        return row

    def _undecided(self, work: Work, proposal_id: TriageProposalID) -> TriageProposalRow:
        row = self._row(work, proposal_id, Action.UPDATE)
        if row.status in (ProposalStatus.CONFIRMED, ProposalStatus.REJECTED):
            raise TriageStateError(
                f"proposal {proposal_id} is already {row.status}",
                hint="ask again for a new proposal",
                details={"status": row.status},
            )
        return row
