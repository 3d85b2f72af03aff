"""The review window, as pure arithmetic: no clock reads, no I/O.

A review opens when evaluators get access. It closes at the earliest of: ``opened_at + window_days``
(plus any extension the lab consented to), the lab's intended release date (when ``close_at_release``),
the moment the lab actually releases, or the moment the submission is withdrawn.

Bastion records and supports; it never licenses, gates or delays a release. That is why the only states are
``open`` and ``closed`` and the close reasons below: there is deliberately no "approved", "blocked" or
"release held" state anywhere in the model, and a release always closes the review immediately.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

DEFAULT_WINDOW_DAYS = 30
REMINDER_OFFSETS: tuple[tuple[str, timedelta], ...] = (
    ("7d", timedelta(days=7)),
    ("1d", timedelta(days=1)),
)


class WindowStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CloseReason(StrEnum):
    WINDOW_ELAPSED = "window_elapsed"  # opened_at + window_days (+ extensions) reached
    RELEASE_DATE = "release_date"  # the intended public release date reached first
    RELEASED = "released"  # the lab released (at any time; never blocked)
    WITHDRAWN = "withdrawn"  # the lab withdrew the submission


@dataclass(frozen=True, slots=True)
class WindowConfig:
    window_days: int = DEFAULT_WINDOW_DAYS
    close_at_release: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.window_days <= 365:
            raise ValueError("window_days must be between 1 and 365")


@dataclass(frozen=True, slots=True)
class WindowFacts:
    """Everything the window depends on, as recorded."""

    opened_at: datetime
    intended_release_at: datetime | None = None
    extension_days: int = 0  # total of the extensions the lab consented to
    released_at: datetime | None = None
    withdrawn_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class WindowState:
    status: WindowStatus
    deadline: datetime  # when the window closes (or closed) absent release/withdrawal
    closes_at: datetime  # the effective close: deadline, or an earlier release/withdrawal
    close_reason: CloseReason  # why it closes (or closed) at ``closes_at``

    @property
    def is_open(self) -> bool:
        return self.status is WindowStatus.OPEN


@dataclass(frozen=True, slots=True)
class Reminder:
    label: str  # "7d" or "1d"
    due_at: datetime
    deadline: datetime


def deadline(facts: WindowFacts, config: WindowConfig) -> tuple[datetime, CloseReason]:
    """The scheduled close and its reason: the window (plus consented extensions) or the release date."""
    extension = timedelta(days=facts.extension_days)
    by_window = facts.opened_at + timedelta(days=config.window_days) + extension
    if config.close_at_release and facts.intended_release_at is not None:
        by_release = max(facts.intended_release_at, facts.opened_at) + extension  # never before opening
        if by_release < by_window:
            return by_release, CloseReason.RELEASE_DATE
    return by_window, CloseReason.WINDOW_ELAPSED


def evaluate(facts: WindowFacts, config: WindowConfig, now: datetime) -> WindowState:
    """The state of the window at ``now``."""
    scheduled, reason = deadline(facts, config)
    closes_at = scheduled
    events = [
        (facts.released_at, CloseReason.RELEASED),
        (facts.withdrawn_at, CloseReason.WITHDRAWN),
    ]
    for when, why in events:
        if when is not None and when < closes_at:
            closes_at, reason = max(when, facts.opened_at), why
    status = WindowStatus.CLOSED if now >= closes_at else WindowStatus.OPEN
    return WindowState(status=status, deadline=scheduled, closes_at=closes_at, close_reason=reason)


def reminder_schedule(facts: WindowFacts, config: WindowConfig) -> list[Reminder]:
    """Reminders before the scheduled close (7 days and 1 day), skipping any that would fall before the
    window opened."""
    scheduled, _ = deadline(facts, config)
    return [
        Reminder(label=label, due_at=scheduled - offset, deadline=scheduled)
        for label, offset in REMINDER_OFFSETS
        if scheduled - offset >= facts.opened_at
    ]


def due_reminder(facts: WindowFacts, config: WindowConfig, now: datetime) -> Reminder | None:
    """The reminder to send at ``now``, if any: the latest one whose time has come while the window is
    still open. An earlier reminder overtaken by a later one (a tick that ran late) is not sent."""
    if not evaluate(facts, config, now).is_open:
        return None
    due = [r for r in reminder_schedule(facts, config) if r.due_at <= now]
    return max(due, key=lambda r: r.due_at) if due else None
