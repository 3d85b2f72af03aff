"""The one access policy. Pure: a principal, an action and a resource descriptor in; a decision out.

Every shell and service asks ``decide`` (or ``authorize``, which raises) before it reads or writes anything,
including rows that go into lists and counts. Three tests, all of which must pass:

1. **Classification.** Nobody reads or writes anything above their clearance.
2. **Need to know.** Submissions and selection decisions are visible to programme administrators, agency
   reviewers (who run the selection), the evaluators assigned to the review and the owning lab. Reviews and
   what they hold (findings, evidence, reports, evaluation runs) are visible only to programme
   administrators, the users assigned to that review and the owning lab (and to the lab only what is shared
   with it): an agency reviewer not assigned to a review cannot tell it exists.
   In the clearinghouse, a case and its reports are for analysts, the reporter and the vendors taking part;
   an AI tool's report is read by no person before the sandbox has validated it.
   An agency's inventories (systems, projects, SBOMs, exposures, VEX decisions) are its own: nobody else,
   programme administrators included, can tell they exist; programme-wide figures are counts only.
3. **Role.** What each role may do to what it can see. A principal with several roles gets the union: allowed
   if any role allows; otherwise concealed only if every role would conceal.

Disclosure inside a record is decided here too: who wrote something (``READ_AUTHOR``), the credential and the
selection rationale (``READ_SECRET``), which organisations exist (programme staff: all; others: their own).
Derived content (evaluation scores) is asked about as the evidence it came from.

When a denied principal may not even know the thing exists, the decision says ``conceal``: shells then answer
exactly as for a missing thing (404 with the same body), so a denial leaks nothing.
"""

from __future__ import annotations

from dataclasses import replace

from bastion.core.errors import Forbidden, NotFound
from bastion.core.principal import Principal

from ._administration import administration
from ._clearinghouse import clearinghouse, is_clearinghouse_staff
from ._defense import defense
from ._review import review_content
from ._types import CLEARINGHOUSE, DEFENSE, REVIEW_CONTENT, Action, Decision, Resource, ResourceKind, deny

__all__ = [
    "CLEARINGHOUSE",
    "DEFENSE",
    "REVIEW_CONTENT",
    "Action",
    "Decision",
    "Resource",
    "ResourceKind",
    "authorize",
    "decide",
    "is_clearinghouse_staff",
    "not_found",
    "visible",
]


def _above_clearance(principal: Principal, action: Action, resource: Resource) -> Decision:
    if action in (Action.CLASSIFY, Action.CREATE):
        # Marking a thing above one's clearance, or making one there: a plain refusal for whoever may act on it at
        # their own level (they know the thing, or the place it would go: nothing to conceal); concealed for
        # anyone else.
        within = decide(principal, action, replace(resource, classification=principal.clearance))
        if within.conceal:
            return within
        doing = "marking it" if action is Action.CLASSIFY else "creating it at"
        return deny(
            f"{doing} {resource.classification.banner} is above your clearance ({principal.clearance.banner})",
            conceal=False,
            code="classification_above_clearance",
            hint="ask a programme administrator cleared for that level to reclassify it"
            if action is Action.CLASSIFY
            else "mark it at or below your clearance, or ask someone cleared for that level to record it",
        )
    return deny(f"requires clearance {resource.classification.banner}")


def decide(principal: Principal, action: Action, resource: Resource) -> Decision:
    if not principal.cleared_for(resource.classification):
        return _above_clearance(principal, action, resource)
    if resource.kind in REVIEW_CONTENT:
        return review_content(principal, action, resource)
    if resource.kind in CLEARINGHOUSE:
        return clearinghouse(principal, action, resource)
    if resource.kind in DEFENSE:
        return defense(principal, action, resource)
    return administration(principal, action, resource)


def authorize(principal: Principal, action: Action, resource: Resource, *, what: str) -> None:
    """Raise unless allowed. ``what`` names the thing in the error (e.g. ``"submission sub_123"``); a
    concealed denial raises the very same ``NotFound`` that a missing thing raises."""
    decision = decide(principal, action, resource)
    if decision.allowed:
        return
    if decision.conceal:
        raise not_found(what)
    raise Forbidden(f"not allowed to {action.value} {what}: {decision.reason}", code=decision.code, hint=decision.hint)


def not_found(what: str) -> NotFound:
    """The one 'missing' error: used for missing things and for concealed ones alike."""
    return NotFound(f"{what} not found", code="not_found")


def visible(principal: Principal, resource: Resource) -> bool:
    """For lists and counts: may this row appear for this principal at all?"""
    return decide(principal, Action.READ, resource).allowed
