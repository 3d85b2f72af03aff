"""Test factories for organisations, users, principals and credentials (used by every slice's tests).

They go through ``IdentityService`` (validated, audited), using its ``*_unchecked`` methods so that tests
do not need an administrator first.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from bastion.container import Container
from bastion.core.audit import AuditVerification
from bastion.core.principal import Classification, OrgKind, Principal, Role
from bastion.identity.schemas import OrganisationPublic, UserPublic
from bastion.identity.service import IdentityService
from bastion.runtime import Runtime

# Organisations seeded by migration 0002_identity (present in every test database).
TREASURY = "org_treasury"
DEPARTMENT_OF_WAR = "org_war"
NSA = "org_nsa"
CISA = "org_cisa"
PROGRAMME_OFFICE = "org_programme_office"


def identity(runtime: Runtime) -> IdentityService:
    return Container(runtime).identity


def verify_audit(runtime: Runtime) -> AuditVerification:
    """Seal what is pending and verify the keyed audit chain (no principal needed: for tests)."""
    container = Container(runtime)
    container.uow.seal()
    return container.audit_chain.verify()


def make_org(runtime: Runtime, name: str | None = None, kind: OrgKind = OrgKind.FRONTIER_LAB) -> OrganisationPublic:
    name = name or f"Test {kind.value} {uuid.uuid4().hex[:8]}"
    return identity(runtime).create_organisation_unchecked(name=name, kind=kind)


def make_user(
    runtime: Runtime,
    org_id: str,
    roles: Iterable[Role],
    clearance: Classification = Classification.UNCLASSIFIED,
    email: str | None = None,
    *,
    password: str | None = None,
) -> tuple[UserPublic, str]:
    """A user and an API token (the secret) for it."""
    email = email or f"user-{uuid.uuid4().hex[:12]}@example.org"
    service = identity(runtime)
    user = service.create_user_unchecked(
        org_id=org_id,
        email=email,
        display_name=email.split("@")[0],
        roles=list(roles),
        clearance=clearance,
        password=password,
    )
    token = service.issue_token_unchecked(user_id=user.id, name="test token")
    return user, token.token


def make_admin(runtime: Runtime, email: str | None = None) -> tuple[UserPublic, str]:
    """A programme administrator cleared TOP SECRET, in the seeded programme office."""
    return make_user(runtime, PROGRAMME_OFFICE, [Role.PROGRAMME_ADMIN], Classification.TOP_SECRET, email)


def principal_for(runtime: Runtime, user_id: str) -> Principal:
    return identity(runtime).get_principal(user_id)


def auth_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
