"""The one place where domain errors become HTTP responses, all in one JSON shape."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bastion.api.osv_errors import is_osv, osv_error
from bastion.core.errors import (
    BastionError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    OperationalError,
    TooManyRequests,
    Unauthenticated,
)

log = logging.getLogger(__name__)

STATUS_BY_ERROR: tuple[tuple[type[BastionError], int], ...] = (
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


def _validation_message(exc: RequestValidationError) -> tuple[str, list[dict[str, object]]]:
    problems: list[dict[str, object]] = []
    parts: list[str] = []
    for err in exc.errors():
        location = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        message = str(err.get("msg", "invalid value"))
        problems.append({"field": location, "problem": message})
        parts.append(f"{location}: {message}")
    return "; ".join(parts) or "invalid request", problems


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BastionError)
    async def _bastion_error(request: Request, exc: BastionError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
        if isinstance(exc, TooManyRequests) and "retry_after_seconds" in exc.details:
            headers = {"Retry-After": str(exc.details["retry_after_seconds"])}
        status = status_for(exc)
        if is_osv(request):
            body = osv_error(status, exc.message, reason=exc.code, hint=exc.hint, metadata=exc.details)
            return JSONResponse(status_code=status, content=body, headers=headers)
        return JSONResponse(status_code=status, content=exc.to_dict(), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, problems = _validation_message(exc)
        if is_osv(request):
            body = osv_error(
                400, f"invalid request: {message}", reason="invalid_request", metadata={"problems": problems}
            )
            return JSONResponse(status_code=400, content=body)
        body = InvalidInput(
            f"invalid request: {message}",
            code="invalid_request",
            hint="see the API documentation at /docs for the expected shape",
            details={"problems": problems},
        ).to_dict()
        return JSONResponse(status_code=400, content=body)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        if is_osv(request):
            body = osv_error(exc.status_code, str(exc.detail), reason=code)
            return JSONResponse(status_code=exc.status_code, content=body, headers=exc.headers)
        return JSONResponse(status_code=exc.status_code, content={"code": code, "message": str(exc.detail)})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        message = "internal error; it has been logged"
        if is_osv(request):
            return JSONResponse(status_code=500, content=osv_error(500, message, reason="internal_error"))
        return JSONResponse(status_code=500, content={"code": "internal_error", "message": message})
