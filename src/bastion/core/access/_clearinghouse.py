"""The clearinghouse: reports, cases, vendors' answers, the vendor registry, reporters' records, publications.

Need to know, as in VINCE: a case and its reports are for the clearinghouse's analysts (and programme
administrators), the reporter, and the vendors taking part in the case; to anyone else they do not exist.
An AI tool's report is read by no person (analysts included) until the sandbox has validated it: only the tool
itself sees it meanwhile. Published advisories are public. Classification is checked before these rules run.
"""

from __future__ import annotations

from bastion.core.principal import Principal, Role

from ._types import Action, Decision, Resource, ResourceKind, allow, deny

_STAFF = (Role.PROGRAMME_ADMIN, Role.CLEARINGHOUSE_ANALYST)


def is_clearinghouse_staff(principal: Principal) -> bool:
    """Analysts and programme administrators: they run the clearinghouse, and see every record and every id."""
    return principal.has_role(*_STAFF)


def clearinghouse(  # noqa: PLR0911 - one return per rule reads clearest
    principal: Principal, action: Action, resource: Resource
) -> Decision:
    kind = resource.kind
    if kind is ResourceKind.CH_PUBLICATION and action is Action.READ:
        return allow("published advisories are public")
    own = resource.subject_user_id is not None and resource.subject_user_id == principal.user_id
    if kind is ResourceKind.CH_REPORT and resource.withheld and not own:
        return deny("an AI tool's report is read by no one before its sandbox validation")
    if is_clearinghouse_staff(principal):
        return allow("clearinghouse analyst")
    if kind is ResourceKind.CH_REPORT:
        return _report(principal, action, resource, own=own)
    if kind in (ResourceKind.CH_CASE, ResourceKind.CH_VENDOR_STATUS):
        return _case(principal, action, resource, own=own)
    if kind is ResourceKind.CH_VENDOR:
        return _vendor_entry(principal, action, resource)
    if kind is ResourceKind.CH_REPORTER:
        if own and action is Action.READ:
            return allow("a reporter reads its own record")
        return deny("reporters' records are for clearinghouse analysts")
    if kind is ResourceKind.CH_PUBLICATION:
        return deny("clearinghouse analysts publish", conceal=False)
    return deny("the clearinghouse's queue, outbox and policies are for its analysts", conceal=False)


def _participant(principal: Principal, resource: Resource) -> bool:
    return principal.has_role(Role.VENDOR_CONTACT) and principal.org_id in resource.participant_orgs


def _report(  # noqa: PLR0911 - as above
    principal: Principal, action: Action, resource: Resource, *, own: bool
) -> Decision:
    if action is Action.CREATE:
        if principal.has_role(Role.REPORTER, Role.EVALUATOR):
            return allow("reporters file reports (and evaluators flag review findings)")
        return deny("filing a report needs the reporter role", conceal=False)
    if own:
        if action in (Action.READ, Action.UPDATE, Action.RESPOND):
            return allow("a reporter reads and adds to its own report")
        return deny("analysts decide on reports", conceal=False)
    if _participant(principal, resource):
        if action is Action.READ:
            return allow("a vendor taking part in the case reads its reports")
        return deny("vendors answer in the case; they do not change reports", conceal=False)
    return deny("reports are for the reporter, the case's participants and analysts")


def _case(principal: Principal, action: Action, resource: Resource, *, own: bool) -> Decision:
    vendor = _participant(principal, resource)
    if not (own or vendor):
        return deny("cases are for their participants and analysts")
    if action is Action.READ:
        return allow("a participant reads its case")
    if resource.kind is ResourceKind.CH_VENDOR_STATUS:
        if action is Action.UPDATE and vendor and resource.owner_org_id == principal.org_id:
            return allow("a vendor states its own status")
        return deny("each vendor states its own status", conceal=False)
    if action is Action.RESPOND:
        return allow("participants write in the case thread, propose and agree, offer fixes")
    return deny("analysts add vendors, set embargoes and publish", conceal=False)


def _vendor_entry(principal: Principal, action: Action, resource: Resource) -> Decision:
    mine = principal.has_role(Role.VENDOR_CONTACT) and resource.owner_org_id == principal.org_id
    if not mine:
        return deny("the vendor registry is for analysts and each vendor's own contacts")
    if action is Action.READ:
        return allow("a vendor reads its own registry entry")
    return deny("analysts keep the vendor registry", conceal=False)
