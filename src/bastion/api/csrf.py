"""Cross-site request forgery: a browser sends the session cookie with any request to this host, whoever's
page made it; a bearer token it never adds by itself. So every *unsafe* request (anything but GET, HEAD and
OPTIONS) authenticated by the session cookie must also prove it comes from a page of ours:

1. a CSRF token, ``X-CSRF-Token: <token>``. The token belongs to the session: it is derived from the session
   secret (which a page cannot read: the cookie is HttpOnly) and handed out at sign-in, in the
   ``X-CSRF-Token`` response header and in the ``bastion_csrf`` cookie, which the site's own scripts can read
   (double submit). A future web UI's HTML forms will carry the same token in a ``csrf_token`` field and
   call ``check`` with it, so forms and scripts share one defence;
2. and, where the browser says where the request comes from, that it is this site: ``Sec-Fetch-Site`` must
   be ``same-origin`` (or ``none``, typed by the user), and an ``Origin`` must name this host.

Requests authenticated with ``Authorization: Bearer`` need neither. Sign-in itself (no session yet) checks
only the origin, against login CSRF.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import Request, Response

from bastion.core.errors import Forbidden

CSRF_COOKIE = "bastion_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_HINT = (
    f"send the {CSRF_HEADER} header with the value of the {CSRF_COOKIE} cookie (set at sign-in), "
    "or authenticate with Authorization: Bearer <token>"
)


class CsrfRefused(Forbidden):
    default_code = "csrf_failed"


def token_for(session_secret: str) -> str:
    """The CSRF token of a session: a one-way function of its secret, so it reveals nothing of it."""
    raw = hashlib.sha256(b"bastion csrf v1\x00" + session_secret.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def check_origin(request: Request) -> None:
    """Refuse a request that the browser says comes from another site."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise CsrfRefused(f"a {site} request cannot act with this site's session cookie", hint=_HINT)
    origin = request.headers.get("origin")
    if origin is not None and (origin == "null" or urlsplit(origin).netloc != request.headers.get("host")):
        raise CsrfRefused(f"a request from {origin} cannot act with this site's session cookie", hint=_HINT)


def check(request: Request, session_secret: str, presented: str | None = None) -> None:
    """Refuse an unsafe cookie-authenticated request that does not carry the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    check_origin(request)
    token = presented if presented is not None else request.headers.get(CSRF_HEADER)
    if not token or not hmac.compare_digest(token.encode("utf-8"), token_for(session_secret).encode("ascii")):
        raise CsrfRefused(
            "this request is authenticated by the session cookie but carries no valid CSRF token", hint=_HINT
        )


def set_cookie(request: Request, response: Response, session_secret: str, max_age: int) -> None:
    token = token_for(session_secret)
    response.headers[CSRF_HEADER] = token
    response.set_cookie(
        CSRF_COOKIE,
        token,
        max_age=max_age,
        httponly=False,  # read by the site's own scripts, to send it back in the header
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_cookie(response: Response) -> None:
    response.delete_cookie(CSRF_COOKIE, path="/", samesite="strict")
