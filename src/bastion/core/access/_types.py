"""The policy's vocabulary: actions, resource kinds, the resource descriptor and the decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bastion.core.principal import Classification, OrgID, Role, UserID


class Action(StrEnum):
    READ = "read"  # includes appearing in a list or a count
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"  # withdraw, revoke
    RESPOND = "respond"  # a lab answering a finding shared with it
    DECIDE = "decide"  # selection decisions, overrides, window changes, assignment
    READ_SECRET = "read_secret"  # noqa: S105 - an action, not a password; decrypted model-access credentials; selection rationale


class ResourceKind(StrEnum):
    ORGANISATION = "organisation"
    USER = "user"
    API_TOKEN = "api_token"  # noqa: S105 - a resource kind, not a password
    SUBMISSION = "submission"
    SELECTION = "selection"
    REVIEW = "review"
    FINDING = "finding"
    EVIDENCE = "evidence"
    REPORT = "report"
    EVAL_RUN = "eval_run"
    AUDIT_LOG = "audit_log"
    OUTBOX = "outbox"  # notifications waiting for delivery (reminders, closures): operations only
    # The clearinghouse (rules in ``_clearinghouse.py``)
    CH_REPORT = "ch_report"  # a vulnerability report: its reporter, the case's participants, analysts
    CH_CASE = "ch_case"  # a coordination case: analysts, the reporter, the vendors taking part
    CH_VENDOR_STATUS = "ch_vendor_status"  # one vendor's answer in a case: that vendor writes it
    CH_VENDOR = "ch_vendor"  # the vendor registry (who owns which package namespaces)
    CH_REPORTER = "ch_reporter"  # a reporter's profile and record of validated and rejected reports
    CH_PUBLICATION = "ch_publication"  # a published advisory: public
    CH_OPERATIONS = "ch_operations"  # the clearinghouse's queue, outbox and policies: analysts
    # Defense (rules in ``_defense.py``)
    DEFENSE_INVENTORY = "defense_inventory"  # an agency's systems, projects, inventories, exposures, VEX
    DEFENSE_PROGRAMME = "defense_programme"  # programme-wide counts over every agency's inventories


CLEARINGHOUSE = frozenset(
    {
        ResourceKind.CH_REPORT,
        ResourceKind.CH_CASE,
        ResourceKind.CH_VENDOR_STATUS,
        ResourceKind.CH_VENDOR,
        ResourceKind.CH_REPORTER,
        ResourceKind.CH_PUBLICATION,
        ResourceKind.CH_OPERATIONS,
    }
)

DEFENSE = frozenset({ResourceKind.DEFENSE_INVENTORY, ResourceKind.DEFENSE_PROGRAMME})

REVIEW_CONTENT = frozenset(
    {
        ResourceKind.SUBMISSION,
        ResourceKind.SELECTION,
        ResourceKind.REVIEW,
        ResourceKind.FINDING,
        ResourceKind.EVIDENCE,
        ResourceKind.REPORT,
        ResourceKind.EVAL_RUN,
    }
)


@dataclass(frozen=True, slots=True)
class Resource:
    """What the policy needs to know about a thing; built by the owning slice from its row.

    ``owner_org_id``: the lab organisation that owns the submission the content belongs to (None while a
    submission is being created, or for things outside review content). ``assigned``: the evaluators assigned
    to the review. ``shared_with_lab``: whether this piece was released to the owning lab (findings, the
    releasable report summary). ``subject_user_id``: for users and tokens, whose they are; in the
    clearinghouse, the reporter of a report or case. ``participant_orgs``: the vendor organisations taking part
    in a clearinghouse case. ``withheld``: an AI tool's report still waiting for its sandbox validation (no
    person reads it before).
    """

    kind: ResourceKind
    classification: Classification = Classification.UNCLASSIFIED
    owner_org_id: OrgID | None = None
    assigned: frozenset[UserID] = field(default_factory=frozenset)
    shared_with_lab: bool = False
    subject_user_id: UserID | None = None
    participant_orgs: frozenset[OrgID] = field(default_factory=frozenset)
    withheld: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str
    conceal: bool = False  # answer as if the resource did not exist

    def __bool__(self) -> bool:
        return self.allowed


def allow(reason: str) -> Decision:
    return Decision(True, reason)


def deny(reason: str, *, conceal: bool = True) -> Decision:
    return Decision(False, reason, conceal=conceal)


LAB_ROLES = (Role.LAB_SUBMITTER, Role.LAB_VIEWER)
