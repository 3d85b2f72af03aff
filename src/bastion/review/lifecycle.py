"""Pure vocabulary and state machines of review content: submission status, finding status and who may
move a finding where. No I/O."""

from __future__ import annotations

from enum import StrEnum

from bastion.core.access import Action
from bastion.review.errors import FindingTransitionError


class SubmissionStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class SelectionStatus(StrEnum):
    """What the lab sees about selection: nothing more."""

    PENDING = "pending"
    SELECTED = "selected"
    NOT_SELECTED = "not_selected"


class FocusArea(StrEnum):
    STRUCTURAL_VULNERABILITIES = "structural_vulnerabilities"
    INSIDER_RISKS = "insider_risks"
    DIGITAL_INFRASTRUCTURE = "digital_infrastructure"
    OTHER = "other"

    @property
    def heading(self) -> str:
        return {
            FocusArea.STRUCTURAL_VULNERABILITIES: "Structural vulnerabilities",
            FocusArea.INSIDER_RISKS: "Insider risks",
            FocusArea.DIGITAL_INFRASTRUCTURE: "Threats to digital infrastructure",
            FocusArea.OTHER: "Other",
        }[self]


class Severity(StrEnum):
    INFORMATIONAL = "informational"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class FindingStatus(StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    SHARED_WITH_LAB = "shared_with_lab"
    LAB_RESPONDED = "lab_responded"
    MITIGATED = "mitigated"
    ACCEPTED = "accepted"


TRANSITIONS: dict[FindingStatus, tuple[FindingStatus, ...]] = {
    FindingStatus.DRAFT: (FindingStatus.CONFIRMED,),
    FindingStatus.CONFIRMED: (FindingStatus.DRAFT, FindingStatus.SHARED_WITH_LAB),
    FindingStatus.SHARED_WITH_LAB: (
        FindingStatus.LAB_RESPONDED,
        FindingStatus.MITIGATED,
        FindingStatus.ACCEPTED,
    ),
    FindingStatus.LAB_RESPONDED: (FindingStatus.MITIGATED, FindingStatus.ACCEPTED),
    FindingStatus.MITIGATED: (),
    FindingStatus.ACCEPTED: (),
}

# Which policy action a move needs: sharing with the lab is a programme decision, a lab response is the
# lab's, the rest is the evaluators' work.
TRANSITION_ACTION: dict[FindingStatus, Action] = {
    FindingStatus.DRAFT: Action.UPDATE,
    FindingStatus.CONFIRMED: Action.UPDATE,
    FindingStatus.SHARED_WITH_LAB: Action.DECIDE,
    FindingStatus.LAB_RESPONDED: Action.RESPOND,
    FindingStatus.MITIGATED: Action.UPDATE,
    FindingStatus.ACCEPTED: Action.UPDATE,
}

SHARED_STATES = frozenset(
    {
        FindingStatus.SHARED_WITH_LAB,
        FindingStatus.LAB_RESPONDED,
        FindingStatus.MITIGATED,
        FindingStatus.ACCEPTED,
    }
)
RESPONDABLE_STATES = frozenset({FindingStatus.SHARED_WITH_LAB, FindingStatus.LAB_RESPONDED})


def check_transition(current: FindingStatus, requested: FindingStatus) -> None:
    """Raise ``FindingTransitionError`` (409, with the allowed next states) unless the move is allowed."""
    allowed = TRANSITIONS[current]
    if requested not in allowed:
        raise FindingTransitionError(current.value, requested.value, [s.value for s in allowed])


def is_shared(status: FindingStatus) -> bool:
    return status in SHARED_STATES
