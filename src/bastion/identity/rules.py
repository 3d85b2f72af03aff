"""Pure validation rules for identities: email syntax, names, and which roles fit which organisation."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bastion.core.principal import OrgKind, Role
from bastion.identity.errors import InvalidIdentityInput

# Deliberately simple: one @, a non-empty local part, a dotted domain, no spaces or control characters.
# Deliverability is the administrator's business; this catches typos and pasted junk.
_EMAIL = re.compile(
    r"^[^@\s\x00-\x1f\x7f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$"
)
MAX_NAME_LENGTH = 200

ROLES_BY_ORG_KIND: dict[OrgKind, frozenset[Role]] = {
    OrgKind.FRONTIER_LAB: frozenset({Role.LAB_SUBMITTER, Role.LAB_VIEWER, Role.REPORTER}),
    OrgKind.AGENCY: frozenset(
        {
            Role.AGENCY_REVIEWER,
            Role.EVALUATOR,
            Role.CLEARINGHOUSE_ANALYST,
            Role.REPORTER,
            Role.CLASSIFICATION_AUTHORITY,
        }
    ),
    OrgKind.TRUSTED_PARTNER: frozenset({Role.EVALUATOR, Role.CLEARINGHOUSE_ANALYST, Role.REPORTER}),
    OrgKind.PROGRAMME_OFFICE: frozenset(
        {
            Role.PROGRAMME_ADMIN,
            Role.AGENCY_REVIEWER,
            Role.EVALUATOR,
            Role.CLEARINGHOUSE_ANALYST,
            Role.CLASSIFICATION_AUTHORITY,
        }
    ),
    OrgKind.VENDOR: frozenset({Role.VENDOR_CONTACT, Role.REPORTER}),
    OrgKind.RESEARCHER: frozenset({Role.REPORTER}),
}


def normalize_email(email: str) -> str:
    value = email.strip().lower()
    if len(value) > 320 or not _EMAIL.match(value):
        raise InvalidIdentityInput(
            f"{email!r} is not a valid email address",
            code="invalid_email",
            hint="use the form name@example.org",
        )
    return value


def clean_name(value: str, *, what: str, limit: int = MAX_NAME_LENGTH) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise InvalidIdentityInput(f"the {what} must not be empty", code="invalid_name")
    if len(cleaned) > limit:
        raise InvalidIdentityInput(
            f"the {what} is too long ({len(cleaned)} characters)",
            code="invalid_name",
            hint=f"use at most {limit} characters",
        )
    return cleaned


def check_roles(roles: Iterable[Role | str], org_kind: OrgKind) -> frozenset[Role]:
    """The roles as a set, if every one of them fits an organisation of this kind."""
    parsed: set[Role] = set()
    for role in roles:
        try:
            parsed.add(Role(role))
        except ValueError:
            allowed = ", ".join(r.value for r in Role)
            raise InvalidIdentityInput(
                f"unknown role {role!r}", code="invalid_role", hint=f"use one of: {allowed}"
            ) from None
    if not parsed:
        raise InvalidIdentityInput("a user needs at least one role", code="invalid_role")
    misfits = sorted(parsed - ROLES_BY_ORG_KIND[org_kind])
    if misfits:
        allowed = ", ".join(sorted(ROLES_BY_ORG_KIND[org_kind]))
        raise InvalidIdentityInput(
            f"role {', '.join(misfits)} does not fit a {org_kind.value} organisation",
            code="role_not_allowed_for_organisation",
            hint=f"users of a {org_kind.value} organisation may have: {allowed}",
        )
    return frozenset(parsed)
