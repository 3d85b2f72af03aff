"""Embargo dates and SLA clocks, as pure window arithmetic: facts and ``now`` in, dates and due events out.

**Embargo.** A case's disclosure date comes from a versioned policy: 90 days from the case's opening by default,
7 when the flaw is exploited in the wild (listed in CISA's KEV, or marked so by an analyst); extensions are
agreed by the participants and capped (``max_days`` from opening). Reminders go 7 days and 1 day before the
date; when it comes, the case is published.

**SLA.** Time to a verified fix, by severity: critical 7 days, high 30, medium 90, low (and unscored) 120.
Reminders at half time and one day before the due date, an escalation when it passes; a verified fix stops the
clock. Every event has a stable label, so the outbox sends it once however often the clock ticks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from bastion.clearinghouse.errors import invalid
from bastion.clearinghouse.scoring import Severity
from bastion.clearinghouse.states import EmbargoStatus


@dataclass(frozen=True, slots=True)
class EmbargoPolicy:
    version: str = "2026-11"
    default_days: int = 90
    exploited_days: int = 7
    max_days: int = 180  # no embargo runs longer than this from the case's opening, extensions included
    reminders: tuple[int, ...] = (7, 1)  # days before the disclosure date

    def __post_init__(self) -> None:
        if not 1 <= self.exploited_days <= self.default_days <= self.max_days:
            raise ValueError("an embargo policy needs 1 <= exploited_days <= default_days <= max_days")


def _sla_days() -> Mapping[Severity, int]:
    return MappingProxyType(
        {Severity.CRITICAL: 7, Severity.HIGH: 30, Severity.MEDIUM: 90, Severity.LOW: 120, Severity.NONE: 120}
    )


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    version: str = "2026-11"
    days: Mapping[Severity, int] = field(default_factory=_sla_days)


EMBARGO_POLICIES = {p.version: p for p in (EmbargoPolicy(),)}
CURRENT_EMBARGO_POLICY = EmbargoPolicy()
CURRENT_SLA_POLICY = SlaPolicy()


def embargo_policy(version: str) -> EmbargoPolicy:
    """The policy a case was opened under (cases keep theirs when a new version is introduced)."""
    try:
        return EMBARGO_POLICIES[version]
    except KeyError:
        raise invalid(f"unknown embargo policy version {version!r}", known=sorted(EMBARGO_POLICIES)) from None


def disclosure_date(opened_at: datetime, *, exploited: bool, policy: EmbargoPolicy) -> datetime:
    return opened_at + timedelta(days=policy.exploited_days if exploited else policy.default_days)


def check_disclosure(opened_at: datetime, proposed: datetime, now: datetime, policy: EmbargoPolicy) -> None:
    """A proposed (revised) disclosure date must lie ahead and within the policy's cap."""
    if proposed.tzinfo is None:
        raise invalid("a disclosure date needs a time zone", hint="e.g. 2027-03-01T00:00:00Z", field="disclosure_at")
    if proposed <= now:
        raise invalid("the disclosure date must be in the future", field="disclosure_at")
    latest = opened_at + timedelta(days=policy.max_days)
    if proposed > latest:
        raise invalid(
            f"embargo policy {policy.version} caps an embargo at {policy.max_days} days from the case's opening",
            hint=f"propose a date no later than {latest.isoformat()}",
            field="disclosure_at",
        )


def sla_due(opened_at: datetime, severity: Severity, policy: SlaPolicy = CURRENT_SLA_POLICY) -> datetime:
    return opened_at + timedelta(days=policy.days[severity])


class EventKind(StrEnum):
    SLA_REMINDER = "sla.reminder"
    SLA_ESCALATION = "sla.escalation"
    EMBARGO_REMINDER = "embargo.reminder"
    EMBARGO_ENDS = "embargo.ends"


@dataclass(frozen=True, slots=True)
class CaseClock:
    """What a case's deadlines depend on, as recorded."""

    opened_at: datetime
    severity: Severity
    fixed_at: datetime | None  # the first verified fix
    embargo: EmbargoStatus
    disclosure_at: datetime | None
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class Due:
    kind: EventKind
    label: str  # stable per case and deadline: the outbox's dedupe key
    at: datetime
    deadline: datetime


def due_events(
    clock: CaseClock,
    now: datetime,
    embargo: EmbargoPolicy = CURRENT_EMBARGO_POLICY,
    sla: SlaPolicy = CURRENT_SLA_POLICY,
) -> list[Due]:
    """The events whose time has come at ``now`` and that still apply, oldest first."""
    events: list[Due] = []
    if clock.fixed_at is None and clock.published_at is None:
        due = sla_due(clock.opened_at, clock.severity, sla)
        half = clock.opened_at + (due - clock.opened_at) / 2
        events.append(Due(EventKind.SLA_REMINDER, f"sla:{due.isoformat()}:half", half, due))
        if due - timedelta(days=1) > half:
            events.append(Due(EventKind.SLA_REMINDER, f"sla:{due.isoformat()}:1d", due - timedelta(days=1), due))
        events.append(Due(EventKind.SLA_ESCALATION, f"sla:{due.isoformat()}:overdue", due, due))
    live = clock.embargo in (EmbargoStatus.PROPOSED, EmbargoStatus.ACTIVE, EmbargoStatus.REVISE)
    if live and clock.disclosure_at is not None and clock.published_at is None:
        end = clock.disclosure_at
        for days in embargo.reminders:
            at = end - timedelta(days=days)
            if at > clock.opened_at:
                events.append(Due(EventKind.EMBARGO_REMINDER, f"embargo:{end.isoformat()}:{days}d", at, end))
        events.append(Due(EventKind.EMBARGO_ENDS, f"embargo:{end.isoformat()}:ends", end, end))
    return sorted((e for e in events if e.at <= now), key=lambda e: e.at)
