"""/api/auth, /api/me, /api/organisations, /api/users, /api/tokens and /api/audit."""

from __future__ import annotations

from datetime import timedelta
from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from bastion.api import csrf
from bastion.api.auth import (
    CredentialDep,
    PrincipalDep,
    clear_session_cookie,
    set_session_cookie,
)
from bastion.api.deps import ContainerDep
from bastion.core.audit import AuditVerification
from bastion.core.fields import INT64_MAX
from bastion.core.ids import TokenID
from bastion.core.principal import OrgID, UserID
from bastion.identity import (
    MAX_PAGE,
    SESSION_TTL,
    AuditEntriesPublic,
    IssuedSession,
    IssuedToken,
    LoginRequest,
    OrganisationCreate,
    OrganisationPublic,
    OrganisationsPublic,
    TokenCreate,
    TokensPublic,
    UserCreate,
    UserPublic,
    UsersPublic,
    UserUpdate,
)

router = APIRouter(prefix="/api")
_auth: list[str | Enum] = ["auth"]
_admin: list[str | Enum] = ["identity"]
_audit: list[str | Enum] = ["audit"]


@router.post(
    "/auth/login",
    tags=_auth,
    summary="Sign in with email and password (sets the session cookie and returns the CSRF token)",
    responses={
        200: {"headers": {"X-CSRF-Token": {"schema": {"type": "string"}, "description": "Send it with changes"}}},
        401: {"description": "Wrong email or password (the same answer whether or not the account exists)"},
        403: {"description": "Another site's page tried to sign this browser in"},
        429: {"description": "Too many failed sign-ins for this address"},
    },
)
def login(body: LoginRequest, request: Request, response: Response, container: ContainerDep) -> IssuedSession:
    csrf.check_origin(request)  # login CSRF: another site cannot sign this browser in
    issued = container.identity.login(body.email, body.password)
    set_session_cookie(request, response, issued, int(SESSION_TTL.total_seconds()))
    return issued


@router.post("/auth/logout", tags=_auth, status_code=status.HTTP_204_NO_CONTENT, summary="End this web session")
def logout(credential: CredentialDep, response: Response, container: ContainerDep) -> None:
    container.identity.logout(credential)
    clear_session_cookie(response)


@router.get("/me", tags=_auth, summary="The signed-in user")
def me(principal: PrincipalDep, container: ContainerDep) -> UserPublic:
    return container.identity.get_user(principal, principal.user_id)


@router.get("/organisations", tags=_admin, summary="List organisations")
def list_organisations(principal: PrincipalDep, container: ContainerDep) -> OrganisationsPublic:
    orgs = container.identity.list_organisations(principal)
    return OrganisationsPublic(data=orgs, count=len(orgs))


@router.post("/organisations", tags=_admin, status_code=status.HTTP_201_CREATED, summary="Create an organisation")
def create_organisation(
    body: OrganisationCreate, principal: PrincipalDep, container: ContainerDep
) -> OrganisationPublic:
    return container.identity.create_organisation(principal, name=body.name, kind=body.kind)


@router.get("/users", tags=_admin, summary="List the users you may see")
def list_users(
    principal: PrincipalDep, container: ContainerDep, org_id: Annotated[str | None, Query(max_length=40)] = None
) -> UsersPublic:
    users = container.identity.list_users(principal, org_id=None if org_id is None else OrgID(org_id))
    return UsersPublic(data=users, count=len(users))


@router.post("/users", tags=_admin, status_code=status.HTTP_201_CREATED, summary="Create a user")
def create_user(body: UserCreate, principal: PrincipalDep, container: ContainerDep) -> UserPublic:
    return container.identity.create_user(
        principal,
        org_id=body.org_id,
        email=body.email,
        display_name=body.display_name,
        roles=body.roles,
        clearance=body.clearance,
        password=body.password,
    )


@router.get("/users/{user_id}", tags=_admin, summary="One user")
def get_user(user_id: str, principal: PrincipalDep, container: ContainerDep) -> UserPublic:
    return container.identity.get_user(principal, UserID(user_id))


@router.patch("/users/{user_id}", tags=_admin, summary="Change a user (roles, clearance, active: administrators)")
def update_user(user_id: str, body: UserUpdate, principal: PrincipalDep, container: ContainerDep) -> UserPublic:
    return container.identity.update_user(
        principal,
        UserID(user_id),
        display_name=body.display_name,
        roles=body.roles,
        clearance=body.clearance,
        active=body.active,
    )


@router.get("/tokens", tags=_admin, summary="List the API tokens you may see (never their secrets)")
def list_tokens(
    principal: PrincipalDep, container: ContainerDep, user_id: Annotated[str | None, Query(max_length=40)] = None
) -> TokensPublic:
    tokens = container.identity.list_tokens(principal, user_id=None if user_id is None else UserID(user_id))
    return TokensPublic(data=tokens, count=len(tokens))


@router.post("/tokens", tags=_admin, status_code=status.HTTP_201_CREATED, summary="Create an API token (shown once)")
def create_token(body: TokenCreate, principal: PrincipalDep, container: ContainerDep) -> IssuedToken:
    ttl = timedelta(days=body.expires_in_days) if body.expires_in_days else None
    return container.identity.issue_token(principal, user_id=body.user_id or principal.user_id, name=body.name, ttl=ttl)


@router.delete("/tokens/{token_id}", tags=_admin, status_code=status.HTTP_204_NO_CONTENT, summary="Revoke a token")
def revoke_token(token_id: str, principal: PrincipalDep, container: ContainerDep) -> None:
    container.identity.revoke_token(principal, TokenID(token_id))


@router.get("/audit", tags=_audit, summary="Read the audit log (programme administrators)")
def list_audit(
    principal: PrincipalDep,
    container: ContainerDep,
    after_seq: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    resource_id: Annotated[str | None, Query(max_length=80)] = None,
) -> AuditEntriesPublic:
    service = container.audit_log
    return service.list_events(principal, after_seq=after_seq, limit=limit, resource_id=resource_id)


@router.get("/audit/verify", tags=_audit, summary="Recompute the audit hash chain and report tampering")
def verify_audit(principal: PrincipalDep, container: ContainerDep) -> AuditVerification:
    return container.audit_log.verify(principal)
