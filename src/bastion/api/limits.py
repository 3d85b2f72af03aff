"""Request-body limits, enforced in front of everything else (a pure ASGI middleware).

A body is refused with 413 before authentication, routing to a handler, or any parsing starts:

- a declared ``Content-Length`` above the limit is refused before a byte of the body is read;
- a body without one (chunked) is counted as it arrives and cut off at the limit; whatever the handler was
  doing with it is dropped, and the 413 is sent instead.

Every operation accepts ``Settings.max_json_body_bytes``. An operation that takes evidence says so with
``openapi_extra=EVIDENCE_BODY`` and accepts ``Settings.max_evidence_bytes`` (plus room for the multipart
framing); so do the pages' SBOM and VEX upload forms. Starlette's form parser keeps an upload of over 1 MiB
in an unlinked temporary file (mode 0600, no name in any directory, gone when closed), which is why the pages
that take marked or embargoed files keep the default. Starlette has a
``RequestBodyLimitMiddleware`` of its own, but it answers in plain text, after routing, with one limit per
route tree; this one answers in the API's error shape, naming the limit.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bastion.api.errors import error_response
from bastion.api.openapi import operations
from bastion.core.config import Settings
from bastion.core.errors import PayloadTooLarge

LIMIT_KEY = "x-bastion-body-limit"
EVIDENCE_BODY: dict[str, Any] = {LIMIT_KEY: "evidence"}
MULTIPART_ALLOWANCE = 64 * 1024  # boundaries, part headers and the small form fields around an evidence file


class _Exceeded(Exception):  # noqa: N818 - a signal between receive() and the middleware, never shown
    pass


@dataclass(frozen=True)
class _RouteLimit:
    methods: frozenset[str]
    path: re.Pattern[str]
    limit: int
    setting: str


def too_large(limit: int, setting: str) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the request body is larger than this operation accepts ({limit} bytes)",
        hint=f"send at most {limit} bytes (the server's {setting}); split or compress what you send",
        details={"limit_bytes": limit, "setting": setting},
    )


def route_limits(app: FastAPI, settings: Settings, pages: Iterable[APIRouter] = ()) -> list[_RouteLimit]:
    """The operations that accept more than the default, from their ``openapi_extra`` marker: the API's, read
    from its OpenAPI document, and the upload forms of ``pages`` (routers mounted without a prefix, which the
    document leaves out)."""
    limit, setting = settings.max_evidence_bytes + MULTIPART_ALLOWANCE, "BASTION_MAX_EVIDENCE_BYTES"
    found = [
        _RouteLimit(frozenset({op.method}), op.pattern, limit, setting)
        for op in operations(app.openapi())
        if op.spec.get(LIMIT_KEY) == "evidence"
    ]
    found += [
        _RouteLimit(frozenset(route.methods or ()), route.path_regex, limit, setting)
        for router in pages
        for route in router.routes
        if isinstance(route, APIRoute) and (route.openapi_extra or {}).get(LIMIT_KEY) == "evidence"
    ]
    return found


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int, setting: str) -> None:
    """The 413, closing the connection: the rest of the body is never read."""
    response = error_response(too_large(limit, setting), scope["path"], headers={"Connection": "close"})
    await response(scope, receive, send)


class BodyLimit:
    def __init__(self, app: ASGIApp, *, default: int, routes: list[_RouteLimit]) -> None:
        self.app = app
        self.default = default
        self.routes = routes

    def _limit(self, scope: Scope) -> tuple[int, str]:
        for route in self.routes:
            if scope["method"] in route.methods and route.path.match(scope["path"]):
                return route.limit, route.setting
        return self.default, "BASTION_MAX_JSON_BODY_BYTES"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self._limit(scope)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > limit:  # uvicorn refuses a malformed one
            await error_response(too_large(limit, setting), scope["path"], headers={"Connection": "close"})(
                scope, receive, send
            )
            return
        received = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise _Exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _Exceeded
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the handler's answer to a cut-off body is replaced by the 413 below
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(_Exceeded):
            await self.app(scope, counted, guarded)
        if exceeded and not started:
            await error_response(too_large(limit, setting), scope["path"], headers={"Connection": "close"})(
                scope, receive, send
            )
