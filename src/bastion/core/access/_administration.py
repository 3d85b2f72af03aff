"""Administration (organisations, users, API tokens, the audit log, the outbox).

Programme administrators manage all of it. Everyone else: their own user record and tokens; organisations
as far as their work needs (programme staff: all; a lab, vendor or reporter: its own)."""

from __future__ import annotations

from bastion.core.principal import Principal, Role

from ._types import STAFF_ROLES, Action, Decision, Resource, ResourceKind, allow, deny


def administration(  # noqa: PLR0911 - as above
    principal: Principal, action: Action, resource: Resource
) -> Decision:
    kind = resource.kind
    if principal.has_role(Role.PROGRAMME_ADMIN):
        return allow("programme administrator")
    self_service = resource.subject_user_id is not None and resource.subject_user_id == principal.user_id
    if kind in (ResourceKind.USER, ResourceKind.API_TOKEN) and self_service:
        if kind is ResourceKind.USER and action not in (Action.READ, Action.UPDATE):
            return deny("only programme administrators create or remove users", conceal=False)
        return allow("self service")
    if kind is ResourceKind.ORGANISATION and action is Action.READ:
        # Which labs take part in the review is itself sensitive: a lab (or a vendor, or a reporter) sees its
        # own organisation only; the programme's staff see every organisation.
        if principal.has_role(*STAFF_ROLES):
            return allow("programme staff see every organisation")
        if resource.owner_org_id is not None and resource.owner_org_id == principal.org_id:
            return allow("everyone sees their own organisation")
        return deny("outside the programme's staff, each organisation sees only itself")
    if kind is ResourceKind.AUDIT_LOG:
        return deny("the audit log is for programme administrators", conceal=False)
    if kind is ResourceKind.OUTBOX:
        return deny("the outbox is for programme administrators", conceal=False)
    return deny("programme administrators manage users and tokens")
