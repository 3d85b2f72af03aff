"""Defense: agencies' inventories and what is derived from them (exposures, priorities, VEX decisions).

An agency's inventories are its own. Every user of the owning agency reads and changes them; nobody else can
tell they exist, programme administrators included (they know what software an agency runs, which is a map
of its weaknesses). Programme-wide figures are counts only, and never identify an agency: programme
administrators and agency users read them. Classification is checked before these rules run.
"""

from __future__ import annotations

from bastion.core.principal import OrgKind, Principal, Role

from ._types import Action, Decision, Resource, ResourceKind, allow, deny


def defense(principal: Principal, action: Action, resource: Resource) -> Decision:
    agency = principal.org_kind is OrgKind.AGENCY
    if resource.kind is ResourceKind.DEFENSE_PROGRAMME:
        if action is Action.READ and (agency or principal.has_role(Role.PROGRAMME_ADMIN)):
            return allow("programme-wide counts, which identify no agency")
        return deny("programme-wide defense figures are for agencies and programme administrators", conceal=False)
    if not agency:
        return deny("inventories belong to agencies")
    if resource.owner_org_id is None or resource.owner_org_id != principal.org_id:
        return deny("an agency sees only its own inventories")
    return allow("an agency works on its own inventories")
