"""The OpenAPI document says what the server answers, by class rather than route by route:

- every operation may answer 400 (any query string is checked), never FastAPI's default 422 (dropped);
- an operation that needs credentials answers 401 (with ``WWW-Authenticate``) and 403 (policy or CSRF);
- 404 where a path names something, or a change may name something in its body;
- 409 on changes (state conflicts), 413 wherever a body may be sent;
- whatever a route declares itself (``responses=``: 429 on sign-in, 503 for PDF) gets the error schema too.

Error answers use the one ``Error`` schema (``ErrorBody`` below); on ``/v1``, osv.dev's
``OsvError``. Schemathesis's conformance
checks hold the server to this document (tests/integration/api/test_schemathesis.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from bastion.api.osv_errors import OSV_PREFIX
from bastion.core.fields import INT64_MAX, INT64_MIN


class ErrorBody(BaseModel):
    """The one error shape of ``/api`` (documented in the OpenAPI document as ``Error``)."""

    code: str = Field(description="Stable machine code, e.g. invalid_request, not_found, payload_too_large.")
    message: str = Field(description="What went wrong.")
    hint: str | None = Field(default=None, description="How to fix it.")
    details: dict[str, Any] | None = Field(default=None, description="Structured facts about the error.")


class OsvErrorBody(BaseModel):
    """The error shape of ``/v1``, osv.dev's (documented in the OpenAPI document as ``OsvError``)."""

    code: int = Field(description="The gRPC status code: 3 invalid argument, 5 not found, ...")
    message: str = Field(description="What went wrong.")
    hint: str | None = Field(default=None, description="Bastion extension: how to fix it.")
    reason: str = Field(description="Bastion extension: the stable machine code, e.g. invalid_query.")
    metadata: dict[str, Any] | None = Field(default=None, description="Structured facts about the error.")


ERROR_REF = {"$ref": "#/components/schemas/Error"}
OSV_ERROR_REF = {"$ref": "#/components/schemas/OsvError"}
DESCRIPTIONS = {
    400: "Bad input: what was wrong and how to fix it",
    401: "No valid credentials",
    403: "Not allowed (the access policy, or a cookie-authenticated change without its CSRF token)",
    404: "Not found, or not yours to know of",
    409: "Conflicts with the current state",
    413: "The request body is larger than this operation accepts",
    429: "Too many attempts; try again after Retry-After seconds",
    503: "A dependency is unavailable",
}
CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
METHODS = frozenset({"GET", "HEAD", "OPTIONS", *CHANGES})


@dataclass(frozen=True)
class Operation:
    """One operation of the document, with a regular expression for the paths it serves."""

    method: str
    path: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join(
        (".+" if part.endswith(":path}") else "[^/]+") if part.startswith("{") else re.escape(part) for part in parts
    )
    return re.compile(f"^{regex}$")


def operations(schema: dict[str, Any]) -> list[Operation]:
    return [
        Operation(method.upper(), path, _pattern(path), spec)
        for path, item in schema.get("paths", {}).items()
        for method, spec in item.items()
        if method.upper() in METHODS
    ]


def allowed_methods(app: FastAPI, path: str) -> set[str]:
    """The methods the document serves at ``path`` (HEAD wherever GET is)."""
    methods = {op.method for op in operations(app.openapi()) if op.pattern.match(path)}
    return methods | {"HEAD"} if "GET" in methods else methods


def statuses(method: str, spec: dict[str, Any]) -> set[int]:
    found = {400}
    authenticated = bool(spec.get("security"))
    if authenticated:
        found |= {401, 403}
    has_path_params = any(p.get("in") == "path" for p in spec.get("parameters", []))
    if has_path_params or (authenticated and method in CHANGES):
        found.add(404)
    if method in CHANGES:
        found.add(413)
        if authenticated:
            found.add(409)
    return found


def _error_response(status: int, declared: dict[str, Any] | None, path: str) -> dict[str, Any]:
    response = dict(declared or {})
    response.setdefault("description", DESCRIPTIONS.get(status, "Error"))
    schema = OSV_ERROR_REF if path.startswith(OSV_PREFIX) else ERROR_REF
    response["content"] = {"application/json": {"schema": schema}}
    if status == 401:
        response.setdefault("headers", {})["WWW-Authenticate"] = {"schema": {"type": "string"}}
    if status == 429:
        response.setdefault("headers", {})["Retry-After"] = {
            "schema": {"type": "integer"},
            "description": "Seconds to wait",
        }
    return response


def _hoist_defs(node: Any, components: dict[str, Any]) -> Any:
    """A JSON schema pasted into an operation (``openapi_extra``) keeps its ``$defs`` and ``#/$defs/...``
    references, which the document cannot resolve: move them into the components and point at them there."""
    if isinstance(node, list):
        return [_hoist_defs(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    for name, definition in node.pop("$defs", {}).items():
        components.setdefault(name, _hoist_defs(definition, components))
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        node["$ref"] = "#/components/schemas/" + ref.removeprefix("#/$defs/")
    return {key: _hoist_defs(value, components) for key, value in node.items()}


_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def _integer_bounds(node: Any) -> None:
    """FastAPI's document model holds bounds as floats, so ``le=2**63 - 1`` came out as 2**63: an integer
    schema states its bounds as integers, clamped to the 64 bits the databases hold."""
    if isinstance(node, list):
        for item in node:
            _integer_bounds(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "integer":
        for key in _BOUNDS:
            if isinstance(node.get(key), float):
                node[key] = max(INT64_MIN, min(INT64_MAX, int(node[key])))
    for value in node.values():
        _integer_bounds(value)


def document(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes, tags=app.openapi_tags
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    components["Error"] = ErrorBody.model_json_schema()
    components["OsvError"] = OsvErrorBody.model_json_schema()
    for op in operations(schema):
        if "requestBody" in op.spec:
            op.spec["requestBody"] = _hoist_defs(op.spec["requestBody"], components)
        responses: dict[str, Any] = op.spec["responses"]
        responses.pop("422", None)
        wanted = statuses(op.method, op.spec) | {int(s) for s in responses if s.isdigit() and int(s) >= 400}
        for status in sorted(wanted):
            responses[str(status)] = _error_response(status, responses.get(str(status)), op.path)
    _integer_bounds(schema)
    return schema


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
