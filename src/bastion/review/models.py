"""Tables of the review slice. The migration ``0003_review`` creates these (``0010_review_disclosure`` moved
evaluation scores off submissions, into the evidence they came from, and added ``proposed_by_org``).

There is deliberately no column for approval, licensing or a blocked release: Bastion records and supports
a voluntary review, and a lab's release always closes the review (see ``window.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

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
from bastion.core.principal import OrgID, UserID
from bastion.db.base import Base, EnumText, UTCDateTime
from bastion.review.lifecycle import FindingStatus, SelectionStatus, SubmissionStatus


class SubmissionRow(Base):
    __tablename__ = "review_submissions"

    id: Mapped[SubmissionID] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[OrgID] = mapped_column(String(40), ForeignKey("organisations.id"), index=True)
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(100))
    developer: Mapped[str] = mapped_column(String(200))
    training_compute_flop: Mapped[float] = mapped_column(Float)
    modalities: Mapped[list[str]] = mapped_column(JSON)
    intended_release_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    access_endpoint: Mapped[str | None] = mapped_column(String(500), nullable=True)
    access_credential_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    documentation: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    capability_tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    classification: Mapped[int] = mapped_column(Integer)
    status: Mapped[SubmissionStatus] = mapped_column(EnumText(SubmissionStatus, 20))
    selection_status: Mapped[SelectionStatus] = mapped_column(EnumText(SelectionStatus, 20))
    created_by: Mapped[UserID] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NominationRow(Base):
    __tablename__ = "review_nominations"
    __table_args__ = (UniqueConstraint("submission_id", "agency_org_id"),)

    id: Mapped[NominationID] = mapped_column(String(40), primary_key=True)
    submission_id: Mapped[SubmissionID] = mapped_column(String(40), ForeignKey("review_submissions.id"), index=True)
    agency_org_id: Mapped[OrgID] = mapped_column(String(40))
    agency_name: Mapped[str] = mapped_column(String(200))
    nominated_by: Mapped[UserID] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SelectionDecisionRow(Base):
    __tablename__ = "review_selection_decisions"

    id: Mapped[SelectionDecisionID] = mapped_column(String(40), primary_key=True)
    submission_id: Mapped[SubmissionID] = mapped_column(String(40), ForeignKey("review_submissions.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per submission; the highest is current
    selected: Mapped[bool] = mapped_column(Boolean)
    policy_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    fired_rules: Mapped[list[str]] = mapped_column(JSON)
    rule_results: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    manual: Mapped[bool] = mapped_column(Boolean)
    override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[UserID | None] = mapped_column(String(40), nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReviewRow(Base):
    __tablename__ = "review_reviews"

    id: Mapped[ReviewID] = mapped_column(String(40), primary_key=True)
    submission_id: Mapped[SubmissionID] = mapped_column(String(40), ForeignKey("review_submissions.id"), unique=True)
    org_id: Mapped[OrgID] = mapped_column(String(40), index=True)  # the submitting lab (denormalised)
    classification: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    window_days: Mapped[int] = mapped_column(Integer)
    close_at_release: Mapped[bool] = mapped_column(Boolean)
    extension_days: Mapped[int] = mapped_column(Integer)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    close_reason: Mapped[str | None] = mapped_column(String(30), nullable=True)
    opened_by: Mapped[UserID] = mapped_column(String(40))


class ExtensionRow(Base):
    __tablename__ = "review_extensions"

    id: Mapped[ExtensionID] = mapped_column(String(40), primary_key=True)
    review_id: Mapped[ReviewID] = mapped_column(String(40), ForeignKey("review_reviews.id"), index=True)
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # proposed | consented | declined
    proposed_by: Mapped[UserID] = mapped_column(String(40))
    proposed_by_org: Mapped[OrgID | None] = mapped_column(String(40), nullable=True)  # 0010_review_disclosure
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_by: Mapped[UserID | None] = mapped_column(String(40), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AssignmentRow(Base):
    __tablename__ = "review_assignments"
    __table_args__ = (UniqueConstraint("review_id", "user_id"),)

    id: Mapped[AssignmentID] = mapped_column(String(40), primary_key=True)
    review_id: Mapped[ReviewID] = mapped_column(String(40), ForeignKey("review_reviews.id"), index=True)
    user_id: Mapped[UserID] = mapped_column(String(40), ForeignKey("users.id"))
    focus_areas: Mapped[list[str]] = mapped_column(JSON)
    assigned_by: Mapped[UserID] = mapped_column(String(40))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FindingRow(Base):
    __tablename__ = "review_findings"

    id: Mapped[FindingID] = mapped_column(String(40), primary_key=True)
    review_id: Mapped[ReviewID] = mapped_column(String(40), ForeignKey("review_reviews.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    focus_area: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20))
    classification: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[FindingStatus] = mapped_column(EnumText(FindingStatus, 20))
    for_clearinghouse: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[UserID] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class FindingResponseRow(Base):
    __tablename__ = "review_finding_responses"

    id: Mapped[ResponseID] = mapped_column(String(40), primary_key=True)
    finding_id: Mapped[FindingID] = mapped_column(String(40), ForeignKey("review_findings.id"), index=True)
    author_id: Mapped[UserID] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EvidenceRow(Base):
    __tablename__ = "review_evidence"

    id: Mapped[EvidenceID] = mapped_column(String(40), primary_key=True)
    review_id: Mapped[ReviewID] = mapped_column(String(40), ForeignKey("review_reviews.id"), index=True)
    finding_id: Mapped[FindingID | None] = mapped_column(String(40), ForeignKey("review_findings.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))  # file | eval_log | eval_summary
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_path: Mapped[str] = mapped_column(String(500))  # relative to data_dir
    classification: Mapped[int] = mapped_column(Integer)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    uploaded_by: Mapped[UserID] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxRow(Base):
    """Messages for delivery adapters (email, webhook) to pick up; ``dedupe_key`` makes enqueueing
    idempotent: the same reminder is never enqueued twice."""

    __tablename__ = "review_outbox"

    id: Mapped[OutboxMessageID] = mapped_column(String(40), primary_key=True)
    topic: Mapped[str] = mapped_column(String(60), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
