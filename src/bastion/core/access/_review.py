"""Review content (submissions, selection, reviews, findings, evidence, reports, evaluation runs): who may
do what, by role, need to know and ownership. Classification is checked before these rules run.

Some acts belong to one party and no one else, administrators included: a lab submits its models and
consents to extensions of its review; an agency nominates. Who wrote a piece of content is shown to
programme staff who may read it; a lab learns only which of its own people did (``Action.READ_AUTHOR``)."""

from __future__ import annotations

from bastion.core.principal import OrgKind, Principal, Role

from ._types import LAB_ROLES, Action, Decision, Resource, ResourceKind, allow, deny

_RECORDED_BY_EVALUATORS = (ResourceKind.FINDING, ResourceKind.EVIDENCE, ResourceKind.EVAL_RUN)
_READS = (Action.READ, Action.READ_AUTHOR)


def _is_owner_lab(principal: Principal, resource: Resource) -> bool:
    return (
        principal.org_kind is OrgKind.FRONTIER_LAB
        and resource.owner_org_id is not None
        and principal.org_id == resource.owner_org_id
    )


def review_content(principal: Principal, action: Action, resource: Resource) -> Decision:
    if action is Action.DOWNGRADE:
        return _downgrade(principal, resource)
    decisions = []
    if principal.has_role(Role.PROGRAMME_ADMIN):
        decisions.append(_admin(action, resource))
    if principal.has_role(Role.AGENCY_REVIEWER):
        decisions.append(_agency(principal, action, resource))
    if principal.has_role(Role.EVALUATOR):
        decisions.append(_evaluator(principal, action, resource))
    if principal.has_role(*LAB_ROLES) and principal.org_kind is OrgKind.FRONTIER_LAB:
        decisions.append(_lab(principal, action, resource))
    return _most_permissive(decisions)


def _downgrade(principal: Principal, resource: Resource) -> Decision:
    """Lowering a marking is a classification decision, not an edit: only a classification authority may, and
    only on content it may read (cleared for its current level, with need to know). No role implies it, not
    even programme administration; it is never a lab's."""
    readable = review_content(principal, Action.READ, resource)
    if not readable.allowed:
        return readable
    if principal.org_kind is OrgKind.FRONTIER_LAB or not principal.has_role(Role.CLASSIFICATION_AUTHORITY):
        return deny("lowering a marking needs a classification authority", conceal=False)
    return allow("classification authority")


def _most_permissive(decisions: list[Decision]) -> Decision:
    """Roles add up: the first allowing decision; else a denial that admits the thing exists; else concealed."""
    for decision in decisions:
        if decision.allowed:
            return decision
    for decision in decisions:
        if not decision.conceal:
            return decision
    return decisions[0] if decisions else deny("no need to know")


def _admin(action: Action, resource: Resource) -> Decision:
    """Programme administrators see and manage everything, but do not speak for a lab or an agency."""
    if resource.kind is ResourceKind.SUBMISSION and action is Action.CREATE:
        return deny(
            "submissions are made by a frontier lab's submitters",
            conceal=False,
            hint="sign in as a lab submitter of the developing organisation",
        )
    if action is Action.CONSENT:
        return deny("only the lab can consent to an extension of its review", conceal=False)
    if action is Action.NOMINATE:
        return deny("nominations are made by agencies", conceal=False, hint="sign in as an agency reviewer")
    return allow("programme administrator")


def _agency(principal: Principal, action: Action, resource: Resource) -> Decision:  # noqa: PLR0911 - as below
    """Agency staff run the (classified) selection: they read submissions and decisions within their clearance
    and nominate. A review's content is theirs to read only when they are assigned to that review."""
    kind = resource.kind
    if kind is ResourceKind.SUBMISSION:
        if action in _READS:
            return allow("agency reviewer reads submissions for selection")
        if action is Action.READ_SECRET:
            return deny("model-access credentials are for assigned evaluators", conceal=False)
        return deny("agency reviewers read and nominate; they do not edit submissions", conceal=False)
    if kind is ResourceKind.SELECTION:
        if action in (*_READS, Action.READ_SECRET, Action.DECIDE):
            return allow("agency reviewer reads and decides selection, with its rationale")
        if action is Action.NOMINATE:
            if principal.org_kind is OrgKind.AGENCY:
                return allow("an agency nominates")
            return deny("nominations are made by agencies", conceal=False, hint="sign in as an agency reviewer")
        return deny("agency reviewers read and decide selection only", conceal=False)
    if principal.user_id not in resource.assigned:
        return deny("review content is for the users assigned to the review")
    if action in _READS:
        return allow("agency reviewer assigned to the review reads it")
    return deny("an agency reviewer assigned to a review reads it; nothing more", conceal=False)


def _evaluator(principal: Principal, action: Action, resource: Resource) -> Decision:
    kind = resource.kind
    if principal.user_id not in resource.assigned:
        return deny("no need to know")
    if kind is ResourceKind.SELECTION:
        # They know the submission was selected (it has a review); the rationale is not theirs.
        return deny("selection decisions are for programme and agency staff", conceal=False)
    if action in (*_READS, Action.READ_SECRET):
        return allow("assigned evaluator")
    if action in (Action.CREATE, Action.UPDATE, Action.CLASSIFY) and kind in _RECORDED_BY_EVALUATORS:
        return allow("assigned evaluator records findings and evidence")
    return deny("evaluators record findings and evidence only", conceal=False)


def _lab(  # noqa: PLR0911, PLR0912 - one return per rule reads clearest
    principal: Principal, action: Action, resource: Resource
) -> Decision:
    kind = resource.kind
    if not _is_owner_lab(principal, resource):  # a new submission is owned by the submitting lab
        return deny("not your organisation's submission")
    if action is Action.CREATE and kind in _RECORDED_BY_EVALUATORS:
        return deny("labs do not record findings or evidence", conceal=False)
    lab_needs_sharing = (ResourceKind.FINDING, ResourceKind.REPORT, ResourceKind.EVIDENCE)
    if kind in lab_needs_sharing and not resource.shared_with_lab:
        return deny("not shared with the lab")
    if kind is ResourceKind.EVAL_RUN:
        return deny("evaluation runs are the programme's working material")
    if kind is ResourceKind.SELECTION and action is Action.READ_SECRET:
        return deny("the selection rationale is for programme and agency staff", conceal=False)
    if action is Action.READ:
        return allow("lab reads its own submission's shared content")
    if action is Action.READ_AUTHOR:
        if resource.author_org_id is not None and resource.author_org_id == principal.org_id:
            return allow("a lab sees which of its own people wrote it")
        return deny("the identities of programme staff are not shared with labs", conceal=False)
    if not principal.has_role(Role.LAB_SUBMITTER):
        return deny("lab viewers have read-only access", conceal=False)
    if kind is ResourceKind.SUBMISSION and action is Action.READ_SECRET:
        # The credential is shown only to assigned evaluators (and programme administrators); the lab
        # replaces it with an update but never reads it back.
        return deny("model-access credentials are shown only to assigned evaluators", conceal=False)
    if kind is ResourceKind.SUBMISSION and action in (Action.CREATE, Action.UPDATE, Action.DELETE):
        return allow("lab submitter manages its own submissions")
    if kind is ResourceKind.FINDING and action is Action.RESPOND:
        return allow("lab responds to findings shared with it")
    if kind is ResourceKind.REVIEW and action in (Action.UPDATE, Action.CONSENT):
        return allow("lab records release or consents to an extension")
    return deny("labs submit, respond and record release; nothing else", conceal=False)
