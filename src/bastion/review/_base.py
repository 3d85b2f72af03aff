"""What every review service shares: its dependencies, the audited unit of work, ids, and the *scope* of a
piece of review content (its submission, review and assigned evaluators) from which access is decided."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.core import audit, config
from bastion.core.access import Action, Resource, ResourceKind, authorize, not_found
from bastion.core.audit import Actor
from bastion.core.clock import Clock
from bastion.core.crypto import SecretBox
from bastion.core.ids import FindingID, ReviewID, SubmissionID
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

    def get_principal(self, user_id: UserID) -> Principal: ...
    def get_organisation(self, org_id: OrgID) -> Organisation: ...


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
    def unit(self, actor: Actor | None, action: str, resource_type: str, resource_id: str | None) -> Iterator[Session]:
        """One audited unit of work (``bastion.core.work``): one transaction; a refusal rolls it back and is
        itself audited."""
        with self.uow(actor, action, resource_type, resource_id) as work:
            yield work.session

    def record(
        self,
        session: Session,
        actor: Actor | None,
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


def assigned_to(session: Session, review_id: ReviewID | None) -> frozenset[UserID]:
    if review_id is None:
        return frozenset()
    rows = session.scalars(sa.select(AssignmentRow.user_id).where(AssignmentRow.review_id == review_id))
    return frozenset(UserID(r) for r in rows)


def assigned_by_review(session: Session, review_ids: Iterable[ReviewID | None]) -> dict[ReviewID, frozenset[UserID]]:
    """The assigned evaluators of many reviews in one query (for lists: no query per row)."""
    wanted = {r for r in review_ids if r is not None}
    if not wanted:
        return {}
    found: dict[ReviewID, set[UserID]] = {}
    rows = session.execute(
        sa.select(AssignmentRow.review_id, AssignmentRow.user_id).where(AssignmentRow.review_id.in_(wanted))
    )
    for review_id, user_id in rows:
        found.setdefault(review_id, set()).add(UserID(user_id))
    return {review_id: frozenset(users) for review_id, users in found.items()}


# Read-modify-write of shared review state is atomic: on SQLite every unit of work holds the database's write
# lock from its first statement (``BEGIN IMMEDIATE``); on PostgreSQL a writing use case locks the rows it
# reads to decide (``lock=True``: ``SELECT ... FOR UPDATE``, fresh from the database), always in one order
# (submission, then review, then finding or extension), so concurrent writers queue instead of losing updates.


def _get(session: Session, row: type[Any], key: str, *, lock: bool) -> Any:
    if lock:
        return session.get(row, key, with_for_update=True, populate_existing=True)
    return session.get(row, key)


def scope_of_submission(session: Session, submission_id: SubmissionID, *, lock: bool = False) -> Scope:
    """The submission and its review; with ``lock`` both rows are locked for this transaction."""
    submission = _get(session, SubmissionRow, submission_id, lock=lock)
    if submission is None:
        raise not_found(f"submission {submission_id}")
    query = sa.select(ReviewRow).where(ReviewRow.submission_id == submission_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    review = session.scalar(query)
    return Scope(submission, review, assigned_to(session, review.id if review else None))


def scope_of_review(session: Session, review_id: ReviewID, *, lock: bool = False) -> Scope:
    """The review and its submission; with ``lock`` the review row is locked for this transaction."""
    review = _get(session, ReviewRow, review_id, lock=lock)
    if review is None:
        raise not_found(f"review {review_id}")
    submission = session.get(SubmissionRow, review.submission_id)
    assert submission is not None  # foreign key
    return Scope(submission, review, assigned_to(session, review.id))


def finding_in_scope(session: Session, finding_id: FindingID, *, lock: bool = False) -> tuple[FindingRow, Scope]:
    """The finding and its review; with ``lock`` the finding row is locked for this transaction."""
    finding = _get(session, FindingRow, finding_id, lock=lock)
    if finding is None:
        raise not_found(f"finding {finding_id}")
    return finding, scope_of_review(session, finding.review_id)


def edit_detail(
    old: Mapping[str, Any], new: Mapping[str, Any], *, level: Classification, text: Collection[str] = ()
) -> dict[str, Any]:
    """What the audit keeps of an edit: the changed fields with their old and new values. Free text (``text``)
    of content marked above UNCLASSIFIED is not copied into the log, which is read at other levels: it goes in
    as its SHA-256, which proves which text it was without holding it."""

    def shown(name: str, value: Any) -> Any:
        if isinstance(value, Classification):
            return value.name
        if name in text and level > Classification.UNCLASSIFIED and isinstance(value, str):
            return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()
        return value

    fields = sorted(new)
    return {
        "fields": fields,
        "old": {name: shown(name, old.get(name)) for name in fields},
        "new": {name: shown(name, new[name]) for name in fields},
    }


def require(actor: Principal, action: Action, resource: Resource, *, what: str) -> None:
    """The policy gate: concealed refusals are the very same 404 as a missing id."""
    authorize(actor, action, resource, what=what)
