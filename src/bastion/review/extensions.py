"""Extensions of a review window: only with the lab's recorded consent.

The programme proposes (``proposed``) and the lab answers (``consented`` / ``declined``); a lab submitter
may also offer an extension itself, which is recorded as consented at once. Consented days move the
scheduled close (``window.deadline``).

Whose side proposes is the policy's answer (``Action.CONSENT``: only the owning lab's submitters consent), and
a reader is shown the ids of proposers and answerers only as the policy allows (``Action.READ_AUTHOR``: a lab
sees its own people's, never programme staff's).
"""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.core.access import Action, Resource, ResourceKind, decide, not_found
from bastion.core.ids import ExtensionID, ReviewID
from bastion.core.principal import OrgID, Principal, UserID
from bastion.review._base import ReviewContext, Scope, new_id, require, scope_of_review
from bastion.review.errors import ReviewStateError
from bastion.review.models import ExtensionRow
from bastion.review.reviews import require_open
from bastion.review.schemas import ExtensionAnswer, ExtensionCreate, ExtensionPublic, ExtensionsPublic


def _author(actor: Principal, review: Resource, user_id: UserID | None, org_id: OrgID | None) -> UserID | None:
    author = replace(review, author_org_id=org_id)
    return user_id if user_id is not None and decide(actor, Action.READ_AUTHOR, author).allowed else None


def _public(actor: Principal, scope: Scope, row: ExtensionRow) -> ExtensionPublic:
    review = scope.resource(ResourceKind.REVIEW)
    return ExtensionPublic.model_validate(
        {
            "id": row.id,
            "review_id": row.review_id,
            "days": row.days,
            "reason": row.reason,
            "status": row.status,
            "proposed_by": _author(actor, review, row.proposed_by, row.proposed_by_org),
            "proposed_at": row.proposed_at,
            # only the owning lab answers (Action.CONSENT)
            "answered_by": _author(actor, review, row.answered_by, scope.submission.org_id),
            "answered_at": row.answered_at,
        }
    )


class ExtensionService:
    def __init__(self, ctx: ReviewContext) -> None:
        self._ctx = ctx

    def propose(self, actor: Principal, review_id: ReviewID, body: ExtensionCreate) -> ExtensionPublic:
        with self._ctx.unit(actor, "extension.propose", "review", review_id) as session:
            scope = scope_of_review(session, review_id, lock=True)
            resource = scope.resource(ResourceKind.REVIEW)
            by_lab = decide(actor, Action.CONSENT, resource).allowed  # the lab's own offer is its consent
            require(actor, Action.CONSENT if by_lab else Action.DECIDE, resource, what=f"review {review_id}")
            review = scope.review
            assert review is not None
            now = self._ctx.clock.now()
            require_open(review, scope.submission, now)
            pending = session.scalar(
                sa.select(ExtensionRow.id).where(ExtensionRow.review_id == review_id, ExtensionRow.status == "proposed")
            )
            if pending is not None and not by_lab:
                raise ReviewStateError(
                    f"extension {pending} is still waiting for the lab's answer", code="extension_pending"
                )
            row = ExtensionRow(
                id=new_id("ext"),
                review_id=review_id,
                days=body.days,
                reason=body.reason,
                status="consented" if by_lab else "proposed",
                proposed_by=actor.user_id,
                proposed_by_org=actor.org_id,
                proposed_at=now,
                answered_by=actor.user_id if by_lab else None,
                answered_at=now if by_lab else None,
            )
            session.add(row)
            before = review.extension_days
            if by_lab:
                review.extension_days += body.days
            self._ctx.record(
                session,
                actor,
                "extension.propose",
                "review",
                review_id,
                extension_id=row.id,
                days=body.days,
                consented=by_lab,
                old={"extension_days": before},
                new={"extension_days": review.extension_days},
            )
            return _public(actor, scope, row)

    def answer(self, actor: Principal, extension_id: ExtensionID, body: ExtensionAnswer) -> ExtensionPublic:
        """The lab's recorded consent (or refusal). Only a lab submitter of the owning lab may answer."""
        with self._ctx.unit(actor, "extension.answer", "extension", extension_id) as session:
            row, scope = self._load(session, extension_id)
            require(actor, Action.READ, scope.resource(ResourceKind.REVIEW), what=f"extension {extension_id}")
            require(actor, Action.CONSENT, scope.resource(ResourceKind.REVIEW), what=f"extension {extension_id}")
            if row.status != "proposed":
                raise ReviewStateError(f"extension {extension_id} was already {row.status}", code="extension_answered")
            review = scope.review
            assert review is not None
            now = self._ctx.clock.now()
            require_open(review, scope.submission, now)
            before = (row.status, review.extension_days)
            row.status = "consented" if body.consent else "declined"
            row.answered_by = actor.user_id
            row.answered_at = now
            if body.consent:
                review.extension_days += row.days
            self._ctx.record(
                session,
                actor,
                "extension.answer",
                "review",
                review.id,
                extension_id=row.id,
                consent=body.consent,
                old={"status": before[0], "extension_days": before[1]},
                new={"status": row.status, "extension_days": review.extension_days},
            )
            return _public(actor, scope, row)

    def list_for_review(self, actor: Principal, review_id: ReviewID) -> ExtensionsPublic:
        with self._ctx.unit(actor, "extension.list", "review", review_id) as session:
            scope = scope_of_review(session, review_id)
            require(actor, Action.READ, scope.resource(ResourceKind.REVIEW), what=f"review {review_id}")
            rows = session.scalars(
                sa.select(ExtensionRow).where(ExtensionRow.review_id == review_id).order_by(ExtensionRow.proposed_at)
            ).all()
            self._ctx.record(session, actor, "extension.list", "review", review_id, count=len(rows))
            return ExtensionsPublic(data=[_public(actor, scope, r) for r in rows], count=len(rows))

    @staticmethod
    def _load(session: Session, extension_id: ExtensionID) -> tuple[ExtensionRow, Scope]:
        """The extension and its review, both locked (review first, then the extension read afresh): two
        answers to one extension, or to two, queue and each sees the other's outcome."""
        row = session.get(ExtensionRow, extension_id)
        if row is None:
            raise not_found(f"extension {extension_id}")
        scope = scope_of_review(session, row.review_id, lock=True)
        locked = session.get(ExtensionRow, extension_id, with_for_update=True, populate_existing=True)
        assert locked is not None  # extensions are never deleted
        return locked, scope
