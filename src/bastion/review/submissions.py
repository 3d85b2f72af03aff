"""Submissions: a lab volunteers a model for review, updates or withdraws it at any time, and sees only its
own. Agencies nominate. The model-access credential is encrypted at rest and decrypted only for those
allowed ``Action.READ_SECRET`` (assigned evaluators and programme administrators).

A submission's evaluation scores are not the lab's to write, nor stored on the submission: they are measured
by evaluators and attached to the review as evidence, and each reader sees those it may read (``scores.py``).
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.core.access import Action, Resource, ResourceKind, decide, visible
from bastion.core.errors import Forbidden
from bastion.core.ids import ReviewID, SubmissionID
from bastion.core.principal import Classification, Principal
from bastion.review._base import (
    ReviewContext,
    Scope,
    assigned_by_review,
    edit_detail,
    new_id,
    require,
    scope_of_submission,
)
from bastion.review.decisions import require_not_closed, run_engine
from bastion.review.errors import ReviewStateError, invalid
from bastion.review.lifecycle import SelectionStatus, SubmissionStatus
from bastion.review.models import NominationRow, ReviewRow, SubmissionRow
from bastion.review.reviews import close_review, require_open, window_state
from bastion.review.schemas import (
    NominationCreate,
    NominationPublic,
    SubmissionAccess,
    SubmissionCreate,
    SubmissionPublic,
    SubmissionsPublic,
    SubmissionUpdate,
)
from bastion.review.scores import MeasuredScores, readable_scores, summaries_by_review

_JSON_FIELDS = ("documentation", "capability_tiers")
_TEXT_FIELDS = ("model_name", "model_version", "developer", "access_endpoint", "documentation")


def _audited(row: SubmissionRow, name: str) -> Any:
    """A field's value as the audit keeps it: never the model-access credential, only whether there is one."""
    if name == "access_credential":
        return "set" if row.access_credential_encrypted is not None else None
    value = getattr(row, name)
    return json.dumps(value, sort_keys=True) if name in _JSON_FIELDS else value


_REQUIRED_FIELDS = ("model_name", "model_version", "developer", "training_compute_flop")


def _known_review(actor: Principal, scope: Scope) -> ReviewID | None:
    """The review's id for those who may read the review; to anyone else (an agency reviewer not assigned to
    it) it does not exist."""
    if scope.review is None or not visible(actor, scope.resource(ResourceKind.REVIEW)):
        return None
    return scope.review.id


def _scores_for(session: Session, actor: Principal, scope: Scope) -> MeasuredScores:
    if scope.review is None:
        return MeasuredScores()
    summaries = summaries_by_review(session, [scope.review.id]).get(scope.review.id, [])
    return readable_scores(actor, scope, summaries)


def submission_public(row: SubmissionRow, review_id: ReviewID | None, scores: MeasuredScores) -> SubmissionPublic:
    return SubmissionPublic(
        id=row.id,
        org_id=row.org_id,
        model_name=row.model_name,
        model_version=row.model_version,
        developer=row.developer,
        training_compute_flop=row.training_compute_flop,
        modalities=list(row.modalities),
        intended_release_at=row.intended_release_at,
        access_endpoint=row.access_endpoint,
        has_access_credential=row.access_credential_encrypted is not None,
        documentation=list(row.documentation),
        capability_tiers=list(row.capability_tiers),
        evaluation_scores=dict(scores.scores),
        reference_scores={task: dict(models) for task, models in scores.references.items()},
        classification=Classification(row.classification),
        status=row.status,
        selection=row.selection_status,
        review_id=review_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        withdrawn_at=row.withdrawn_at,
    )


class SubmissionService:
    def __init__(self, ctx: ReviewContext) -> None:
        self._ctx = ctx

    def create(self, actor: Principal, body: SubmissionCreate) -> SubmissionPublic:
        with self._ctx.unit(actor, "submission.create", "submission", None) as session:
            draft = Resource(
                kind=ResourceKind.SUBMISSION, classification=body.classification, owner_org_id=actor.org_id
            )
            decision = decide(actor, Action.CREATE, draft)  # nothing exists yet, so nothing to conceal
            if not decision.allowed:
                raise Forbidden(
                    f"not allowed to submit a model: {decision.reason}", code=decision.code, hint=decision.hint
                )
            now = self._ctx.clock.now()
            row = SubmissionRow(
                id=new_id("sub"),
                org_id=actor.org_id,
                model_name=body.model_name,
                model_version=body.model_version,
                developer=body.developer,
                training_compute_flop=body.training_compute_flop,
                modalities=list(body.modalities),
                intended_release_at=body.intended_release_at,
                access_endpoint=body.access_endpoint,
                access_credential_encrypted=self._encrypt(body.access_credential),
                documentation=[d.model_dump() for d in body.documentation],
                capability_tiers=[t.model_dump() for t in body.capability_tiers],
                classification=int(body.classification),
                status=SubmissionStatus.ACTIVE,
                selection_status=SelectionStatus.PENDING,
                created_by=actor.user_id,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            self._ctx.record(
                session,
                actor,
                "submission.create",
                "submission",
                row.id,
                model=f"{row.model_name} {row.model_version}",
                has_access_credential=row.access_credential_encrypted is not None,
            )
            run_engine(session, self._ctx, row, actor, force=True)
            return submission_public(row, None, MeasuredScores())

    def get(self, actor: Principal, submission_id: SubmissionID) -> SubmissionPublic:
        with self._ctx.unit(actor, "submission.read", "submission", submission_id) as session:
            scope = self._scope(session, actor, Action.READ, submission_id)
            self._ctx.record(session, actor, "submission.read", "submission", submission_id)
            return submission_public(scope.submission, _known_review(actor, scope), _scores_for(session, actor, scope))

    def list_visible(self, actor: Principal, *, status: SubmissionStatus | None = None) -> SubmissionsPublic:
        with self._ctx.unit(actor, "submission.list", "submission", None) as session:
            query = sa.select(SubmissionRow, ReviewRow.id).outerjoin(
                ReviewRow, ReviewRow.submission_id == SubmissionRow.id
            )
            if status is not None:
                query = query.where(SubmissionRow.status == status)
            rows = session.execute(query.order_by(SubmissionRow.created_at, SubmissionRow.id)).all()
            assigned = assigned_by_review(session, (review_id for _, review_id in rows))
            summaries = summaries_by_review(session, (review_id for _, review_id in rows))
            data = []
            for row, review_id in rows:
                scope = Scope(row, None, assigned.get(review_id, frozenset()) if review_id else frozenset())
                if visible(actor, scope.resource(ResourceKind.SUBMISSION)):
                    known = review_id if visible(actor, scope.resource(ResourceKind.REVIEW)) else None
                    scores = readable_scores(actor, scope, summaries.get(review_id, [])) if review_id else None
                    data.append(submission_public(row, known, scores or MeasuredScores()))
            self._ctx.record(session, actor, "submission.list", "submission", None, count=len(data))
            return SubmissionsPublic(data=data, count=len(data))

    def update(self, actor: Principal, submission_id: SubmissionID, body: SubmissionUpdate) -> SubmissionPublic:
        with self._ctx.unit(actor, "submission.update", "submission", submission_id) as session:
            scope = self._scope(session, actor, Action.UPDATE, submission_id, lock=True)
            row = self._active(scope)
            if scope.review is not None:
                # What was reviewed stays as it was reviewed once the review has closed.
                require_open(scope.review, row, self._ctx.clock.now())
            changes = body.model_dump(exclude_unset=True)
            cleared = sorted(name for name in _REQUIRED_FIELDS if name in changes and changes[name] is None)
            if cleared:
                raise invalid(
                    f"{', '.join(cleared)} cannot be null",
                    hint="leave a field out to keep its value",
                    fields=cleared,
                )
            old = {name: _audited(row, name) for name in changes}
            for name, value in changes.items():
                if name == "access_credential":
                    row.access_credential_encrypted = self._encrypt(value)
                elif name in _JSON_FIELDS:
                    setattr(row, name, list(value or []))
                elif name == "modalities" and value is None:
                    continue
                else:
                    setattr(row, name, value)
            row.updated_at = self._ctx.clock.now()
            new = {name: _audited(row, name) for name in changes}
            level = Classification(row.classification)
            self._ctx.record(
                session,
                actor,
                "submission.update",
                "submission",
                submission_id,
                **edit_detail(old, new, level=level, text=_TEXT_FIELDS),
            )
            run_engine(session, self._ctx, row, actor, force=False)
            return submission_public(row, _known_review(actor, scope), _scores_for(session, actor, scope))

    def withdraw(self, actor: Principal, submission_id: SubmissionID) -> SubmissionPublic:
        """Withdraw (the lab may, at any time). An open review closes with reason ``withdrawn``."""
        with self._ctx.unit(actor, "submission.withdraw", "submission", submission_id) as session:
            scope = self._scope(session, actor, Action.DELETE, submission_id, lock=True)
            row = self._active(scope)
            now = self._ctx.clock.now()
            row.status = SubmissionStatus.WITHDRAWN
            row.withdrawn_at = now
            row.updated_at = now
            had_credential = row.access_credential_encrypted is not None
            row.access_credential_encrypted = None  # access to the model ends with the withdrawal
            self._ctx.record(
                session,
                actor,
                "submission.withdraw",
                "submission",
                submission_id,
                old={"status": SubmissionStatus.ACTIVE},
                new={"status": SubmissionStatus.WITHDRAWN},
                access_credential_erased=had_credential,
            )
            if scope.review is not None and scope.review.closed_at is None:
                scope.review.withdrawn_at = now
                close_review(session, self._ctx, scope.review, row, actor)
            return submission_public(row, _known_review(actor, scope), _scores_for(session, actor, scope))

    def read_access(self, actor: Principal, submission_id: SubmissionID) -> SubmissionAccess:
        """The decrypted model-access credential. Audited (without the value)."""
        with self._ctx.unit(actor, "submission.access.read", "submission", submission_id) as session:
            scope = self._scope(session, actor, Action.READ, submission_id)
            require(
                actor,
                Action.READ_SECRET,
                scope.resource(ResourceKind.SUBMISSION),
                what=f"submission {submission_id}",
            )
            row = scope.submission
            self._access_open(scope)
            credential = (
                self._ctx.secrets.decrypt(row.access_credential_encrypted) if row.access_credential_encrypted else None
            )
            self._ctx.record(session, actor, "submission.access.read", "submission", submission_id)
            return SubmissionAccess(
                submission_id=row.id, access_endpoint=row.access_endpoint, access_credential=credential
            )

    def nominate(self, actor: Principal, submission_id: SubmissionID, body: NominationCreate) -> NominationPublic:
        """An agency nominates a submission for review; the engine re-evaluates (an override stands)."""
        with self._ctx.unit(actor, "selection.nominate", "selection", submission_id) as session:
            scope = scope_of_submission(session, submission_id, lock=True)
            require(
                actor,
                Action.NOMINATE,
                scope.resource(ResourceKind.SELECTION),
                what=f"submission {submission_id}",
            )
            row = self._active(scope)
            require_not_closed(scope, self._ctx.clock.now())
            exists = session.scalar(
                sa.select(NominationRow.id).where(
                    NominationRow.submission_id == submission_id, NominationRow.agency_org_id == actor.org_id
                )
            )
            if exists is not None:
                raise ReviewStateError(
                    f"your agency already nominated submission {submission_id}", code="already_nominated"
                )
            agency = self._ctx.directory.get_organisation(actor.org_id)
            nomination = NominationRow(
                id=new_id("nom"),
                submission_id=submission_id,
                agency_org_id=actor.org_id,
                agency_name=agency.name,
                nominated_by=actor.user_id,
                reason=body.reason,
                created_at=self._ctx.clock.now(),
            )
            session.add(nomination)
            session.flush()
            self._ctx.record(session, actor, "selection.nominate", "selection", submission_id, agency=agency.name)
            run_engine(session, self._ctx, row, actor, force=False)
            return NominationPublic(
                id=nomination.id,
                agency_org_id=nomination.agency_org_id,
                agency_name=nomination.agency_name,
                nominated_by=nomination.nominated_by,
                reason=nomination.reason,
                created_at=nomination.created_at,
            )

    def _access_open(self, scope: Scope) -> None:
        """Access to the model ends with the review, and with the lab's withdrawal."""
        submission = scope.submission
        ended = None
        if submission.status == SubmissionStatus.WITHDRAWN:
            ended = "the lab withdrew the submission"
        elif scope.review is not None:
            state = window_state(scope.review, submission, self._ctx.clock.now())
            if not state.is_open:
                ended = f"its review closed ({state.close_reason.value})"
        if ended is not None:
            raise ReviewStateError(
                f"access to the model of submission {submission.id} has ended: {ended}",
                code="model_access_ended",
                hint="model access lasts as long as the review's window",
            )

    def _scope(
        self, session: Session, actor: Principal, action: Action, submission_id: SubmissionID, *, lock: bool = False
    ) -> Scope:
        scope = scope_of_submission(session, submission_id, lock=lock)
        require(actor, action, scope.resource(ResourceKind.SUBMISSION), what=f"submission {submission_id}")
        return scope

    @staticmethod
    def _active(scope: Scope) -> SubmissionRow:
        if scope.submission.status == SubmissionStatus.WITHDRAWN:
            raise ReviewStateError(
                f"submission {scope.submission.id} was withdrawn and can no longer change",
                code="submission_withdrawn",
                hint="submit the model again to start over",
            )
        return scope.submission

    def _encrypt(self, credential: str | None) -> str | None:
        return self._ctx.secrets.encrypt(credential) if credential else None
