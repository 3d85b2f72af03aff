"""The web shell's plumbing: routes whose refusals render as pages, form parsing into the services' own
records, redirects, and the pages for paths that do not exist.

Errors are mapped here, once, as ``api/errors.py`` maps them for the API: a refusal (any ``BastionError``)
renders the error page with its status, message and hint; ``SignInRequired`` redirects to the sign-in page;
a concealed denial is the very same 404 page as a missing id, because the services raise the very same error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from bastion.api.errors import headers_for, status_for
from bastion.core.errors import BastionError, InvalidInput, OperationalError
from bastion.web.render import render
from bastion.web.visitor import SignInRequired, Visitor, visitor

log = logging.getLogger(__name__)
API_PREFIXES = ("/api", "/v1", "/feeds", "/docs", "/redoc", "/openapi.json", "/healthz")
Model = TypeVar("Model", bound=BaseModel)


def error_page(
    request: Request, error: BastionError, who: Visitor | None = None, *, status: int | None = None
) -> Response:
    if isinstance(error, SignInRequired):
        return redirect(f"/signin?next={quote(_here(request), safe='/')}")
    if who is None:
        try:
            who = visitor(request)
        except BastionError:
            who = Visitor(None)
    status = status or status_for(error)
    response = render(request, "error.html", who, status=status, error=error, status_code=status)
    response.headers.update(headers_for(error) if status != 401 else {})
    return response


class InternalError(OperationalError):
    default_code = "internal_error"


class WebRoute(APIRoute):
    """A route whose refusals are pages, not JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except BastionError as error:
                return error_page(request, error)
            except Exception:  # a bug: logged, and a page (never a stack trace) for the visitor
                log.exception("unhandled error in %s", request.url.path)
                return error_page(request, InternalError("internal error; it has been logged"), status=500)

        return handle


def web_router() -> APIRouter:
    return APIRouter(route_class=WebRoute, include_in_schema=False)


def redirect(location: str) -> RedirectResponse:
    """After a change, show the result with a GET (303), so a reload never repeats it."""
    return RedirectResponse(location, status_code=303)


def safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//host`` or a scheme), else the home page."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: Mapping[str, Any], name: str) -> str | None:
    return text(form, name) or None


def parse(model: type[Model], data: Mapping[str, Any], *, labels: Mapping[str, str] | None = None) -> Model:
    """A service's input record from form fields; what is wrong becomes a 400 naming each field."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        labels = labels or {}
        problems = []
        for err in e.errors():
            where = ".".join(str(p) for p in err.get("loc", ()))
            problems.append(f"{labels.get(where, where or 'form')}: {err.get('msg', 'invalid value')}")
        raise InvalidInput(
            "the form has problems: " + "; ".join(problems),
            code="invalid_form",
            hint="correct the fields named and send the form again",
        ) from None


def split_list(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


def _is_web_path(path: str) -> bool:
    return not any(path == p or path.startswith((p + "/", p + ".")) for p in API_PREFIXES)


def install_not_found_page(app: FastAPI) -> None:
    """A browser asking for a page that does not exist gets the 404 page; the API keeps its JSON answers."""
    api_handler = app.exception_handlers[StarletteHTTPException]

    async def not_found(request: Request, exc: Exception) -> Response:
        if (
            isinstance(exc, StarletteHTTPException)
            and exc.status_code == 404
            and _is_web_path(request.url.path)
            and "text/html" in request.headers.get("accept", "")
        ):
            from bastion.core.errors import NotFound

            error = NotFound(f"there is no page at {request.url.path}", hint="check the address, or start from home")
            return error_page(request, error)
        result = api_handler(request, exc)
        if isinstance(result, Response):
            return result
        return await result

    app.exception_handlers[StarletteHTTPException] = not_found


def markings_of(items: Iterable[Any]) -> list[Any]:
    return [getattr(item, "classification", None) for item in items]
