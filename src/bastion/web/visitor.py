"""Who is looking at a page: the ``bastion_session`` cookie the API's sign-in sets (``bastion.api.auth``), read
for HTML pages; and the CSRF check of every form, with the API's own token (``bastion.api.csrf``).

A page that needs someone signed in raises ``SignInRequired``; the web shell turns it into a redirect to the
sign-in page that comes back here afterwards.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from bastion.api import csrf
from bastion.api.auth import SESSION_COOKIE
from bastion.container import Container
from bastion.core.errors import Unauthenticated
from bastion.core.principal import OrgKind, Principal, Role
from bastion.identity.errors import InvalidCredentials

LOGIN_CSRF_COOKIE = "bastion_login_csrf"  # double submit for the sign-in form, before any session exists
CSRF_FIELD = "csrf_token"


class SignInRequired(Unauthenticated):
    default_code = "sign_in_required"


@dataclass(frozen=True, slots=True)
class Visitor:
    """The signed-in principal (with name and organisation, for the page header), or nobody."""

    principal: Principal | None
    name: str | None = None
    email: str | None = None
    org_name: str | None = None
    session_token: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.principal is not None

    @property
    def csrf_token(self) -> str:
        return csrf.token_for(self.session_token) if self.session_token else ""

    def has(self, *roles: Role) -> bool:
        return self.principal is not None and self.principal.has_role(*roles)

    @property
    def is_lab(self) -> bool:
        return self.principal is not None and self.principal.org_kind is OrgKind.FRONTIER_LAB

    def require(self) -> Principal:
        if self.principal is None:
            raise SignInRequired("sign in to see this page", hint="sign in with your email and password")
        return self.principal


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def visitor(request: Request) -> Visitor:
    """The visitor of this request; an unknown, expired or revoked cookie is nobody (it does not fail)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return Visitor(None)
    identity = container_of(request).identity
    try:
        principal = identity.authenticate_token(token)
    except InvalidCredentials:
        return Visitor(None)
    if not principal.via_session:  # an API token pasted into the cookie is not a web session
        return Visitor(None)
    user = identity.get_user(principal, principal.user_id)
    return Visitor(principal, name=user.display_name, email=user.email, org_name=user.org_name, session_token=token)


VisitorDep = Annotated[Visitor, Depends(visitor)]


async def form_data(request: Request) -> FormData:
    """The submitted form (urlencoded or multipart); the route checks its CSRF token with ``checked``."""
    return await request.form()


FormDep = Annotated[FormData, Depends(form_data)]


def checked(request: Request, who: Visitor, form: FormData) -> Principal:
    """The principal acting through a form, once the form proved it came from one of our pages."""
    principal = who.require()
    presented = form.get(CSRF_FIELD)
    csrf.check(request, who.session_token or "", presented if isinstance(presented, str) else "")
    return principal


def new_login_token() -> str:
    return secrets.token_urlsafe(24)
