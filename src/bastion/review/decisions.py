"""Selection decisions: run the pure engine over a submission's facts, store the outcome, show it.

The lab sees only ``selected`` / ``not_selected`` (or ``pending``); the rules that fired, the policy version,
agency nominations and override reasons are for programme and agency staff (``Action.READ_SECRET``).

The engine reads the evaluation scores attached to the submission's review (all of them, on the server). A
rule that read them (``eval_margin``) stores their highest marking with its result, and its explanation, which
quotes the figures, is shown only to readers who may read evidence at that marking in that review.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.core.access import Action, ResourceKind, decide, visible
from bastion.core.ids import SubmissionID
from bastion.core.principal import Classification, Principal
from bastion.review._base import ReviewContext, Scope, new_id, require, scope_of_submission
from bastion.review.errors import ReviewStateError
from bastion.review.lifecycle import SelectionStatus, SubmissionStatus
from bastion.review.models import NominationRow, ReviewRow, SelectionDecisionRow, SubmissionRow
from bastion.review.reviews import window_state
from bastion.review.schemas import (
    NominationPublic,
    RuleResultPublic,
    SelectionDecisionPublic,
    SelectionOverride,
    SelectionPublic,
)
from bastion.review.scores import MeasuredScores, all_scores, summaries_by_review
from bastion.review.selection import RULE_KINDS, CapabilityTier, EvalMargin, Rule, RuleID, SelectionFacts, evaluate

# The key under which a rule result keeps the marking of the evaluation results it read (None: it read none).
_MARKING = "evidence_marking"
_WITHHELD = "withheld: this rule read evaluation results of the review that you may not read"


def _rule_params(rule: Rule) -> dict[str, Any]:
    params = {k: getattr(rule, k) for k in rule.__slots__ if k != "id"}
    return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in params.items()}


def measured(session: Session, submission: SubmissionRow) -> MeasuredScores:
    """Every evaluation score attached to the submission's review (server side only: never shown as is)."""
    review_id = session.scalar(sa.select(ReviewRow.id).where(ReviewRow.submission_id == submission.id))
    if review_id is None:
        return MeasuredScores()
    return all_scores(summaries_by_review(session, [review_id]).get(review_id, []))


def facts_of(session: Session, submission: SubmissionRow, scores: MeasuredScores) -> SelectionFacts:
    nominations = session.scalars(
        sa.select(NominationRow.agency_org_id).where(NominationRow.submission_id == submission.id)
    )
    return SelectionFacts(
        training_compute_flop=submission.training_compute_flop,
        capability_tiers=tuple(
            CapabilityTier(t["framework"], t["domain"], t["level"]) for t in submission.capability_tiers
        ),
        evaluation_scores=scores.scores,
        reference_scores=scores.references,
        nominating_agencies=frozenset(nominations),
    )


def require_not_closed(scope: Scope, now: datetime) -> None:
    """Selection is over once the submission's review has closed: the decisions stay as they were."""
    if scope.review is None:
        return
    state = window_state(scope.review, scope.submission, now)
    if not state.is_open:
        raise ReviewStateError(
            f"the review of submission {scope.submission.id} is closed ({state.close_reason.value}); "
            "its selection is a record",
            code="review_closed",
            details={"close_reason": state.close_reason.value, "closed_at": state.closes_at.isoformat()},
        )


def current_decision(session: Session, submission_id: SubmissionID) -> SelectionDecisionRow | None:
    return session.scalar(
        sa.select(SelectionDecisionRow)
        .where(SelectionDecisionRow.submission_id == submission_id)
        .order_by(SelectionDecisionRow.seq.desc())
        .limit(1)
    )


def _store(
    session: Session,
    ctx: ReviewContext,
    submission: SubmissionRow,
    *,
    selected: bool,
    policy_version: str | None,
    fired: list[RuleID],
    results: list[dict[str, object]],
    actor: Principal | None,
    override_reason: str | None = None,
) -> SelectionDecisionRow:
    previous = current_decision(session, submission.id)
    row = SelectionDecisionRow(
        id=new_id("sel"),
        submission_id=submission.id,
        seq=(previous.seq + 1) if previous else 1,
        selected=selected,
        policy_version=policy_version,
        fired_rules=fired,
        rule_results=results,
        manual=override_reason is not None,
        override_reason=override_reason,
        decided_by=actor.user_id if actor else None,
        decided_at=ctx.clock.now(),
    )
    session.add(row)
    submission.selection_status = SelectionStatus.SELECTED if selected else SelectionStatus.NOT_SELECTED
    return row


def run_engine(
    session: Session, ctx: ReviewContext, submission: SubmissionRow, actor: Principal | None, *, force: bool
) -> SelectionDecisionRow | None:
    """Evaluate with the current policy and store the decision. Unless ``force``, a standing manual
    override is kept (returns None): an override is only replaced by an explicit evaluation."""
    previous = current_decision(session, submission.id)
    if not force and previous is not None and previous.manual:
        return None
    scores = measured(session, submission)
    outcome = evaluate(ctx.policy, facts_of(session, submission, scores))
    reads_scores = {rule.id for rule in ctx.policy.rules if isinstance(rule, EvalMargin)}
    marking = None if scores.marking is None else int(scores.marking)
    results: list[dict[str, object]] = [
        {"rule_id": r.rule_id, "kind": r.kind, "fired": r.fired, "explanation": r.explanation}
        | ({_MARKING: marking} if r.rule_id in reads_scores else {})
        for r in outcome.results
    ]
    row = _store(
        session,
        ctx,
        submission,
        selected=outcome.selected,
        policy_version=outcome.policy_version,
        fired=outcome.fired_rules,
        results=results,
        actor=actor,
    )
    ctx.record(
        session,
        actor,
        "selection.evaluate",
        "selection",
        submission.id,
        selected=outcome.selected,
        policy_version=outcome.policy_version,
        fired_rules=outcome.fired_rules,
    )
    return row


def _rule_result_public(actor: Principal, scope: Scope, result: dict[str, Any]) -> RuleResultPublic:
    """A rule result as ``actor`` may read it. An ``eval_margin`` result stored before its marking was kept
    is taken as TOP SECRET: its figures may have come from any evidence."""
    explanation = result["explanation"]
    if _MARKING in result or result.get("kind") == "eval_margin":
        level = result.get(_MARKING, int(Classification.TOP_SECRET))
        evidence = scope.resource(ResourceKind.EVIDENCE, classification=level)
        if level is not None and not visible(actor, evidence):
            explanation = _WITHHELD
    return RuleResultPublic(
        rule_id=result["rule_id"], kind=result["kind"], fired=result["fired"], explanation=explanation
    )


def _decision_public(actor: Principal, scope: Scope, row: SelectionDecisionRow) -> SelectionDecisionPublic:
    return SelectionDecisionPublic(
        id=row.id,
        selected=row.selected,
        policy_version=row.policy_version,
        fired_rules=list(row.fired_rules),
        rule_results=[_rule_result_public(actor, scope, r) for r in row.rule_results],
        manual=row.manual,
        override_reason=row.override_reason,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )


class SelectionService:
    def __init__(self, ctx: ReviewContext) -> None:
        self._ctx = ctx

    def policy_description(self) -> dict[str, Any]:
        """The policy in force, as published criteria (version, combinator, rules)."""
        policy = self._ctx.policy
        rules = [{"id": r.id, "kind": RULE_KINDS[type(r)], **_rule_params(r)} for r in policy.rules]
        return {
            "name": policy.name,
            "version": policy.version,
            "combinator": policy.combinator.value,
            "rules": rules,
        }

    def get(self, actor: Principal, submission_id: SubmissionID) -> SelectionPublic:
        with self._ctx.unit(actor, "selection.read", "selection", submission_id) as session:
            scope = scope_of_submission(session, submission_id)
            resource = scope.resource(ResourceKind.SELECTION)
            require(actor, Action.READ, resource, what=f"submission {submission_id}")
            rationale = decide(actor, Action.READ_SECRET, resource).allowed
            self._ctx.record(session, actor, "selection.read", "selection", submission_id, rationale=rationale)
            return self._public(session, actor, scope, rationale=rationale)

    def evaluate(self, actor: Principal, submission_id: SubmissionID) -> SelectionPublic:
        """Re-run the engine with the current policy (replaces a manual override)."""
        with self._ctx.unit(actor, "selection.evaluate", "selection", submission_id) as session:
            scope = self._decidable(session, actor, submission_id)
            run_engine(session, self._ctx, scope.submission, actor, force=True)
            return self._public(session, actor, scope, rationale=True)

    def override(self, actor: Principal, submission_id: SubmissionID, body: SelectionOverride) -> SelectionPublic:
        """A manual decision with a mandatory written reason; audited with the reason."""
        with self._ctx.unit(actor, "selection.override", "selection", submission_id) as session:
            scope = self._decidable(session, actor, submission_id)
            _store(
                session,
                self._ctx,
                scope.submission,
                selected=body.selected,
                policy_version=None,
                fired=[],
                results=[],
                actor=actor,
                override_reason=body.reason,
            )
            self._ctx.record(
                session,
                actor,
                "selection.override",
                "selection",
                submission_id,
                selected=body.selected,
                reason=body.reason,
            )
            return self._public(session, actor, scope, rationale=True)

    def _decidable(self, session: Session, actor: Principal, submission_id: SubmissionID) -> Scope:
        scope = scope_of_submission(session, submission_id, lock=True)  # decisions are numbered per submission
        require(actor, Action.DECIDE, scope.resource(ResourceKind.SELECTION), what=f"submission {submission_id}")
        if scope.submission.status == SubmissionStatus.WITHDRAWN:
            raise ReviewStateError(
                f"submission {submission_id} was withdrawn; selection is closed", code="submission_withdrawn"
            )
        require_not_closed(scope, self._ctx.clock.now())
        return scope

    def _public(self, session: Session, actor: Principal, scope: Scope, *, rationale: bool) -> SelectionPublic:
        submission = scope.submission
        status = submission.selection_status
        if not rationale:
            return SelectionPublic(submission_id=submission.id, status=status)
        session.flush()
        history = session.scalars(
            sa.select(SelectionDecisionRow)
            .where(SelectionDecisionRow.submission_id == submission.id)
            .order_by(SelectionDecisionRow.seq.desc())
        ).all()
        nominations = session.scalars(
            sa.select(NominationRow)
            .where(NominationRow.submission_id == submission.id)
            .order_by(NominationRow.created_at)
        ).all()
        return SelectionPublic(
            submission_id=submission.id,
            status=status,
            current=_decision_public(actor, scope, history[0]) if history else None,
            history=[_decision_public(actor, scope, h) for h in history],
            nominations=[
                NominationPublic(
                    id=n.id,
                    agency_org_id=n.agency_org_id,
                    agency_name=n.agency_name,
                    nominated_by=n.nominated_by,
                    reason=n.reason,
                    created_at=n.created_at,
                )
                for n in nominations
            ],
        )
