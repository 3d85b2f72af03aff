"""What every review service shares: its dependencies, the audited unit of work, ids, and the *scope* of a
piece of review content (its submission, review and assigned evaluators) from which access is decided."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.core import audit, config
from bastion.core.access import Action, Resource, ResourceKind, authorize, not_found
from bastion.core.clock import Clock
from bastion.core.crypto import SecretBox
from bastion.core.principal import Classification, OrgID, OrgKind, Principal, UserID
from bastion.core.work import UnitOfWork
from bastion.db import Database
from bastion.review.models import AssignmentRow, FindingRow, ReviewRow, SubmissionRow
from bastion.review.selection import Policy
from bastion.review.window import WindowConfig

MAX_EVIDENCE_BYTES = config.MAX_EVIDENCE_BYTES  # the default of Settings.max_evidence_bytes


class Organisation(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> OrgKind: ...


class Directory(Protocol):
    """The port to identity the review slice needs (``IdentityService`` implements it)."""

    def get_principal(self, user_id: str) -> Principal: ...
    def get_organisation(self, org_id: str) -> Organisation: ...


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


@dataclass(frozen=True)
class ReviewContext:
    database: Database
    clock: Clock
    data_dir: Path
    secrets: SecretBox
    directory: Directory
    policy: Policy
    uow: UnitOfWork
    window: WindowConfig = field(default_factory=WindowConfig)
    max_evidence_bytes: int = MAX_EVIDENCE_BYTES

    @contextmanager
    def unit(
        self, actor: Principal | None, action: str, resource_type: str, resource_id: str | None
    ) -> Iterator[Session]:
        """One audited unit of work (``bastion.core.work``): one transaction; a refusal rolls it back and is
        itself audited."""
        with self.uow(actor, action, resource_type, resource_id) as work:
            yield work.session

    def record(
        self,
        session: Session,
        actor: Principal | None,
        action: str,
        resource_type: str,
        resource_id: str | None,
        **detail: Any,
    ) -> None:
        """Append the audit event for a read or write, in the caller's transaction. Never pass secrets."""
        audit.record(
            session,
            at=self.clock.now(),
            actor=actor,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            detail=detail or None,
        )


@dataclass(frozen=True)
class Scope:
    """A submission with its review (if opened) and the evaluators assigned to it."""

    submission: SubmissionRow
    review: ReviewRow | None
    assigned: frozenset[UserID]

    def resource(
        self, kind: ResourceKind, *, classification: int | None = None, shared_with_lab: bool = False
    ) -> Resource:
        level = self.submission.classification if classification is None else classification
        return Resource(
            kind=kind,
            classification=Classification(level),
            owner_org_id=OrgID(self.submission.org_id),
            assigned=self.assigned,
            shared_with_lab=shared_with_lab,
        )


def assigned_to(session: Session, review_id: str | None) -> frozenset[UserID]:
    if review_id is None:
        return frozenset()
    rows = session.scalars(sa.select(AssignmentRow.user_id).where(AssignmentRow.review_id == review_id))
    return frozenset(UserID(r) for r in rows)


def assigned_by_review(session: Session, review_ids: Iterable[str | None]) -> dict[str, frozenset[UserID]]:
    """The assigned evaluators of many reviews in one query (for lists: no query per row)."""
    wanted = {r for r in review_ids if r is not None}
    if not wanted:
        return {}
    found: dict[str, set[UserID]] = {}
    rows = session.execute(
        sa.select(AssignmentRow.review_id, AssignmentRow.user_id).where(AssignmentRow.review_id.in_(wanted))
    )
    for review_id, user_id in rows:
        found.setdefault(review_id, set()).add(UserID(user_id))
    return {review_id: frozenset(users) for review_id, users in found.items()}


def scope_of_submission(session: Session, submission_id: str) -> Scope:
    submission = session.get(SubmissionRow, submission_id)
    if submission is None:
        raise not_found(f"submission {submission_id}")
    review = session.scalar(sa.select(ReviewRow).where(ReviewRow.submission_id == submission_id))
    return Scope(submission, review, assigned_to(session, review.id if review else None))


def scope_of_review(session: Session, review_id: str) -> Scope:
    review = session.get(ReviewRow, review_id)
    if review is None:
        raise not_found(f"review {review_id}")
    submission = session.get(SubmissionRow, review.submission_id)
    assert submission is not None  # foreign key
    return Scope(submission, review, assigned_to(session, review.id))


def finding_in_scope(session: Session, finding_id: str) -> tuple[FindingRow, Scope]:
    finding = session.get(FindingRow, finding_id)
    if finding is None:
        raise not_found(f"finding {finding_id}")
    return finding, scope_of_review(session, finding.review_id)


def require(actor: Principal, action: Action, resource: Resource, *, what: str) -> None:
    """The policy gate: concealed refusals are the very same 404 as a missing id."""
    authorize(actor, action, resource, what=what)
