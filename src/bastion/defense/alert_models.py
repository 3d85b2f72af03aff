"""Tables of the defense slice's alerts and triage assistant. The migration ``0009_defense_alerts`` creates
exactly these.

- *Alert settings*, one row per agency: where its alerts go (a webhook, with its secret encrypted at rest by the
  core ``SecretBox``, and e-mail recipients).
- *Alerts*: one per new exposure, raised once (``dedupe_key`` is unique: agency, project, package, advisory).
- *Deliveries*: the outbox, one row per alert and channel, written in the transaction that raises the alert;
  the delivery tick sends due rows, retries failures with exponential backoff and gives up after a number of
  attempts, recording every outcome.
- *Triage proposals*: what the AI triage assistant proposed for one exposure, with the model, the SHA-256 of its
  prompt and its inputs; nothing is applied until a person confirms.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bastion.core.ids import AlertID, DeliveryID, ProjectID, TriageProposalID, VexStatementID, VulnID
from bastion.core.principal import OrgID
from bastion.db.base import Base, UTCDateTime


class AlertSettingsRow(Base):
    __tablename__ = "defense_alert_settings"

    org_id: Mapped[OrgID] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    webhook_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    webhook_secret: Mapped[str | None] = mapped_column(Text, nullable=True)  # SecretBox ciphertext
    emails: Mapped[list[str]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertRow(Base):
    __tablename__ = "defense_alerts"

    id: Mapped[AlertID] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[OrgID] = mapped_column(String(40), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of agency|project|package|advisory
    project_id: Mapped[ProjectID] = mapped_column(String(40), index=True)
    exposure_id: Mapped[int] = mapped_column(Integer, index=True)
    advisory_id: Mapped[VulnID] = mapped_column(String(255))
    purl: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # the body webhooks receive
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class DeliveryRow(Base):
    __tablename__ = "defense_alert_deliveries"
    __table_args__ = (UniqueConstraint("alert_id", "channel"),)

    id: Mapped[DeliveryID] = mapped_column(String(40), primary_key=True)
    alert_id: Mapped[AlertID] = mapped_column(String(40), ForeignKey("defense_alerts.id"), index=True)
    org_id: Mapped[OrgID] = mapped_column(String(40), index=True)
    channel: Mapped[str] = mapped_column(String(20))  # webhook | email
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    target: Mapped[str] = mapped_column(Text, default="")  # where the last attempt went
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TriageProposalRow(Base):
    __tablename__ = "defense_triage_proposals"

    id: Mapped[TriageProposalID] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[OrgID] = mapped_column(String(40), index=True)
    exposure_id: Mapped[int] = mapped_column(Integer, index=True)
    project_id: Mapped[ProjectID] = mapped_column(String(40), index=True)
    advisory_id: Mapped[VulnID] = mapped_column(String(255))
    purl: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(200))
    prompt_sha256: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    answer: Mapped[str] = mapped_column(Text)  # the model's raw answer
    proposal: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # None: the answer was unusable
    problem: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # proposed | invalid | confirmed | rejected
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    vex_id: Mapped[VexStatementID | None] = mapped_column(
        String(40), nullable=True
    )  # the VEX decision a confirmation made
