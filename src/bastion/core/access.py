"""The one access policy. Pure: a principal, an action and a resource descriptor in; a decision out.

Every shell and service asks ``decide`` (or ``authorize``, which raises) before it reads or writes anything,
including rows that go into lists and counts. Three tests, all of which must pass:

1. **Classification.** Nobody reads or writes anything above their clearance.
2. **Need to know.** Submissions and selection decisions are visible to programme administrators, agency
   reviewers (who run the selection), the evaluators assigned to the review and the owning lab. Reviews and
   what they hold (findings, evidence, reports, evaluation runs) are visible only to programme
   administrators, the users assigned to that review and the owning lab (and to the lab only what is shared
   with it): an agency reviewer not assigned to a review cannot tell it exists.
3. **Role.** What each role may do to what it can see. A principal with several roles gets the union: allowed
   if any role allows; otherwise concealed only if every role would conceal.

When a denied principal may not even know the thing exists, the decision says ``conceal``: shells then answer
exactly as for a missing thing (404 with the same body), so a denial leaks nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bastion.core.errors import Forbidden, NotFound
from bastion.core.principal import Classification, OrgID, OrgKind, Principal, Role, UserID


class Action(StrEnum):
    READ = "read"  # includes appearing in a list or a count
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"  # withdraw, revoke
    RESPOND = "respond"  # a lab answering a finding shared with it
    DECIDE = "decide"  # selection decisions, overrides, window changes, assignment
    READ_SECRET = "read_secret"  # noqa: S105 - an action, not a password; decrypted model-access credentials; selection rationale


class ResourceKind(StrEnum):
    ORGANISATION = "organisation"
    USER = "user"
    API_TOKEN = "api_token"  # noqa: S105 - a resource kind, not a password
    SUBMISSION = "submission"
    SELECTION = "selection"
    REVIEW = "review"
    FINDING = "finding"
    EVIDENCE = "evidence"
    REPORT = "report"
    EVAL_RUN = "eval_run"
    AUDIT_LOG = "audit_log"
    OUTBOX = "outbox"  # notifications waiting for delivery (reminders, closures): operations only


REVIEW_CONTENT = frozenset(
    {
        ResourceKind.SUBMISSION,
        ResourceKind.SELECTION,
        ResourceKind.REVIEW,
        ResourceKind.FINDING,
        ResourceKind.EVIDENCE,
        ResourceKind.REPORT,
        ResourceKind.EVAL_RUN,
    }
)


@dataclass(frozen=True, slots=True)
class Resource:
    """What the policy needs to know about a thing; built by the owning slice from its row.

    ``owner_org_id``: the lab organisation that owns the submission the content belongs to (None while a
    submission is being created, or for things outside review content). ``assigned``: the evaluators assigned
    to the review. ``shared_with_lab``: whether this piece was released to the owning lab (findings, the
    releasable report summary). ``subject_user_id``: for users and tokens, whose they are.
    """

    kind: ResourceKind
    classification: Classification = Classification.UNCLASSIFIED
    owner_org_id: OrgID | None = None
    assigned: frozenset[UserID] = field(default_factory=frozenset)
    shared_with_lab: bool = False
    subject_user_id: UserID | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str
    conceal: bool = False  # answer as if the resource did not exist

    def __bool__(self) -> bool:
        return self.allowed


def _allow(reason: str) -> Decision:
    return Decision(True, reason)


def _deny(reason: str, *, conceal: bool = True) -> Decision:
    return Decision(False, reason, conceal=conceal)


LAB_ROLES = (Role.LAB_SUBMITTER, Role.LAB_VIEWER)


def decide(principal: Principal, action: Action, resource: Resource) -> Decision:
    if not principal.cleared_for(resource.classification):
        return _deny(f"requires clearance {resource.classification.banner}")
    if resource.kind in REVIEW_CONTENT:
        return _review_content(principal, action, resource)
    return _administration(principal, action, resource)


def _is_owner_lab(principal: Principal, resource: Resource) -> bool:
    return (
        principal.org_kind is OrgKind.FRONTIER_LAB
        and resource.owner_org_id is not None
        and principal.org_id == resource.owner_org_id
    )


def _review_content(principal: Principal, action: Action, resource: Resource) -> Decision:
    if principal.has_role(Role.PROGRAMME_ADMIN):
        return _allow("programme administrator")
    decisions = []
    if principal.has_role(Role.AGENCY_REVIEWER):
        decisions.append(_agency(principal, action, resource))
    if principal.has_role(Role.EVALUATOR):
        decisions.append(_evaluator(principal, action, resource))
    if principal.has_role(*LAB_ROLES) and principal.org_kind is OrgKind.FRONTIER_LAB:
        decisions.append(_lab(principal, action, resource))
    return _most_permissive(decisions)


def _most_permissive(decisions: list[Decision]) -> Decision:
    """Roles add up: the first allowing decision; else a denial that admits the thing exists; else concealed."""
    for decision in decisions:
        if decision.allowed:
            return decision
    for decision in decisions:
        if not decision.conceal:
            return decision
    return decisions[0] if decisions else _deny("no need to know")


def _agency(principal: Principal, action: Action, resource: Resource) -> Decision:  # noqa: PLR0911 - as below
    """Agency staff run the (classified) selection: they read submissions and decisions within their clearance
    and nominate. A review's content is theirs to read only when they are assigned to that review."""
    kind = resource.kind
    if kind is ResourceKind.SUBMISSION:
        if action is Action.READ:
            return _allow("agency reviewer reads submissions for selection")
        if action is Action.READ_SECRET:
            return _deny("model-access credentials are for assigned evaluators", conceal=False)
        return _deny("agency reviewers read and nominate; they do not edit submissions", conceal=False)
    if kind is ResourceKind.SELECTION:
        if action in (Action.READ, Action.READ_SECRET):
            return _allow("agency reviewer reads selection decisions and their rationale")
        if action is Action.DECIDE:
            return _allow("agency reviewer nominates and decides selection")
        return _deny("agency reviewers read and decide selection only", conceal=False)
    if principal.user_id not in resource.assigned:
        return _deny("review content is for the users assigned to the review")
    if action is Action.READ:
        return _allow("agency reviewer assigned to the review reads it")
    return _deny("an agency reviewer assigned to a review reads it; nothing more", conceal=False)


def _evaluator(principal: Principal, action: Action, resource: Resource) -> Decision:
    kind = resource.kind
    if principal.user_id not in resource.assigned:
        return _deny("no need to know")
    if kind is ResourceKind.SELECTION:
        # They know the submission was selected (it has a review); the rationale is not theirs.
        return _deny("selection decisions are for programme and agency staff", conceal=False)
    if action in (Action.READ, Action.READ_SECRET):
        return _allow("assigned evaluator")
    if action in (Action.CREATE, Action.UPDATE) and kind in (
        ResourceKind.FINDING,
        ResourceKind.EVIDENCE,
        ResourceKind.EVAL_RUN,
    ):
        return _allow("assigned evaluator records findings and evidence")
    return _deny("evaluators record findings and evidence only", conceal=False)


def _lab(principal: Principal, action: Action, resource: Resource) -> Decision:  # noqa: PLR0911 - as above
    kind = resource.kind
    creating_submission = kind is ResourceKind.SUBMISSION and action is Action.CREATE
    if not creating_submission and not _is_owner_lab(principal, resource):
        return _deny("not your organisation's submission")
    if action is Action.CREATE and kind in (
        ResourceKind.FINDING,
        ResourceKind.EVIDENCE,
        ResourceKind.EVAL_RUN,
    ):
        return _deny("labs do not record findings or evidence", conceal=False)
    lab_needs_sharing = (ResourceKind.FINDING, ResourceKind.REPORT, ResourceKind.EVIDENCE)
    if kind in lab_needs_sharing and not resource.shared_with_lab:
        return _deny("not shared with the lab")
    if kind is ResourceKind.SELECTION and action is Action.READ_SECRET:
        return _deny("the selection rationale is for programme and agency staff", conceal=False)
    if action is Action.READ:
        return _allow("lab reads its own submission's shared content")
    if not principal.has_role(Role.LAB_SUBMITTER):
        return _deny("lab viewers have read-only access", conceal=False)
    if kind is ResourceKind.SUBMISSION and action is Action.READ_SECRET:
        # The credential is shown only to assigned evaluators (and programme administrators); the lab
        # replaces it with an update but never reads it back.
        return _deny("model-access credentials are shown only to assigned evaluators", conceal=False)
    if kind is ResourceKind.SUBMISSION and action in (Action.CREATE, Action.UPDATE, Action.DELETE):
        return _allow("lab submitter manages its own submissions")
    if kind is ResourceKind.FINDING and action is Action.RESPOND:
        return _allow("lab responds to findings shared with it")
    if kind is ResourceKind.REVIEW and action is Action.UPDATE:
        return _allow("lab records release or consents to an extension")
    return _deny("labs submit, respond and record release; nothing else", conceal=False)


def _administration(  # noqa: PLR0911 - as above
    principal: Principal, action: Action, resource: Resource
) -> Decision:
    kind = resource.kind
    if principal.has_role(Role.PROGRAMME_ADMIN):
        return _allow("programme administrator")
    self_service = resource.subject_user_id is not None and resource.subject_user_id == principal.user_id
    if kind in (ResourceKind.USER, ResourceKind.API_TOKEN) and self_service:
        if kind is ResourceKind.USER and action not in (Action.READ, Action.UPDATE):
            return _deny("only programme administrators create or remove users", conceal=False)
        return _allow("self service")
    if kind is ResourceKind.ORGANISATION and action is Action.READ:
        return _allow("organisations are listed for everyone signed in")
    if kind is ResourceKind.AUDIT_LOG:
        return _deny("the audit log is for programme administrators", conceal=False)
    if kind is ResourceKind.OUTBOX:
        return _deny("the outbox is for programme administrators", conceal=False)
    return _deny("programme administrators manage users and tokens")


def authorize(principal: Principal, action: Action, resource: Resource, *, what: str) -> None:
    """Raise unless allowed. ``what`` names the thing in the error (e.g. ``"submission sub_123"``); a
    concealed denial raises the very same ``NotFound`` that a missing thing raises."""
    decision = decide(principal, action, resource)
    if decision.allowed:
        return
    if decision.conceal:
        raise not_found(what)
    raise Forbidden(f"not allowed to {action.value} {what}: {decision.reason}", code="forbidden")


def not_found(what: str) -> NotFound:
    """The one 'missing' error: used for missing things and for concealed ones alike."""
    return NotFound(f"{what} not found", code="not_found")


def visible(principal: Principal, resource: Resource) -> bool:
    """For lists and counts: may this row appear for this principal at all?"""
    return decide(principal, Action.READ, resource).allowed
