"""Errors on ``/v1`` in osv.dev's envelope: ``{"code": <gRPC status code>, "message": ...}``.

osv.dev serves its API through a gRPC-to-JSON gateway, so an error body is a ``google.rpc.Status``: an
integer ``code`` (3 INVALID_ARGUMENT for a bad query, 5 NOT_FOUND for an unknown id) and a ``message``.
Bastion keeps that shape and adds ``hint`` (how to fix it), ``reason`` (its stable machine code, as in
``google.rpc.ErrorInfo``) and, when there are any, ``metadata`` (structured details).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

OSV_PREFIX = "/v1/"

# google.rpc.Code for each HTTP status, as the gateway maps them (google/rpc/code.proto).
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 409: 10, 413: 3, 429: 8, 500: 13, 501: 12, 503: 14}
UNKNOWN = 2


def is_osv(request: Request) -> bool:
    return request.url.path.startswith(OSV_PREFIX)


def osv_error(
    status: int,
    message: str,
    *,
    reason: str,
    hint: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": GRPC_CODES.get(status, UNKNOWN), "message": message}
    if hint:
        body["hint"] = hint
    body["reason"] = reason
    if metadata:
        body["metadata"] = metadata
    return body
