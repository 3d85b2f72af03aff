"""Review content (submissions, selection, reviews, findings, evidence, reports, evaluation runs): who may
do what, by role, need to know and ownership. Classification is checked before these rules run."""

from __future__ import annotations

from bastion.core.principal import OrgKind, Principal, Role

from ._types import LAB_ROLES, Action, Decision, Resource, ResourceKind, allow, deny


def _is_owner_lab(principal: Principal, resource: Resource) -> bool:
    return (
        principal.org_kind is OrgKind.FRONTIER_LAB
        and resource.owner_org_id is not None
        and principal.org_id == resource.owner_org_id
    )


def review_content(principal: Principal, action: Action, resource: Resource) -> Decision:
    if action is Action.DOWNGRADE:
        return _downgrade(principal, resource)
    if principal.has_role(Role.PROGRAMME_ADMIN):
        return allow("programme administrator")
    decisions = []
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


def _agency(principal: Principal, action: Action, resource: Resource) -> Decision:  # noqa: PLR0911 - as below
    """Agency staff run the (classified) selection: they read submissions and decisions within their clearance
    and nominate. A review's content is theirs to read only when they are assigned to that review."""
    kind = resource.kind
    if kind is ResourceKind.SUBMISSION:
        if action is Action.READ:
            return allow("agency reviewer reads submissions for selection")
        if action is Action.READ_SECRET:
            return deny("model-access credentials are for assigned evaluators", conceal=False)
        return deny("agency reviewers read and nominate; they do not edit submissions", conceal=False)
    if kind is ResourceKind.SELECTION:
        if action in (Action.READ, Action.READ_SECRET):
            return allow("agency reviewer reads selection decisions and their rationale")
        if action is Action.DECIDE:
            return allow("agency reviewer nominates and decides selection")
        return deny("agency reviewers read and decide selection only", conceal=False)
    if principal.user_id not in resource.assigned:
        return deny("review content is for the users assigned to the review")
    if action is Action.READ:
        return allow("agency reviewer assigned to the review reads it")
    return deny("an agency reviewer assigned to a review reads it; nothing more", conceal=False)


def _evaluator(principal: Principal, action: Action, resource: Resource) -> Decision:
    kind = resource.kind
    if principal.user_id not in resource.assigned:
        return deny("no need to know")
    if kind is ResourceKind.SELECTION:
        # They know the submission was selected (it has a review); the rationale is not theirs.
        return deny("selection decisions are for programme and agency staff", conceal=False)
    if action in (Action.READ, Action.READ_SECRET):
        return allow("assigned evaluator")
    if action in (Action.CREATE, Action.UPDATE) and kind in (
        ResourceKind.FINDING,
        ResourceKind.EVIDENCE,
        ResourceKind.EVAL_RUN,
    ):
        return allow("assigned evaluator records findings and evidence")
    return deny("evaluators record findings and evidence only", conceal=False)


def _lab(principal: Principal, action: Action, resource: Resource) -> Decision:  # noqa: PLR0911 - as above
    kind = resource.kind
    creating_submission = kind is ResourceKind.SUBMISSION and action is Action.CREATE
    if not creating_submission and not _is_owner_lab(principal, resource):
        return deny("not your organisation's submission")
    if action is Action.CREATE and kind in (
        ResourceKind.FINDING,
        ResourceKind.EVIDENCE,
        ResourceKind.EVAL_RUN,
    ):
        return deny("labs do not record findings or evidence", conceal=False)
    lab_needs_sharing = (ResourceKind.FINDING, ResourceKind.REPORT, ResourceKind.EVIDENCE)
    if kind in lab_needs_sharing and not resource.shared_with_lab:
        return deny("not shared with the lab")
    if kind is ResourceKind.SELECTION and action is Action.READ_SECRET:
        return deny("the selection rationale is for programme and agency staff", conceal=False)
    if action is Action.READ:
        return allow("lab reads its own submission's shared content")
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
    if kind is ResourceKind.REVIEW and action is Action.UPDATE:
        return allow("lab records release or consents to an extension")
    return deny("labs submit, respond and record release; nothing else", conceal=False)
