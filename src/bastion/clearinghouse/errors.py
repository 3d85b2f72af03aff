"""Errors of the clearinghouse slice: one base, each concrete error also a kind (for HTTP and exit codes)."""

from __future__ import annotations

from typing import Any

from bastion.core.errors import BastionError, Conflict, InvalidInput, OperationalError, TooManyRequests


class ClearinghouseError(BastionError):
    """Base of every error the clearinghouse raises on purpose."""

    default_code = "clearinghouse_error"


class InvalidReport(ClearinghouseError, InvalidInput):  # noqa: N818 - names a kind, like the core errors
    """A report (or an upload of many) that cannot be accepted as sent; ``details`` names the field."""

    default_code = "invalid_report"


class SubmissionLimit(ClearinghouseError, TooManyRequests):  # noqa: N818 - names a kind, like the core errors
    """A reporter's rate limit or daily quota; ``details["retry_after_seconds"]`` says when to try again."""

    default_code = "submission_limit"


class StateConflict(ClearinghouseError, Conflict):  # noqa: N818 - names a kind, like the core errors
    """The request clashes with the current state of a report, case, embargo or fix."""

    default_code = "clearinghouse_state_conflict"


class TransitionRefused(StateConflict):
    """A state change the state machine does not allow; carries the allowed next states."""

    default_code = "invalid_transition"

    def __init__(self, what: str, current: str, requested: str, allowed: list[str]) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none (final state)"
        super().__init__(
            f"a {what} cannot move from {current!r} to {requested!r}",
            hint=f"allowed next states from {current!r}: {allowed_text}",
            details={"current": current, "requested": requested, "allowed": allowed},
        )


class IdempotencyConflict(ClearinghouseError, Conflict):  # noqa: N818 - names a kind, like the core errors
    """A client key used again with a different submission."""

    default_code = "client_key_reused"


class TargetUnavailable(ClearinghouseError, OperationalError):  # noqa: N818 - names a kind, like the core errors
    """A target could not be fetched (no network, registry down, no such version)."""

    default_code = "target_unavailable"


def invalid(message: str, *, hint: str | None = None, **details: Any) -> InvalidReport:
    """Shorthand for a 400 with structured details."""
    return InvalidReport(message, hint=hint, details=details or None)
