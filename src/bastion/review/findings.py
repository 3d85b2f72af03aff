"""Findings: recorded by assigned evaluators, moved along the lifecycle in ``lifecycle.py``, shared with the
lab by the programme, answered by the lab. The lab sees only findings shared with it (and never who wrote
them). A finding about a concrete software flaw can be flagged for the clearinghouse (see
``clearinghouse_candidates`` and the ``finding.for_clearinghouse`` outbox topic)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.core.access import Action, Resource, ResourceKind, decide, visible
from bastion.core.errors import Forbidden, NotFound
from bastion.core.ids import FindingID, ReviewID
from bastion.core.principal import Classification, OrgID, Principal, UserID
from bastion.review._base import (
    Directory,
    ReviewContext,
    Scope,
    assigned_by_review,
    edit_detail,
    finding_in_scope,
    new_id,
    require,
    scope_of_review,
)
from bastion.review.errors import ReviewStateError, invalid
from bastion.review.lifecycle import (
    RESPONDABLE_STATES,
    TRANSITION_ACTION,
    FindingStatus,
    FocusArea,
    Severity,
    check_transition,
    is_shared,
)
from bastion.review.models import FindingResponseRow, FindingRow, ReviewRow, SubmissionRow
from bastion.review.outbox import Topic, enqueue
from bastion.review.reviews import require_open
from bastion.review.schemas import (
    FindingCreate,
    FindingPublic,
    FindingsPublic,
    FindingUpdate,
    ResponseCreate,
    ResponsePublic,
)

_CONTENT_FIELDS = ("title", "focus_area", "severity", "classification", "description")
_TEXT_FIELDS = ("title", "description")  # kept in the audit log as digests when the finding is marked


def _value(finding: FindingRow, name: str) -> Any:
    value = getattr(finding, name)
    return Classification(value) if name == "classification" else value


def finding_resource(scope: Scope, finding: FindingRow) -> Resource:
    return scope.resource(
        ResourceKind.FINDING,
        classification=finding.classification,
        shared_with_lab=is_shared(finding.status),
    )


def responses_by_finding(session: Session, finding_ids: list[FindingID]) -> dict[FindingID, list[FindingResponseRow]]:
    """The responses to many findings in one query, oldest first (for lists: no query per row)."""
    found: dict[FindingID, list[FindingResponseRow]] = {}
    if not finding_ids:
        return found
    rows = session.scalars(
        sa.select(FindingResponseRow)
        .where(FindingResponseRow.finding_id.in_(finding_ids))
        .order_by(FindingResponseRow.created_at, FindingResponseRow.id)
    )
    for row in rows:
        found.setdefault(row.finding_id, []).append(row)
    return found


@dataclass
class Authors:
    """Whose ids a reader is shown (the policy's ``Action.READ_AUTHOR``). A finding is recorded by programme
    staff; a response's author's organisation is looked up in the directory (once per author)."""

    actor: Principal
    directory: Directory
    _orgs: dict[UserID, OrgID | None] = field(default_factory=dict)

    def of_finding(self, scope: Scope, finding: FindingRow) -> bool:
        return decide(self.actor, Action.READ_AUTHOR, finding_resource(scope, finding)).allowed

    def of_response(self, scope: Scope, finding: FindingRow, author_id: UserID) -> bool:
        if self.of_finding(scope, finding):  # staff see every author: no need to look the author up
            return True
        if author_id not in self._orgs:
            try:
                self._orgs[author_id] = self.directory.get_principal(author_id).org_id
            except NotFound:
                self._orgs[author_id] = None
        resource = replace(finding_resource(scope, finding), author_org_id=self._orgs[author_id])
        return decide(self.actor, Action.READ_AUTHOR, resource).allowed


def finding_public(
    session: Session,
    finding: FindingRow,
    scope: Scope,
    authors: Authors,
    *,
    responses: list[FindingResponseRow] | None = None,
) -> FindingPublic:
    if responses is None:
        responses = responses_by_finding(session, [finding.id]).get(finding.id, [])
    return FindingPublic(
        id=finding.id,
        review_id=finding.review_id,
        title=finding.title,
        focus_area=FocusArea(finding.focus_area),
        severity=Severity(finding.severity),
        classification=Classification(finding.classification),
        description=finding.description,
        status=finding.status,
        for_clearinghouse=finding.for_clearinghouse,
        created_by=finding.created_by if authors.of_finding(scope, finding) else None,
        created_at=finding.created_at,
        updated_at=finding.updated_at,
        shared_at=finding.shared_at,
        responses=[
            ResponsePublic(
                id=r.id,
                finding_id=r.finding_id,
                author_id=r.author_id if authors.of_response(scope, finding, r.author_id) else None,
                body=r.body,
                created_at=r.created_at,
            )
            for r in responses
        ],
    )


class FindingService:
    def __init__(self, ctx: ReviewContext) -> None:
        self._ctx = ctx

    def _authors(self, actor: Principal) -> Authors:
        return Authors(actor, self._ctx.directory)

    def create(self, actor: Principal, review_id: ReviewID, body: FindingCreate) -> FindingPublic:
        with self._ctx.unit(actor, "finding.create", "review", review_id) as session:
            scope = scope_of_review(session, review_id)
            require(actor, Action.READ, scope.resource(ResourceKind.REVIEW), what=f"review {review_id}")
            draft = scope.resource(ResourceKind.FINDING, classification=body.classification)
            require(actor, Action.CREATE, draft, what=f"review {review_id}")
            assert scope.review is not None
            now = self._ctx.clock.now()
            require_open(scope.review, scope.submission, now)
            row = FindingRow(
                id=new_id("fnd"),
                review_id=review_id,
                title=body.title,
                focus_area=body.focus_area,
                severity=body.severity,
                classification=int(body.classification),
                description=body.description,
                status=FindingStatus.DRAFT,
                for_clearinghouse=body.for_clearinghouse,
                created_by=actor.user_id,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            self._ctx.record(
                session,
                actor,
                "finding.create",
                "finding",
                row.id,
                review_id=review_id,
                classification=Classification(row.classification).name,
            )
            return finding_public(session, row, scope, self._authors(actor))

    def get(self, actor: Principal, finding_id: FindingID) -> FindingPublic:
        with self._ctx.unit(actor, "finding.read", "finding", finding_id) as session:
            finding, scope = finding_in_scope(session, finding_id)
            require(actor, Action.READ, finding_resource(scope, finding), what=f"finding {finding_id}")
            self._ctx.record(session, actor, "finding.read", "finding", finding_id)
            return finding_public(session, finding, scope, self._authors(actor))

    def list_for_review(
        self,
        actor: Principal,
        review_id: ReviewID,
        *,
        status: FindingStatus | None = None,
        focus_area: FocusArea | None = None,
    ) -> FindingsPublic:
        with self._ctx.unit(actor, "finding.list", "review", review_id) as session:
            scope = scope_of_review(session, review_id)
            require(actor, Action.READ, scope.resource(ResourceKind.REVIEW), what=f"review {review_id}")
            query = sa.select(FindingRow).where(FindingRow.review_id == review_id)
            if status is not None:
                query = query.where(FindingRow.status == status)
            if focus_area is not None:
                query = query.where(FindingRow.focus_area == focus_area)
            rows = session.scalars(query.order_by(FindingRow.created_at, FindingRow.id)).all()
            shown = [f for f in rows if visible(actor, finding_resource(scope, f))]
            responses = responses_by_finding(session, [f.id for f in shown])
            authors = self._authors(actor)
            data = [finding_public(session, f, scope, authors, responses=responses.get(f.id, [])) for f in shown]
            self._ctx.record(session, actor, "finding.list", "review", review_id, count=len(data))
            return FindingsPublic(data=data, count=len(data))

    def clearinghouse_candidates(self, actor: Principal) -> FindingsPublic:
        """Findings flagged as concrete software flaws and confirmed (or later), across reviews, as the
        actor may see them: the seam the clearinghouse will read (with ``finding.for_clearinghouse``)."""
        with self._ctx.unit(actor, "finding.list", "finding", None) as session:
            rows = session.execute(
                sa.select(FindingRow, ReviewRow, SubmissionRow)
                .join(ReviewRow, ReviewRow.id == FindingRow.review_id)
                .join(SubmissionRow, SubmissionRow.id == ReviewRow.submission_id)
                .where(FindingRow.for_clearinghouse.is_(True), FindingRow.status != FindingStatus.DRAFT)
                .order_by(FindingRow.created_at, FindingRow.id)
            ).all()
            assigned = assigned_by_review(session, (review.id for _, review, _ in rows))
            scoped = [
                (finding, Scope(submission, review, assigned.get(review.id, frozenset())))
                for finding, review, submission in rows
            ]
            shown = [(finding, scope) for finding, scope in scoped if visible(actor, finding_resource(scope, finding))]
            responses = responses_by_finding(session, [f.id for f, _ in shown])
            authors = self._authors(actor)
            data = [finding_public(session, f, scope, authors, responses=responses.get(f.id, [])) for f, scope in shown]
            self._ctx.record(session, actor, "finding.list", "finding", None, for_clearinghouse=True, count=len(data))
            return FindingsPublic(data=data, count=len(data))

    def update(self, actor: Principal, finding_id: FindingID, body: FindingUpdate) -> FindingPublic:
        """Edit content (while draft or confirmed), flag for the clearinghouse, or move the status. Lowering the
        marking is a classification authority's decision, with a written reason. Audited with old and new
        values."""
        with self._ctx.unit(actor, "finding.update", "finding", finding_id) as session:
            finding, scope = finding_in_scope(session, finding_id, lock=True)
            resource = finding_resource(scope, finding)
            require(actor, Action.READ, resource, what=f"finding {finding_id}")
            # The validated values themselves (``model_dump`` would turn a classification into its name).
            changes = {name: getattr(body, name) for name in body.model_fields_set}
            reason = changes.pop("reason", None)
            status = changes.pop("status", None)
            old_level = Classification(finding.classification)
            lowering = changes.get("classification") is not None and changes["classification"] < old_level
            if set(changes) - ({"classification"} if lowering else set()) or (status is None and not lowering):
                require(actor, Action.UPDATE, resource, what=f"finding {finding_id}")
            if lowering:
                self._check_lowering(actor, finding, resource, Classification(changes["classification"]), reason)
            assert scope.review is not None
            require_open(scope.review, scope.submission, self._ctx.clock.now())  # a closed review is a record
            if status is not None:
                self._transition(session, actor, finding, scope, FindingStatus(status))
            content = {k: v for k, v in changes.items() if k in _CONTENT_FIELDS}
            if content and is_shared(finding.status):
                raise ReviewStateError(
                    f"finding {finding_id} was shared with the lab; its content is final",
                    code="finding_shared",
                    hint="record a new finding for new information",
                )
            if "classification" in content:
                new_level = Classification(content["classification"])
                if not lowering:  # lowering was checked above: a classification authority's, with a reason
                    # Above one's clearance: a plain 403 (the finding exists for the actor), never a 404.
                    require(
                        actor,
                        Action.CLASSIFY,
                        scope.resource(ResourceKind.FINDING, classification=new_level),
                        what=f"finding {finding_id}",
                    )
            for name, value in changes.items():
                if value is None:
                    raise invalid(f"{name} cannot be null", field=name)
            old = {name: _value(finding, name) for name in changes}
            for name, value in changes.items():
                setattr(finding, name, int(value) if name == "classification" else value)
            finding.updated_at = self._ctx.clock.now()
            level = max(old_level, Classification(finding.classification))
            self._ctx.record(
                session,
                actor,
                "finding.update",
                "finding",
                finding_id,
                **edit_detail(old, changes, level=level, text=_TEXT_FIELDS),
                status=finding.status,
                **({"reason": reason} if reason is not None else {}),
            )
            self._clearinghouse_event(session, finding)
            return finding_public(session, finding, scope, self._authors(actor))

    @staticmethod
    def _check_lowering(
        actor: Principal, finding: FindingRow, resource: Resource, new_level: Classification, reason: str | None
    ) -> None:
        old_level = Classification(finding.classification)
        if not decide(actor, Action.DOWNGRADE, resource).allowed:
            raise Forbidden(
                f"you cannot lower the marking of finding {finding.id} from {old_level.banner} to "
                f"{new_level.banner}: that needs a classification authority",
                code="classification_authority_required",
                hint="ask a classification authority cleared for the finding to review the marking",
            )
        if reason is None or not reason.strip():
            raise invalid(
                f"lowering the marking of finding {finding.id} from {old_level.banner} to {new_level.banner} "
                "needs a written reason",
                hint='add "reason": the grounds for the lower marking (kept in the audit log)',
                field="reason",
            )

    def share(self, actor: Principal, finding_id: FindingID) -> FindingPublic:
        """Release a confirmed finding to the lab (a programme decision)."""
        with self._ctx.unit(actor, "finding.share", "finding", finding_id) as session:
            finding, scope = finding_in_scope(session, finding_id, lock=True)
            require(actor, Action.READ, finding_resource(scope, finding), what=f"finding {finding_id}")
            assert scope.review is not None
            require_open(scope.review, scope.submission, self._ctx.clock.now())
            self._transition(session, actor, finding, scope, FindingStatus.SHARED_WITH_LAB)
            return finding_public(session, finding, scope, self._authors(actor))

    def respond(self, actor: Principal, finding_id: FindingID, body: ResponseCreate) -> ResponsePublic:
        """The lab's answer to a finding shared with it: also once the review has closed (the one write a closed
        review takes)."""
        with self._ctx.unit(actor, "finding.respond", "finding", finding_id) as session:
            finding, scope = finding_in_scope(session, finding_id, lock=True)
            resource = finding_resource(scope, finding)
            require(actor, Action.READ, resource, what=f"finding {finding_id}")
            require(actor, Action.RESPOND, resource, what=f"finding {finding_id}")
            current = finding.status
            if current not in RESPONDABLE_STATES:
                raise ReviewStateError(
                    f"finding {finding_id} is {current.value}; responses are closed",
                    code="finding_not_open_for_response",
                )
            now = self._ctx.clock.now()
            response = FindingResponseRow(
                id=new_id("rsp"),
                finding_id=finding_id,
                author_id=actor.user_id,
                body=body.body,
                created_at=now,
            )
            session.add(response)
            finding.status = FindingStatus.LAB_RESPONDED
            finding.updated_at = now
            self._ctx.record(
                session,
                actor,
                "finding.respond",
                "finding",
                finding_id,
                response_id=response.id,
                from_status=current,
                to_status=finding.status,
            )
            return ResponsePublic(
                id=response.id, finding_id=finding_id, author_id=actor.user_id, body=body.body, created_at=now
            )

    def _transition(
        self, session: Session, actor: Principal, finding: FindingRow, scope: Scope, target: FindingStatus
    ) -> None:
        if target is FindingStatus.LAB_RESPONDED:
            raise invalid(
                "a finding becomes lab_responded when the lab responds",
                hint=f"POST /api/findings/{finding.id}/responses",
            )
        require(actor, TRANSITION_ACTION[target], finding_resource(scope, finding), what=f"finding {finding.id}")
        current = finding.status
        check_transition(current, target)
        now = self._ctx.clock.now()
        finding.status = target
        finding.updated_at = now
        if target is FindingStatus.SHARED_WITH_LAB:
            finding.shared_at = now
            enqueue(
                session,
                topic=Topic.FINDING_SHARED,
                dedupe_key=f"finding:{finding.id}:shared",
                payload={
                    "finding_id": finding.id,
                    "review_id": finding.review_id,
                    "org_id": scope.submission.org_id,
                },
                at=now,
            )
        action = "finding.share" if target is FindingStatus.SHARED_WITH_LAB else "finding.transition"
        self._ctx.record(session, actor, action, "finding", finding.id, from_status=current, to_status=target)
        self._clearinghouse_event(session, finding)

    def _clearinghouse_event(self, session: Session, finding: FindingRow) -> None:
        if finding.for_clearinghouse and finding.status != FindingStatus.DRAFT:
            enqueue(
                session,
                topic=Topic.FOR_CLEARINGHOUSE,
                dedupe_key=f"finding:{finding.id}:for_clearinghouse",
                payload={"finding_id": finding.id, "review_id": finding.review_id},
                at=self._ctx.clock.now(),
            )
