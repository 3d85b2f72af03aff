"""Findings: recorded by assigned evaluators, moved along the lifecycle in ``lifecycle.py``, shared with the
lab by the programme, answered by the lab. The lab sees only findings shared with it (and never who wrote
them). A finding about a concrete software flaw can be flagged for the clearinghouse (see
``clearinghouse_candidates`` and the ``finding.for_clearinghouse`` outbox topic)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.core.access import Action, Resource, ResourceKind, visible
from bastion.core.errors import Forbidden
from bastion.core.principal import Classification, OrgKind, Principal
from bastion.review._base import (
    ReviewContext,
    Scope,
    assigned_by_review,
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


def finding_resource(scope: Scope, finding: FindingRow) -> Resource:
    return scope.resource(
        ResourceKind.FINDING,
        classification=finding.classification,
        shared_with_lab=is_shared(finding.status),
    )


def responses_by_finding(session: Session, finding_ids: list[str]) -> dict[str, list[FindingResponseRow]]:
    """The responses to many findings in one query, oldest first (for lists: no query per row)."""
    found: dict[str, list[FindingResponseRow]] = {}
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


def finding_public(
    session: Session,
    finding: FindingRow,
    *,
    for_lab: bool,
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
        created_by=None if for_lab else finding.created_by,
        created_at=finding.created_at,
        updated_at=finding.updated_at,
        shared_at=finding.shared_at,
        responses=[
            ResponsePublic(
                id=r.id, finding_id=r.finding_id, author_id=r.author_id, body=r.body, created_at=r.created_at
            )
            for r in responses
        ],
    )


def _is_lab(actor: Principal) -> bool:
    return actor.org_kind is OrgKind.FRONTIER_LAB


class FindingService:
    def __init__(self, ctx: ReviewContext) -> None:
        self._ctx = ctx

    def create(self, actor: Principal, review_id: str, body: FindingCreate) -> FindingPublic:
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
            return finding_public(session, row, for_lab=False)

    def get(self, actor: Principal, finding_id: str) -> FindingPublic:
        with self._ctx.unit(actor, "finding.read", "finding", finding_id) as session:
            finding, scope = finding_in_scope(session, finding_id)
            require(actor, Action.READ, finding_resource(scope, finding), what=f"finding {finding_id}")
            self._ctx.record(session, actor, "finding.read", "finding", finding_id)
            return finding_public(session, finding, for_lab=_is_lab(actor))

    def list_for_review(
        self,
        actor: Principal,
        review_id: str,
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
            data = [
                finding_public(session, f, for_lab=_is_lab(actor), responses=responses.get(f.id, [])) for f in shown
            ]
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
            shown = [
                finding
                for finding, review, submission in rows
                if visible(
                    actor, finding_resource(Scope(submission, review, assigned.get(review.id, frozenset())), finding)
                )
            ]
            responses = responses_by_finding(session, [f.id for f in shown])
            data = [
                finding_public(session, f, for_lab=_is_lab(actor), responses=responses.get(f.id, [])) for f in shown
            ]
            self._ctx.record(session, actor, "finding.list", "finding", None, for_clearinghouse=True, count=len(data))
            return FindingsPublic(data=data, count=len(data))

    def update(self, actor: Principal, finding_id: str, body: FindingUpdate) -> FindingPublic:
        """Edit content (while draft or confirmed), flag for the clearinghouse, or move the status."""
        with self._ctx.unit(actor, "finding.update", "finding", finding_id) as session:
            finding, scope = finding_in_scope(session, finding_id)
            resource = finding_resource(scope, finding)
            require(actor, Action.READ, resource, what=f"finding {finding_id}")
            # The validated values themselves (``model_dump`` would turn a classification into its name).
            changes = {name: getattr(body, name) for name in body.model_fields_set}
            status = changes.pop("status", None)
            if changes or status is None:
                require(actor, Action.UPDATE, resource, what=f"finding {finding_id}")
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
                if not actor.cleared_for(new_level):
                    # The finding exists for the actor (they just read it): refuse plainly, conceal nothing.
                    raise Forbidden(
                        f"you cannot mark finding {finding_id} {new_level.banner}: it is above your clearance "
                        f"({actor.clearance.banner})",
                        code="classification_above_clearance",
                        hint="ask a programme administrator cleared for that level to reclassify it",
                    )
                require(
                    actor,
                    Action.UPDATE,
                    scope.resource(ResourceKind.FINDING, classification=new_level),
                    what=f"finding {finding_id}",
                )
            for name, value in changes.items():
                if value is None:
                    raise invalid(f"{name} cannot be null", field=name)
                setattr(finding, name, int(value) if name == "classification" else value)
            finding.updated_at = self._ctx.clock.now()
            self._ctx.record(
                session,
                actor,
                "finding.update",
                "finding",
                finding_id,
                fields=sorted(changes),
                status=finding.status,
            )
            self._clearinghouse_event(session, finding)
            return finding_public(session, finding, for_lab=_is_lab(actor))

    def share(self, actor: Principal, finding_id: str) -> FindingPublic:
        """Release a confirmed finding to the lab (a programme decision)."""
        with self._ctx.unit(actor, "finding.share", "finding", finding_id) as session:
            finding, scope = finding_in_scope(session, finding_id)
            require(actor, Action.READ, finding_resource(scope, finding), what=f"finding {finding_id}")
            self._transition(session, actor, finding, scope, FindingStatus.SHARED_WITH_LAB)
            return finding_public(session, finding, for_lab=_is_lab(actor))

    def respond(self, actor: Principal, finding_id: str, body: ResponseCreate) -> ResponsePublic:
        """The lab's answer to a finding shared with it."""
        with self._ctx.unit(actor, "finding.respond", "finding", finding_id) as session:
            finding, scope = finding_in_scope(session, finding_id)
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
            self._ctx.record(session, actor, "finding.respond", "finding", finding_id, response_id=response.id)
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
