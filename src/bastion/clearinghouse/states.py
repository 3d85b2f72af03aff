"""The state machines of reports, cases and embargoes (after Vultron's RM, CS and EM machines). Pure.

Report (Vultron's report management): ``received`` -> deduplicated -> ``validating`` in the sandbox (or
``triage`` for an analyst when it has no reproducer) -> ``validated`` / ``not_reproduced`` / ``needs_info``
-> ``accepted`` (a case opens) or ``rejected``. A ``duplicate`` is linked to the report (or advisory) it
repeats.

Embargo (Vultron's embargo management): ``none`` -> ``proposed`` -> ``active`` <-> ``revise`` (an extension or
a shortening under discussion) -> ``exited`` (published, or ended early by agreement).

Case: ``open`` (coordinating) -> ``published`` -> ``closed``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from bastion.clearinghouse.errors import TransitionRefused


class ReportStatus(StrEnum):
    RECEIVED = "received"
    DUPLICATE = "duplicate"
    VALIDATING = "validating"
    VALIDATED = "validated"
    NOT_REPRODUCED = "not_reproduced"
    NEEDS_INFO = "needs_info"
    TRIAGE = "triage"  # no reproducer: waits for an analyst
    ACCEPTED = "accepted"
    REJECTED = "rejected"


REPORT_TRANSITIONS: dict[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.RECEIVED: frozenset({ReportStatus.DUPLICATE, ReportStatus.VALIDATING, ReportStatus.TRIAGE}),
    ReportStatus.VALIDATING: frozenset(
        {ReportStatus.VALIDATED, ReportStatus.NOT_REPRODUCED, ReportStatus.NEEDS_INFO, ReportStatus.VALIDATING}
    ),
    ReportStatus.VALIDATED: frozenset({ReportStatus.ACCEPTED, ReportStatus.REJECTED, ReportStatus.DUPLICATE}),
    ReportStatus.NOT_REPRODUCED: frozenset({ReportStatus.VALIDATING, ReportStatus.REJECTED, ReportStatus.ACCEPTED}),
    ReportStatus.NEEDS_INFO: frozenset({ReportStatus.VALIDATING, ReportStatus.REJECTED, ReportStatus.TRIAGE}),
    ReportStatus.TRIAGE: frozenset(
        {ReportStatus.ACCEPTED, ReportStatus.REJECTED, ReportStatus.VALIDATING, ReportStatus.DUPLICATE}
    ),
    ReportStatus.DUPLICATE: frozenset({ReportStatus.TRIAGE}),  # an analyst says: not a duplicate after all
    ReportStatus.ACCEPTED: frozenset(),
    ReportStatus.REJECTED: frozenset(),
}

# Statuses whose reports are still candidates for deduplication (rejected and duplicate ones are not).
OPEN_FOR_DEDUPE = frozenset(set(ReportStatus) - {ReportStatus.REJECTED, ReportStatus.DUPLICATE})
# A report's validation outcome counts in its reporter's record once it is one of these.
VALIDATION_OUTCOMES = frozenset({ReportStatus.VALIDATED, ReportStatus.NOT_REPRODUCED, ReportStatus.NEEDS_INFO})


class EmbargoStatus(StrEnum):
    NONE = "none"
    PROPOSED = "proposed"
    ACTIVE = "active"
    REVISE = "revise"
    EXITED = "exited"


EMBARGO_TRANSITIONS: dict[EmbargoStatus, frozenset[EmbargoStatus]] = {
    EmbargoStatus.NONE: frozenset({EmbargoStatus.PROPOSED, EmbargoStatus.ACTIVE}),
    EmbargoStatus.PROPOSED: frozenset({EmbargoStatus.ACTIVE, EmbargoStatus.NONE, EmbargoStatus.EXITED}),
    EmbargoStatus.ACTIVE: frozenset({EmbargoStatus.REVISE, EmbargoStatus.EXITED}),
    EmbargoStatus.REVISE: frozenset({EmbargoStatus.ACTIVE, EmbargoStatus.EXITED}),
    EmbargoStatus.EXITED: frozenset(),
}


class CaseStatus(StrEnum):
    OPEN = "open"
    PUBLISHED = "published"
    CLOSED = "closed"


CASE_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.PUBLISHED, CaseStatus.CLOSED}),
    CaseStatus.PUBLISHED: frozenset({CaseStatus.CLOSED, CaseStatus.PUBLISHED}),  # re-publication: a new revision
    CaseStatus.CLOSED: frozenset(),
}


def check_report(current: ReportStatus, target: ReportStatus) -> None:
    _check("report", REPORT_TRANSITIONS, current, target)


def check_embargo(current: EmbargoStatus, target: EmbargoStatus) -> None:
    _check("embargo", EMBARGO_TRANSITIONS, current, target)


def check_case(current: CaseStatus, target: CaseStatus) -> None:
    _check("case", CASE_TRANSITIONS, current, target)


S = TypeVar("S", ReportStatus, EmbargoStatus, CaseStatus)


def _check(what: str, table: dict[S, frozenset[S]], current: S, target: S) -> None:
    if target not in table[current]:
        raise TransitionRefused(what, current.value, target.value, sorted(s.value for s in table[current]))


class FixStatus(StrEnum):
    PENDING = "pending"  # queued for verification in the sandbox
    VERIFIED = "verified"  # the reproducer no longer triggers (and, for a patch, it applies, builds, tests pass)
    NOT_VERIFIED = "not_verified"
    ERROR = "error"  # the sandbox could not run it (the outcome says why)
