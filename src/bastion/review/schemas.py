"""Records the review slice accepts and hands out (service inputs and results, and API bodies).

Names follow ``<Thing>Create / <Thing>Update / <Thing>Public / <Things>Public``. Inputs forbid unknown fields
so a typo is a clear 400 rather than silently ignored.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from bastion.core.fields import Omittable, RequestBody
from bastion.core.ids import (
    AssignmentID,
    EvidenceID,
    ExtensionID,
    FindingID,
    NominationID,
    OutboxMessageID,
    ResponseID,
    ReviewID,
    SelectionDecisionID,
    SubmissionID,
)
from bastion.core.principal import Classification, OrgID, UserID
from bastion.review.lifecycle import FindingStatus, FocusArea, SelectionStatus, Severity, SubmissionStatus
from bastion.review.selection import RuleID
from bastion.review.window import CloseReason, WindowStatus


def _parse_marking(value: object) -> Classification:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("a classification is a name such as CUI or SECRET")
    return Classification.parse(value)


Marking = Annotated[
    Classification,
    BeforeValidator(_parse_marking),
    PlainSerializer(lambda c: c.name, return_type=str),
    WithJsonSchema({"type": "string", "enum": [c.name for c in Classification]}),
]


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Finite = Annotated[float, AfterValidator(_finite)]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class Body(RequestBody):
    model_config = ConfigDict(str_strip_whitespace=True)


class Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class DocumentLink(Body):
    title: str = Field(min_length=1, max_length=200, examples=["System card"])
    url: str = Field(min_length=1, max_length=1000, pattern=r"^https?://", examples=["https://lab.example/card"])


class CapabilityTierIn(Body):
    framework: str = Field(min_length=1, max_length=100, examples=["preparedness"])
    domain: str = Field(min_length=1, max_length=100, examples=["cyber"])
    level: str = Field(min_length=1, max_length=50, examples=["High"])


class SubmissionCreate(Body):
    """What a lab states about its model. Evaluation scores are not among them: the programme's evaluators
    measure those and attach them to the review (``evaluation_scores`` here is a 400, as any unknown field)."""

    model_name: Text
    model_version: str = Field(min_length=1, max_length=100)
    developer: Text
    training_compute_flop: Finite = Field(gt=0, description="Training compute in FLOP, e.g. 3e26.")
    modalities: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(min_length=1, max_length=20)
    intended_release_at: AwareDatetime | None = Field(default=None, description="Intended public release.")
    access_endpoint: str | None = Field(default=None, max_length=500, pattern=r"^https?://")
    access_credential: str | None = Field(
        default=None,
        min_length=1,
        max_length=4000,
        repr=False,
        description="Encrypted at rest; shown only to assigned evaluators and programme administrators.",
    )
    documentation: list[DocumentLink] = Field(default_factory=list, max_length=50)
    capability_tiers: list[CapabilityTierIn] = Field(default_factory=list, max_length=50)
    classification: Marking = Classification.CUI


class SubmissionUpdate(Body):
    """Leave a field out to keep its value. The fields every submission has take no ``null``; the optional
    ones take ``null`` to clear them (``documentation`` and ``capability_tiers``: to empty them)."""

    model_name: Omittable[Text] = None
    model_version: Omittable[Annotated[str, Field(min_length=1, max_length=100)]] = None
    developer: Omittable[Text] = None
    training_compute_flop: Omittable[Annotated[Finite, Field(gt=0)]] = None
    modalities: Omittable[
        Annotated[list[Annotated[str, Field(min_length=1, max_length=40)]], Field(min_length=1, max_length=20)]
    ] = None
    intended_release_at: AwareDatetime | None = None
    access_endpoint: str | None = Field(default=None, max_length=500, pattern=r"^https?://")
    access_credential: str | None = Field(default=None, min_length=1, max_length=4000, repr=False)
    documentation: list[DocumentLink] | None = None
    capability_tiers: list[CapabilityTierIn] | None = None


class SubmissionPublic(Record):
    id: SubmissionID
    org_id: OrgID
    model_name: str
    model_version: str
    developer: str
    training_compute_flop: float
    modalities: list[str]
    intended_release_at: datetime | None
    access_endpoint: str | None
    has_access_credential: bool = Field(description="The credential itself is never in this record.")
    documentation: list[dict[str, Any]]
    capability_tiers: list[dict[str, Any]]
    evaluation_scores: dict[str, float] = Field(
        description="Task -> score, measured by the programme's evaluators: from the evaluation results attached "
        "to the review that you may read (each keeps the marking and need to know of its evidence)."
    )
    reference_scores: dict[str, dict[str, float]] = Field(
        description="Task -> reference model -> score, from the same evaluation results."
    )
    classification: Marking
    status: SubmissionStatus
    selection: SelectionStatus
    review_id: ReviewID | None = Field(
        description="The submission's review, for those who may read it (else null, as if none were open)."
    )
    created_at: datetime
    updated_at: datetime
    withdrawn_at: datetime | None


class SubmissionsPublic(Record):
    data: list[SubmissionPublic]
    count: int


class SubmissionAccess(Record):
    """The decrypted model-access credential: for assigned evaluators and programme administrators."""

    submission_id: SubmissionID
    access_endpoint: str | None
    access_credential: str | None = Field(repr=False)


class NominationCreate(Body):
    reason: str = Field(min_length=10, max_length=4000)


class NominationPublic(Record):
    id: NominationID
    agency_org_id: OrgID
    agency_name: str
    nominated_by: UserID
    reason: str
    created_at: datetime


class SelectionOverride(Body):
    selected: bool
    reason: str = Field(min_length=10, max_length=4000, description="Mandatory written reason (audited).")


class RuleResultPublic(Record):
    rule_id: RuleID
    kind: str
    fired: bool
    explanation: str


class SelectionDecisionPublic(Record):
    id: SelectionDecisionID
    selected: bool
    policy_version: str | None
    fired_rules: list[str]
    rule_results: list[RuleResultPublic]
    manual: bool
    override_reason: str | None
    decided_by: UserID | None
    decided_at: datetime


class SelectionPublic(Record):
    """``status`` is all a lab sees; ``current``, ``history`` and ``nominations`` (the rationale) are for
    programme and agency staff and are ``null`` otherwise."""

    submission_id: SubmissionID
    status: SelectionStatus
    current: SelectionDecisionPublic | None = None
    history: list[SelectionDecisionPublic] | None = None
    nominations: list[NominationPublic] | None = None


class ReviewCreate(Body):
    submission_id: SubmissionID = Field(min_length=1, max_length=40)
    window_days: int | None = Field(default=None, ge=1, le=365, description="Default: 30.")
    close_at_release: bool | None = Field(
        default=None, description="Close at the intended release date if earlier (default true)."
    )


class ReminderPublic(Record):
    label: str
    due_at: datetime


class ReviewPublic(Record):
    """A review window. Bastion never licenses, gates or delays a release: ``blocks_release`` is always
    false, and a release recorded by the lab closes the review with reason ``released``."""

    id: ReviewID
    submission_id: SubmissionID
    org_id: OrgID
    model_name: str
    model_version: str
    classification: Marking
    status: WindowStatus
    close_reason: CloseReason | None = Field(description="Why it closed; null while open.")
    opened_at: datetime
    deadline: datetime = Field(description="Scheduled close (window or release date, plus extensions).")
    closes_at: datetime
    closed_at: datetime | None
    window_days: int
    close_at_release: bool
    extension_days: int
    intended_release_at: datetime | None
    released_at: datetime | None
    reminders: list[ReminderPublic]
    blocks_release: Literal[False] = False


class ReviewsPublic(Record):
    data: list[ReviewPublic]
    count: int


class ReleaseRecord(Body):
    released_at: AwareDatetime | None = Field(default=None, description="Default: now. Not in the future.")


class ExtensionCreate(Body):
    days: int = Field(ge=1, le=90)
    reason: str = Field(min_length=10, max_length=4000)


class ExtensionAnswer(Body):
    consent: bool = Field(description="The lab's recorded answer: true consents, false declines.")


class ExtensionPublic(Record):
    id: ExtensionID
    review_id: ReviewID
    days: int
    reason: str
    status: Literal["proposed", "consented", "declined"]
    proposed_by: UserID | None = Field(description="Null where the proposer's identity is not yours to know.")
    proposed_at: datetime
    answered_by: UserID | None
    answered_at: datetime | None


class ExtensionsPublic(Record):
    data: list[ExtensionPublic]
    count: int


class AssignmentCreate(Body):
    user_id: UserID = Field(min_length=1, max_length=40)
    focus_areas: list[FocusArea] = Field(min_length=1)


class AssignmentPublic(Record):
    id: AssignmentID
    review_id: ReviewID
    user_id: UserID
    focus_areas: list[FocusArea]
    assigned_by: UserID
    assigned_at: datetime


class AssignmentsPublic(Record):
    data: list[AssignmentPublic]
    count: int


class FindingCreate(Body):
    title: str = Field(min_length=1, max_length=300)
    focus_area: FocusArea
    severity: Severity
    classification: Marking
    description: str = Field(min_length=1, max_length=100_000)
    for_clearinghouse: bool = Field(default=False, description="A concrete software flaw for the clearinghouse.")


class FindingUpdate(Body):
    """Leave a field out to keep its value; ``null`` is not a value here."""

    title: Omittable[Annotated[str, Field(min_length=1, max_length=300)]] = None
    focus_area: Omittable[FocusArea] = None
    severity: Omittable[Severity] = None
    classification: Omittable[Marking] = None
    description: Omittable[Annotated[str, Field(min_length=1, max_length=100_000)]] = None
    for_clearinghouse: Omittable[bool] = None
    status: Omittable[FindingStatus] = Field(default=None, description="Move along the finding lifecycle.")
    reason: Omittable[Annotated[str, Field(min_length=10, max_length=4000)]] = Field(
        default=None,
        description="Required to lower the classification (by a classification authority): the written reason, "
        "kept in the audit log.",
    )


class ResponseCreate(Body):
    body: str = Field(min_length=1, max_length=100_000)


class ResponsePublic(Record):
    id: ResponseID
    finding_id: FindingID
    author_id: UserID | None = Field(description="Null where the author's identity is not yours to know.")
    body: str
    created_at: datetime


class FindingPublic(Record):
    id: FindingID
    review_id: ReviewID
    title: str
    focus_area: FocusArea
    severity: Severity
    classification: Marking
    description: str
    status: FindingStatus
    for_clearinghouse: bool
    created_by: UserID | None = Field(description="Null for the lab (evaluator identities are not shared).")
    created_at: datetime
    updated_at: datetime
    shared_at: datetime | None
    responses: list[ResponsePublic]


class FindingsPublic(Record):
    data: list[FindingPublic]
    count: int


class EvidencePublic(Record):
    id: EvidenceID
    review_id: ReviewID
    finding_id: FindingID | None
    kind: Literal["file", "eval_log", "eval_summary"]
    filename: str
    content_type: str
    size: int
    sha256: str
    classification: Marking
    summary: dict[str, Any] | None
    uploaded_by: UserID
    created_at: datetime


class EvidenceListPublic(Record):
    data: list[EvidencePublic]
    count: int


class EvalResultsCreate(Body):
    summary: dict[str, Any] = Field(
        description="An eval run summary; `scores` (task -> number) and optional `reference_scores` "
        "(task -> model -> number) become available to the selection engine."
    )
    classification: Marking = Classification.CUI


class OutboxMessagePublic(Record):
    id: OutboxMessageID
    topic: str
    payload: dict[str, Any]
    created_at: datetime
    delivered_at: datetime | None


class OutboxPublic(Record):
    data: list[OutboxMessagePublic]
    count: int


class TickResult(Record):
    closed: list[str]
    reminders: int
