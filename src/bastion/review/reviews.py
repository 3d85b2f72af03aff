"""Reviews: the window opens when evaluators get access and closes by the pure rules in ``window.py``.

A lab may record its release at any time: the review closes with reason ``released`` and keeps everything
gathered so far. Nothing here can hold a release back. Extensions need the lab's recorded consent.
``tick`` persists closures and enqueues due reminders (idempotently) for the outbox.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.core.access import Action, Resource, ResourceKind, authorize, decide, visible
from bastion.core.audit import SCHEDULER, Actor
from bastion.core.errors import Forbidden
from bastion.core.ids import ReviewID
from bastion.core.principal import Classification, Principal
from bastion.review._base import (
    ReviewContext,
    Scope,
    assigned_by_review,
    new_id,
    require,
    scope_of_review,
    scope_of_submission,
)
from bastion.review.errors import ReviewStateError, invalid
from bastion.review.lifecycle import SelectionStatus, SubmissionStatus
from bastion.review.models import ReviewRow, SubmissionRow
from bastion.review.outbox import Topic, enqueue
from bastion.review.schemas import (
    ReleaseRecord,
    ReminderPublic,
    ReviewCreate,
    ReviewPublic,
    ReviewsPublic,
    TickResult,
)
from bastion.review.window import (
    CloseReason,
    WindowConfig,
    WindowFacts,
    WindowState,
    WindowStatus,
    due_reminder,
    evaluate,
    reminder_schedule,
)


def _facts(review: ReviewRow, submission: SubmissionRow) -> tuple[WindowFacts, WindowConfig]:
    facts = WindowFacts(
        opened_at=review.opened_at,
        intended_release_at=submission.intended_release_at,
        extension_days=review.extension_days,
        released_at=review.released_at,
        withdrawn_at=review.withdrawn_at,
    )
    return facts, WindowConfig(window_days=review.window_days, close_at_release=review.close_at_release)


def window_state(review: ReviewRow, submission: SubmissionRow, now: datetime) -> WindowState:
    """The window at ``now``; a closure already recorded is final (a later date change cannot reopen it)."""
    facts, config = _facts(review, submission)
    state = evaluate(facts, config, now)
    if review.closed_at is not None and review.close_reason is not None:
        return WindowState(WindowStatus.CLOSED, state.deadline, review.closed_at, CloseReason(review.close_reason))
    return state


def review_public(review: ReviewRow, submission: SubmissionRow, now: datetime) -> ReviewPublic:
    state = window_state(review, submission, now)
    facts, config = _facts(review, submission)
    return ReviewPublic(
        id=review.id,
        submission_id=submission.id,
        org_id=review.org_id,
        model_name=submission.model_name,
        model_version=submission.model_version,
        classification=Classification(review.classification),
        status=state.status,
        close_reason=None if state.is_open else state.close_reason,
        opened_at=review.opened_at,
        deadline=state.deadline,
        closes_at=state.closes_at,
        closed_at=None if state.is_open else state.closes_at,
        window_days=review.window_days,
        close_at_release=review.close_at_release,
        extension_days=review.extension_days,
        intended_release_at=submission.intended_release_at,
        released_at=review.released_at,
        reminders=[ReminderPublic(label=r.label, due_at=r.due_at) for r in reminder_schedule(facts, config)],
    )


def close_review(
    session: Session,
    ctx: ReviewContext,
    review: ReviewRow,
    submission: SubmissionRow,
    actor: Actor,
) -> bool:
    """Record the closure if the window is closed now and not yet recorded (the caller holds the review's row
    lock). Returns whether it closed. Access to the model ends with the review: the stored model-access
    credential is erased."""
    state = evaluate(*_facts(review, submission), ctx.clock.now())
    if review.closed_at is not None or state.is_open:
        return False
    review.closed_at = state.closes_at
    review.close_reason = state.close_reason
    had_credential = submission.access_credential_encrypted is not None
    submission.access_credential_encrypted = None
    ctx.record(
        session,
        actor,
        "review.close",
        "review",
        review.id,
        reason=state.close_reason,
        closed_at=state.closes_at,
        access_credential_erased=had_credential,
    )
    enqueue(
        session,
        topic=Topic.CLOSED,
        dedupe_key=f"review:{review.id}:closed",
        payload={
            "review_id": review.id,
            "reason": state.close_reason.value,
            "closed_at": state.closes_at.isoformat(),
        },
        at=ctx.clock.now(),
    )
    return True


def require_open(review: ReviewRow, submission: SubmissionRow, now: datetime) -> None:
    state = window_state(review, submission, now)
    if not state.is_open:
        raise ReviewStateError(
            f"review {review.id} is closed ({state.close_reason.value})",
            code="review_closed",
            details={"close_reason": state.close_reason.value, "closed_at": state.closes_at.isoformat()},
        )


class ReviewService:
    def __init__(self, ctx: ReviewContext) -> None:
        self._ctx = ctx

    def open(self, actor: Principal, body: ReviewCreate) -> ReviewPublic:
        """Open the window for a selected submission (when evaluators get access)."""
        with self._ctx.unit(actor, "review.open", "review", None) as session:
            scope = scope_of_submission(session, body.submission_id, lock=True)
            what = f"submission {body.submission_id}"
            require(actor, Action.READ, scope.resource(ResourceKind.SUBMISSION), what=what)
            # Whoever may see the submission is told plainly that opening its review is not theirs to do
            # (an agency reviewer's denial on review content is otherwise a concealing one).
            if not decide(actor, Action.DECIDE, scope.resource(ResourceKind.REVIEW)).allowed:
                raise Forbidden(
                    f"not allowed to open a review of {what}: programme administrators do", code="forbidden"
                )
            submission = scope.submission
            if submission.status == SubmissionStatus.WITHDRAWN:
                raise ReviewStateError(f"submission {submission.id} was withdrawn", code="submission_withdrawn")
            if submission.selection_status != SelectionStatus.SELECTED:
                raise ReviewStateError(
                    f"submission {submission.id} is not selected for review",
                    code="not_selected",
                    hint="select it first (POST /api/submissions/{id}/selection with a reason to override)",
                )
            if scope.review is not None:
                raise ReviewStateError(
                    f"submission {submission.id} already has review {scope.review.id}",
                    code="review_exists",
                    details={"review_id": scope.review.id},
                )
            review = ReviewRow(
                id=new_id("rev"),
                submission_id=submission.id,
                org_id=submission.org_id,
                classification=submission.classification,
                opened_at=self._ctx.clock.now(),
                window_days=body.window_days or self._ctx.window.window_days,
                close_at_release=(
                    self._ctx.window.close_at_release if body.close_at_release is None else body.close_at_release
                ),
                extension_days=0,
                opened_by=actor.user_id,
            )
            session.add(review)
            session.flush()
            self._ctx.record(session, actor, "review.open", "review", review.id, submission_id=submission.id)
            return review_public(review, submission, self._ctx.clock.now())

    def get(self, actor: Principal, review_id: ReviewID) -> ReviewPublic:
        with self._ctx.unit(actor, "review.read", "review", review_id) as session:
            scope = self._scope(session, actor, Action.READ, review_id)
            self._ctx.record(session, actor, "review.read", "review", review_id)
            assert scope.review is not None
            return review_public(scope.review, scope.submission, self._ctx.clock.now())

    def list_visible(self, actor: Principal, *, status: WindowStatus | None = None) -> ReviewsPublic:
        with self._ctx.unit(actor, "review.list", "review", None) as session:
            rows = session.execute(
                sa.select(ReviewRow, SubmissionRow)
                .join(SubmissionRow, SubmissionRow.id == ReviewRow.submission_id)
                .order_by(ReviewRow.opened_at, ReviewRow.id)
            ).all()
            now = self._ctx.clock.now()
            assigned = assigned_by_review(session, (review.id for review, _ in rows))
            data = []
            for review, submission in rows:
                scope = Scope(submission, review, assigned.get(review.id, frozenset()))
                if not visible(actor, scope.resource(ResourceKind.REVIEW)):
                    continue
                public = review_public(review, submission, now)
                if status is None or public.status is status:
                    data.append(public)
            self._ctx.record(session, actor, "review.list", "review", None, count=len(data))
            return ReviewsPublic(data=data, count=len(data))

    def release(self, actor: Principal, review_id: ReviewID, body: ReleaseRecord) -> ReviewPublic:
        """The lab records its public release, never refused for timing; the review keeps its findings."""
        with self._ctx.unit(actor, "review.release", "review", review_id) as session:
            scope = self._scope(session, actor, Action.UPDATE, review_id, lock=True)
            review, submission = scope.review, scope.submission
            assert review is not None
            now = self._ctx.clock.now()
            released_at = body.released_at or now
            if released_at > now:
                raise invalid(
                    "released_at is in the future",
                    hint="record the release when it happens; to move the date, update intended_release_at",
                    released_at=released_at.isoformat(),
                )
            if review.released_at is not None:
                raise ReviewStateError(f"review {review_id} already has a release recorded", code="already_released")
            review.released_at = max(released_at, review.opened_at)
            self._ctx.record(session, actor, "review.release", "review", review_id, released_at=review.released_at)
            close_review(session, self._ctx, review, submission, actor)
            return review_public(review, submission, now)

    def tick(self, actor: Principal | None = None) -> TickResult:
        """Close reviews whose window has ended and enqueue due reminders. Safe to run any number of times.
        ``actor`` None is the scheduler (the ``bastion review tick`` job); a principal must be allowed to
        operate the outbox (programme administrators)."""
        if actor is not None:
            with self._ctx.unit(actor, "review.tick", "outbox", None) as session:
                authorize(actor, Action.UPDATE, Resource(kind=ResourceKind.OUTBOX), what="outbox")
                self._ctx.record(session, actor, "review.tick", "outbox", None)  # who asked; the scheduler closes
        closed: list[str] = []
        reminders = 0
        with self._ctx.database.read_session() as session:
            candidates = session.scalars(
                sa.select(ReviewRow.id).where(ReviewRow.closed_at.is_(None)).order_by(ReviewRow.id)
            ).all()
        for review_id in candidates:
            # One unit per review, by the scheduler (the system actor of the audit log), under the review's row
            # lock: a tick racing a release, a withdrawal or another tick closes the review once.
            with self._ctx.unit(SCHEDULER, "review.tick", "review", review_id) as session:
                scope = scope_of_review(session, review_id, lock=True)
                review, submission = scope.review, scope.submission
                assert review is not None
                if close_review(session, self._ctx, review, submission, SCHEDULER):
                    closed.append(review.id)
                    continue
                if review.closed_at is not None:
                    continue
                now = self._ctx.clock.now()
                due = due_reminder(*_facts(review, submission), now)
                if due is None:
                    continue
                payload = {
                    "review_id": review.id,
                    "reminder": due.label,
                    "closes_at": due.deadline.isoformat(),
                }
                key = f"review:{review.id}:reminder:{due.label}:{due.deadline.isoformat()}"
                if enqueue(session, topic=Topic.REMINDER, dedupe_key=key, payload=payload, at=now):
                    reminders += 1
                    self._ctx.record(session, SCHEDULER, "review.remind", "review", review.id, reminder=due.label)
        return TickResult(closed=closed, reminders=reminders)

    def _scope(
        self, session: Session, actor: Principal, action: Action, review_id: ReviewID, *, lock: bool = False
    ) -> Scope:
        scope = scope_of_review(session, review_id, lock=lock)
        require(actor, action, scope.resource(ResourceKind.REVIEW), what=f"review {review_id}")
        return scope
