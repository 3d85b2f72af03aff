"""Errors of the review slice: one base, concrete errors that are also a kind (for HTTP and exit codes)."""

from __future__ import annotations

from typing import Any

from bastion.core.errors import BastionError, Conflict, InvalidInput


class ReviewError(BastionError):
    """Base of every error the review slice raises on purpose."""

    default_code = "review_error"


class ReviewInputError(ReviewError, InvalidInput):
    default_code = "invalid_input"


class PolicyError(ReviewError, InvalidInput):
    """A selection policy file that cannot be used; ``details`` names the offending rule or key."""

    default_code = "invalid_policy"


class ReviewStateError(ReviewError, Conflict):
    default_code = "review_state_conflict"


class FindingTransitionError(ReviewError, Conflict):
    """A finding status change the lifecycle does not allow; carries the allowed next states."""

    default_code = "invalid_transition"

    def __init__(self, current: str, requested: str, allowed: list[str]) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none (final state)"
        super().__init__(
            f"a finding cannot move from {current!r} to {requested!r}",
            hint=f"allowed next states from {current!r}: {allowed_text}",
            details={"current": current, "requested": requested, "allowed": allowed},
        )


class ConflictOfInterestError(ReviewError, Conflict):
    default_code = "conflict_of_interest"


def invalid(message: str, *, hint: str | None = None, **details: Any) -> ReviewInputError:
    """Shorthand for a 400 with structured details."""
    return ReviewInputError(message, hint=hint, details=details or None)
