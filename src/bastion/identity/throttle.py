"""The login throttle, pure: after ``max_failures`` failed sign-ins for one email address within ``window``,
further attempts are refused until the oldest of those failures leaves the window.

The failures are counted in the database (``login_failures``), so the throttle holds across API processes;
the time comes from the injected clock. It applies to every address alike, known or not, so a refusal
does not tell whether an account exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class LoginThrottle:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.window <= timedelta(0):
            raise ValueError("a login throttle needs at least one failure and a positive window")

    def counts_since(self, now: datetime) -> datetime:
        """Failures at or before this instant no longer count."""
        return now - self.window

    def retry_after(self, failures: Iterable[datetime], now: datetime) -> timedelta | None:
        """How long the address is locked at ``now`` given its failures' times; None if it may try."""
        recent = sorted(at for at in failures if self.counts_since(now) < at <= now)
        if len(recent) < self.max_failures:
            return None
        # Allowed again once fewer than max_failures remain in the window: when the oldest of the last
        # max_failures failures expires.
        return recent[-self.max_failures] + self.window - now


DEFAULT_LOGIN_THROTTLE = LoginThrottle()
