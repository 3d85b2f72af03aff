"""Assigning trusted evaluators (agency or partner staff) to a review and its focus areas.

Refused: anyone from the submitting lab's organisation (conflict of interest), anyone from any frontier
lab, users without the evaluator role, and evaluators not cleared for the review's classification. The list
of who evaluates a model is need-to-know (``Action.READ_SECRET`` on the review): never shown to the lab.
"""

from __future__ import annotations

import sqlalchemy as sa

from bastion.core.access import Action, ResourceKind
from bastion.core.errors import NotFound
from bastion.core.ids import ReviewID
from bastion.core.principal import Classification, OrgKind, Principal, Role, UserID
from bastion.review._base import ReviewContext, new_id, require, scope_of_review
from bastion.review.errors import ConflictOfInterestError, ReviewStateError, invalid
from bastion.review.lifecycle import FocusArea
from bastion.review.models import AssignmentRow
from bastion.review.reviews import require_open
from bastion.review.schemas import AssignmentCreate, AssignmentPublic, AssignmentsPublic

TRUSTED_ORG_KINDS = frozenset({OrgKind.AGENCY, OrgKind.TRUSTED_PARTNER, OrgKind.PROGRAMME_OFFICE})


def _public(row: AssignmentRow) -> AssignmentPublic:
    return AssignmentPublic(
        id=row.id,
        review_id=row.review_id,
        user_id=row.user_id,
        focus_areas=[FocusArea(f) for f in row.focus_areas],
        assigned_by=row.assigned_by,
        assigned_at=row.assigned_at,
    )


class AssignmentService:
    def __init__(self, ctx: ReviewContext) -> None:
        self._ctx = ctx

    def assign(self, actor: Principal, review_id: ReviewID, body: AssignmentCreate) -> AssignmentPublic:
        with self._ctx.unit(actor, "assignment.create", "review", review_id) as session:
            scope = scope_of_review(session, review_id, lock=True)
            require(actor, Action.DECIDE, scope.resource(ResourceKind.REVIEW), what=f"review {review_id}")
            review = scope.review
            assert review is not None
            require_open(review, scope.submission, self._ctx.clock.now())
            try:
                evaluator = self._ctx.directory.get_principal(body.user_id)
            except NotFound:
                raise invalid(f"no user {body.user_id}", hint="list users with `bastion users list`") from None
            if evaluator.org_id == scope.submission.org_id:
                raise ConflictOfInterestError(
                    f"user {body.user_id} belongs to the submitting lab and cannot evaluate its model",
                    hint="assign agency or trusted-partner staff",
                )
            if evaluator.org_kind not in TRUSTED_ORG_KINDS:
                raise ConflictOfInterestError(
                    f"user {body.user_id} works for a frontier lab; evaluators are agency or partner staff",
                    hint="assign agency or trusted-partner staff",
                )
            if not evaluator.has_role(Role.EVALUATOR):
                raise invalid(f"user {body.user_id} does not have the evaluator role", user_id=body.user_id)
            level = Classification(review.classification)
            if not evaluator.cleared_for(level):
                raise invalid(
                    f"user {body.user_id} is not cleared for {level.banner}",
                    user_id=body.user_id,
                    required=level.name,
                )
            existing = session.scalar(
                sa.select(AssignmentRow).where(
                    AssignmentRow.review_id == review_id, AssignmentRow.user_id == body.user_id
                )
            )
            if existing is not None:
                raise ReviewStateError(
                    f"user {body.user_id} is already assigned to review {review_id}",
                    code="already_assigned",
                    details={"assignment_id": existing.id},
                )
            row = AssignmentRow(
                id=new_id("asg"),
                review_id=review_id,
                user_id=body.user_id,
                focus_areas=sorted({f.value for f in body.focus_areas}),
                assigned_by=actor.user_id,
                assigned_at=self._ctx.clock.now(),
            )
            session.add(row)
            self._ctx.record(
                session,
                actor,
                "assignment.create",
                "review",
                review_id,
                user_id=body.user_id,
                focus_areas=row.focus_areas,
            )
            return _public(row)

    def unassign(self, actor: Principal, review_id: ReviewID, user_id: UserID) -> None:
        with self._ctx.unit(actor, "assignment.delete", "review", review_id) as session:
            scope = scope_of_review(session, review_id, lock=True)
            require(actor, Action.DECIDE, scope.resource(ResourceKind.REVIEW), what=f"review {review_id}")
            assert scope.review is not None
            # A closed review is a record: who evaluated it stays as it was.
            require_open(scope.review, scope.submission, self._ctx.clock.now())
            row = session.scalar(
                sa.select(AssignmentRow).where(AssignmentRow.review_id == review_id, AssignmentRow.user_id == user_id)
            )
            if row is None:
                raise NotFound(f"user {user_id} is not assigned to review {review_id}", code="not_found")
            session.delete(row)
            self._ctx.record(session, actor, "assignment.delete", "review", review_id, user_id=user_id)

    def list_for_review(self, actor: Principal, review_id: ReviewID) -> AssignmentsPublic:
        with self._ctx.unit(actor, "assignment.list", "review", review_id) as session:
            scope = scope_of_review(session, review_id)
            resource = scope.resource(ResourceKind.REVIEW)
            require(actor, Action.READ, resource, what=f"review {review_id}")
            require(actor, Action.READ_SECRET, resource, what=f"review {review_id}")
            rows = session.scalars(
                sa.select(AssignmentRow).where(AssignmentRow.review_id == review_id).order_by(AssignmentRow.assigned_at)
            ).all()
            self._ctx.record(session, actor, "assignment.list", "review", review_id, count=len(rows))
            return AssignmentsPublic(data=[_public(r) for r in rows], count=len(rows))
