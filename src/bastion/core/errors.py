"""One root for every error Bastion raises on purpose.

Each error carries a stable machine ``code`` (what API clients and scripts branch on), a human
``message`` (what went wrong), an optional ``hint`` (how to fix it) and structured ``details``.
Shells map the *kind* of error to a transport status in one place (``bastion.api.errors`` for HTTP,
``bastion.cli.main`` for exit codes); services never know about HTTP.
"""

from __future__ import annotations

from typing import Any, ClassVar


class BastionError(Exception):
    """Root of all deliberate errors. Subclass per slice; never raise this directly."""

    default_code: ClassVar[str] = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        hint: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.hint = hint
        self.details: dict[str, Any] = details or {}

    def to_dict(self) -> dict[str, Any]:
        """The one JSON error shape used everywhere: ``{"code", "message", "hint"?, "details"?}``."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        if self.details:
            body["details"] = self.details
        return body

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InvalidInput(BastionError):  # noqa: N818 - reads as a kind of error, like ValueError's peers
    """The caller sent something malformed or contradictory (HTTP 400, CLI exit 2)."""

    default_code = "invalid_input"


class PayloadTooLarge(InvalidInput):
    """The request (or a part of it) is larger than a configured limit (HTTP 413, CLI exit 2).
    ``details["limit_bytes"]`` names the limit."""

    default_code = "payload_too_large"


class NotFound(BastionError):  # noqa: N818
    """The thing does not exist *for this caller* (HTTP 404). Also used where existence is secret."""

    default_code = "not_found"


class Forbidden(BastionError):  # noqa: N818
    """The caller may know the thing exists but may not do this to it (HTTP 403)."""

    default_code = "forbidden"


class Unauthenticated(BastionError):  # noqa: N818
    """No valid credentials were presented (HTTP 401)."""

    default_code = "unauthenticated"


class Conflict(BastionError):  # noqa: N818
    """The request is well-formed but clashes with the current state (HTTP 409)."""

    default_code = "conflict"


class TooManyRequests(BastionError):  # noqa: N818
    """The caller tried too often; ``details["retry_after_seconds"]`` says when to try again (HTTP 429)."""

    default_code = "too_many_requests"


class OperationalError(BastionError):
    """Something outside the caller's control failed: network, disk, a dependency (HTTP 503, exit 3)."""

    default_code = "operational_error"
