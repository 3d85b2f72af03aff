"""Who is calling: ``Authorization: Bearer <API token or session token>`` or the ``bastion_session`` cookie.

``PrincipalDep`` gives a route the authenticated ``Principal``; missing or invalid credentials are a 401
(``Unauthenticated``) in the one error shape. Unsafe requests authenticated by the cookie also need the
session's CSRF token (``bastion.api.csrf``); bearer requests do not, as a browser never adds the header itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from bastion.api import csrf
from bastion.api.deps import ContainerDep
from bastion.core.principal import Principal
from bastion.identity import InvalidCredentials, IssuedSession

SESSION_COOKIE = "bastion_session"

_bearer = HTTPBearer(auto_error=False, description="An API token (bst_...) or a session token (bss_...).")
_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="Set by POST /api/auth/login. Changes made with it also need the X-CSRF-Token header "
    "(its value is in the login response's X-CSRF-Token header and the bastion_csrf cookie).",
)


def presented_credential(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> str:
    """The raw secret the caller presented (header first, then cookie). An unsafe request authenticated by
    the cookie must carry the session's CSRF token (``bastion.api.csrf``)."""
    if bearer is not None and bearer.credentials:
        return bearer.credentials
    if cookie:
        csrf.check(request, cookie)
        return cookie
    raise InvalidCredentials(
        "authentication required",
        hint="send `Authorization: Bearer <token>` (create one with `bastion tokens create`) or sign in",
    )


CredentialDep = Annotated[str, Depends(presented_credential)]


def current_principal(request: Request, container: ContainerDep, credential: CredentialDep) -> Principal:
    principal = container.identity.authenticate_token(credential)
    request.state.principal = principal  # who is refused, if the request is (``errors.record_refusal``)
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def set_session_cookie(request: Request, response: Response, issued: IssuedSession, max_age: int) -> None:
    csrf.set_cookie(request, response, issued.token, max_age)
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    csrf.clear_cookie(response)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
