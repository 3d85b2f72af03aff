"""The one place where domain errors become HTTP responses, all in one JSON shape.

The exception handlers and the ASGI guards in front of the app (``bastion.api.limits``, ``bastion.api.inputs``)
render through ``error_response``, so a refusal looks the same whoever refuses it: ``/api`` in Bastion's shape
(``{"code", "message", "hint"?, "details"?}``), ``/v1`` in osv.dev's (``bastion.api.osv_errors``).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from bastion.api.osv_errors import OSV_PREFIX, is_osv, osv_error
from bastion.core.errors import (
    BastionError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    OperationalError,
    PayloadTooLarge,
    TooManyRequests,
    Unauthenticated,
)
from bastion.core.work import is_recorded

log = logging.getLogger(__name__)

STATUS_BY_ERROR: tuple[tuple[type[BastionError], int], ...] = (
    (PayloadTooLarge, 413),
    (InvalidInput, 400),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (TooManyRequests, 429),
    (OperationalError, 503),
)


def status_for(error: BastionError) -> int:
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 400


def headers_for(error: BastionError) -> dict[str, str]:
    if isinstance(error, Unauthenticated):
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(error, TooManyRequests) and "retry_after_seconds" in error.details:
        return {"Retry-After": str(error.details["retry_after_seconds"])}
    return {}


def error_response(error: BastionError, path: str, *, headers: dict[str, str] | None = None) -> JSONResponse:
    """The response for a deliberate error at ``path`` (also an ASGI app, for the guards in front of the
    router)."""
    status = status_for(error)
    every_header = {**headers_for(error), **(headers or {})}
    if path.startswith(OSV_PREFIX):
        body = osv_error(status, error.message, reason=error.code, hint=error.hint, metadata=error.details)
        return JSONResponse(status_code=status, content=body, headers=every_header)
    return JSONResponse(status_code=status, content=error.to_dict(), headers=every_header)


def _validation_message(exc: RequestValidationError) -> tuple[str, list[dict[str, object]]]:
    problems: list[dict[str, object]] = []
    parts: list[str] = []
    for err in exc.errors():
        location = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        message = str(err.get("msg", "invalid value"))
        problems.append({"field": location, "problem": message})
        parts.append(f"{location}: {message}")
    return "; ".join(parts) or "invalid request", problems


async def record_refusal(request: Request, error: BastionError) -> None:
    """Every refusal of a signed-in caller leaves an audit entry. The services' units of work record their own;
    this records what the shell refused itself (a malformed body, an upload refused before the service) as
    ``api.request`` on the method and path. Refusals before authentication are not recorded: nobody to name,
    and an anonymous flood must not write to the log."""
    principal = getattr(request.state, "principal", None)
    if principal is None or is_recorded(error):
        return
    uow = request.app.state.container.uow
    what = f"{request.method} {request.url.path}"[:300]
    await run_in_threadpool(uow.record_refusal, principal, "api.request", "route", what, error)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BastionError)
    async def _bastion_error(request: Request, exc: BastionError) -> JSONResponse:
        await record_refusal(request, exc)
        return error_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, problems = _validation_message(exc)
        error = InvalidInput(
            f"invalid request: {message}",
            code="invalid_request",
            hint="see the API documentation at /docs for the expected shape",
            details={"problems": problems},
        )
        await record_refusal(request, error)
        return error_response(error, request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
            exc.status_code, "http_error"
        )
        headers = dict(exc.headers or {})
        hint = None
        if exc.status_code == 405:
            from bastion.api.openapi import allowed_methods  # the document knows every route of a path

            allow = ", ".join(sorted(allowed_methods(app, request.url.path))) or headers.get("Allow", "")
            headers["Allow"] = allow
            hint = f"this path takes {allow}"
        if is_osv(request):
            body = osv_error(exc.status_code, str(exc.detail), reason=code, hint=hint)
            return JSONResponse(status_code=exc.status_code, content=body, headers=headers)
        content: dict[str, Any] = {"code": code, "message": str(exc.detail)}
        if hint:
            content["hint"] = hint
        return JSONResponse(status_code=exc.status_code, content=content, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        message = "internal error; it has been logged"
        if is_osv(request):
            return JSONResponse(status_code=500, content=osv_error(500, message, reason="internal_error"))
        return JSONResponse(status_code=500, content={"code": "internal_error", "message": message})
