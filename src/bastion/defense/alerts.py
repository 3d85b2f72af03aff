"""Alerts: a new exposure found when advisories change (an import, a clearinghouse publication, a KEV update)
raises one alert for its agency, exactly once, and queues its delivery to the agency's webhook and e-mail
recipients in the same transaction (``bastion.defense.outbox`` delivers it).

- *Once*: an alert's ``dedupe_key`` is the SHA-256 of agency, project, component (its purl) and advisory, and is
  unique; importing the same advisory again, or re-matching after it changed, raises nothing new.
- *New*: exposures found by re-matching (``cause == "advisories"``) raise alerts, and so do those a project's
  next SBOM version brings in. A project's first upload is its baseline: the uploader sees it in the answer.
- The alert's body says which advisory, component, project and system; the delivery run adds what the advisory
  says (severity, KEV, fixed versions, SSVC) once it is committed (``bastion.defense.outbox``).
- Each agency's settings say where its alerts go: a webhook (its secret encrypted at rest with the core
  ``SecretBox``, never shown again) and e-mail recipients. An agency reads and changes only its own settings and
  alerts (``core/access/_defense.py``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bastion.core.access import Action, Resource, ResourceKind, not_found
from bastion.core.clock import Clock
from bastion.core.crypto import SecretBox
from bastion.core.fields import RequestBody
from bastion.core.ids import AlertID, DeliveryID, ProjectID, VulnID
from bastion.core.principal import OrgID, Principal
from bastion.core.work import UnitOfWork
from bastion.db import Database
from bastion.defense.alert_models import AlertRow, AlertSettingsRow, DeliveryRow
from bastion.defense.delivery import webhook_url_problem
from bastion.defense.errors import InvalidDefenseInput
from bastion.defense.models import ProjectRow, SystemRow, VersionRow
from bastion.defense.records import NewExposure

EVENT = "defense.exposure.new"
ALERTING_CAUSE = "advisories"
UPLOAD_CAUSE = "upload"
MAX_RECIPIENTS = 20
_EMAIL = re.compile(r"^[^@\s,;<>\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")


class Channel:
    WEBHOOK = "webhook"
    EMAIL = "email"


class DeliveryStatus:
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # given up after the last attempt


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def agency_resource(org_id: OrgID | None) -> Resource:
    """An agency's alert settings, alerts and triage proposals are its inventories' (the same policy)."""
    return Resource(ResourceKind.DEFENSE_INVENTORY, owner_org_id=OrgID(org_id) if org_id else None)


# --- records ------------------------------------------------------------------------------------------------


class AlertSettingsUpdate(RequestBody):
    """Where an agency's alerts go. ``webhook_url`` None removes the webhook; ``webhook_secret`` (at least 16
    characters) is needed with a new webhook and kept when omitted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    webhook_url: str | None = Field(default=None, max_length=2000)
    webhook_secret: str | None = Field(default=None, min_length=16, max_length=200)
    emails: list[str] = Field(default_factory=list, max_length=MAX_RECIPIENTS)

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        if url is None or not url.strip():
            return None
        problem = webhook_url_problem(url.strip())
        if problem:
            raise ValueError(problem)
        return url.strip()

    @field_validator("emails")
    @classmethod
    def _emails(cls, emails: list[str]) -> list[str]:
        cleaned: list[str] = []
        for given in emails:
            address = given.strip()
            if not _EMAIL.match(address):
                raise ValueError(f"{address!r} is not an e-mail address (name@agency.gov)")
            if address.lower() not in (a.lower() for a in cleaned):
                cleaned.append(address)
        return cleaned


class AlertSettingsPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    enabled: bool
    webhook_url: str | None
    webhook_secret_set: bool  # the secret itself is never shown again
    emails: list[str]
    updated_at: datetime | None


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: DeliveryID
    channel: str
    status: str
    attempts: int
    next_attempt_at: datetime | None  # None once delivered or given up
    target: str
    last_error: str | None
    delivered_at: datetime | None


class AlertPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: AlertID
    project_id: ProjectID
    exposure_id: int
    advisory_id: VulnID
    purl: str
    raised_at: datetime
    payload: dict[str, Any]
    deliveries: list[DeliveryPublic]


class AlertsPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    data: list[AlertPublic]
    count: int


# --- raising ------------------------------------------------------------------------------------------------


def dedupe_key(exposure: NewExposure) -> str:
    parts = (exposure.org_id, exposure.project_id, exposure.purl, exposure.advisory_id)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _payload(session: Session, exposures: Sequence[NewExposure]) -> dict[int, dict[str, Any]]:
    project_ids = sorted({e.project_id for e in exposures})
    names = {
        row.id: (row.name, row.system_name, row.system_id)
        for row in session.execute(
            sa.select(ProjectRow.id, ProjectRow.name, ProjectRow.system_id, SystemRow.name.label("system_name"))
            .join(SystemRow, SystemRow.id == ProjectRow.system_id)
            .where(ProjectRow.id.in_(project_ids))
        )
    }
    payloads = {}
    for exposure in exposures:
        project, system, system_id = names.get(exposure.project_id, ("", "", exposure.system_id))
        payloads[exposure.id] = {
            "type": EVENT,
            "agency": exposure.org_id,
            "system": {"id": system_id, "name": system},
            "project": {"id": exposure.project_id, "name": project},
            "version_id": exposure.version_id,
            "exposure_id": exposure.id,
            "component": {"purl": exposure.purl},
            "advisory": {"id": exposure.advisory_id},
        }
    return payloads


@dataclass(frozen=True, slots=True)
class Raised:
    alert_ids: tuple[AlertID, ...]
    deliveries: int


def _alerting(session: Session, exposures: Iterable[NewExposure]) -> list[NewExposure]:
    """The exposures that alert: found by re-matching, or brought in by a project's *next* version (its first
    upload is the baseline the uploader sees in its answer, not news)."""
    found = [e for e in exposures if e.cause in (ALERTING_CAUSE, UPLOAD_CAUSE)]
    uploaded = sorted({e.version_id for e in found if e.cause == UPLOAD_CAUSE})
    later = set(
        session.scalars(sa.select(VersionRow.id).where(VersionRow.id.in_(uploaded), VersionRow.number > 1))
        if uploaded
        else ()
    )
    return [e for e in found if e.cause == ALERTING_CAUSE or e.version_id in later]


def raise_alerts(session: Session, exposures: Iterable[NewExposure], *, now: datetime) -> Raised:
    """Raise one alert per new exposure that has none yet, and queue its deliveries to the channels its agency
    has set, in ``session``'s transaction. Safe to call again with the same exposures: nothing is raised
    twice (nor for the same component and advisory in the same project, whatever exposure row found it)."""
    fresh = _alerting(session, exposures)
    if not fresh:
        return Raised((), 0)
    keys = {e.id: dedupe_key(e) for e in fresh}
    taken: set[str] = set()
    values = sorted(set(keys.values()))
    for start in range(0, len(values), 500):
        taken.update(
            session.scalars(sa.select(AlertRow.dedupe_key).where(AlertRow.dedupe_key.in_(values[start : start + 500])))
        )
    fresh = [e for e in fresh if keys[e.id] not in taken]
    if not fresh:
        return Raised((), 0)
    payloads = _payload(session, fresh)
    settings = {
        row.org_id: row
        for row in session.scalars(
            sa.select(AlertSettingsRow).where(AlertSettingsRow.org_id.in_(sorted({e.org_id for e in fresh})))
        )
    }
    raised: list[AlertID] = []
    deliveries = 0
    for exposure in fresh:
        alert_id = AlertID(new_id("alr"))
        payload = {"id": alert_id, "raised_at": now.isoformat(), **payloads[exposure.id]}
        try:
            with session.begin_nested():
                session.add(
                    AlertRow(
                        id=alert_id,
                        org_id=exposure.org_id,
                        dedupe_key=keys[exposure.id],
                        project_id=exposure.project_id,
                        exposure_id=exposure.id,
                        advisory_id=exposure.advisory_id,
                        purl=exposure.purl,
                        payload=payload,
                        raised_at=now,
                    )
                )
                session.flush()
                for channel in _channels(settings.get(exposure.org_id)):
                    session.add(
                        DeliveryRow(
                            id=new_id("dlv"),
                            alert_id=alert_id,
                            org_id=exposure.org_id,
                            channel=channel,
                            status=DeliveryStatus.PENDING,
                            attempts=0,
                            next_attempt_at=now,
                            target="",
                            created_at=now,
                        )
                    )
                    deliveries += 1
        except IntegrityError:  # raised concurrently by another transaction (or a duplicate in this batch)
            continue
        raised.append(alert_id)
    return Raised(tuple(raised), deliveries)


def _channels(settings: AlertSettingsRow | None) -> list[str]:
    if settings is None or not settings.enabled:
        return []
    channels = []
    if settings.webhook_url and settings.webhook_secret:
        channels.append(Channel.WEBHOOK)
    if settings.emails:
        channels.append(Channel.EMAIL)
    return channels


class AlertRaiser:
    """The listener ``Defense.subscribe`` takes: raises alerts in the transaction that found the exposures."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def __call__(self, session: Session, exposures: Sequence[NewExposure]) -> None:
        raise_alerts(session, exposures, now=self._clock.now())


# --- the service: settings and reads --------------------------------------------------------------------------


def _delivery_public(row: DeliveryRow) -> DeliveryPublic:
    return DeliveryPublic(
        id=row.id,
        channel=row.channel,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at if row.status == DeliveryStatus.PENDING else None,
        target=row.target,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
    )


def _settings_public(row: AlertSettingsRow | None) -> AlertSettingsPublic:
    if row is None:
        return AlertSettingsPublic(
            enabled=False, webhook_url=None, webhook_secret_set=False, emails=[], updated_at=None
        )
    return AlertSettingsPublic(
        enabled=row.enabled,
        webhook_url=row.webhook_url,
        webhook_secret_set=bool(row.webhook_secret),
        emails=list(row.emails),
        updated_at=row.updated_at,
    )


class AlertService:
    """An agency's alert settings and its alerts (with each delivery's state)."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        uow: UnitOfWork,
        secrets_box: SecretBox,
    ) -> None:
        self._database = database
        self._clock = clock
        self._uow = uow
        self._box = secrets_box

    def settings(self, actor: Principal) -> AlertSettingsPublic:
        with self._uow(actor, "defense_alert_settings.read", "defense_alert_settings", actor.org_id) as work:
            work.require(
                Action.READ,
                agency_resource(actor.org_id),
                what="alert settings",
                refusal="alert settings are an agency's own",
            )
            return _settings_public(work.session.get(AlertSettingsRow, actor.org_id))

    def configure(self, actor: Principal, update: AlertSettingsUpdate) -> AlertSettingsPublic:
        with self._uow(actor, "defense_alert_settings.update", "defense_alert_settings", actor.org_id) as work:
            work.require(
                Action.UPDATE,
                agency_resource(actor.org_id),
                what="alert settings",
                refusal="alert settings are an agency's own",
            )
            row = work.session.get(AlertSettingsRow, actor.org_id, with_for_update=True)
            if row is None:
                row = AlertSettingsRow(
                    org_id=actor.org_id, enabled=update.enabled, emails=[], updated_by="", updated_at=work.now
                )
                work.session.add(row)
            secret = row.webhook_secret
            if update.webhook_secret is not None:
                secret = self._box.encrypt(update.webhook_secret)
            if update.webhook_url is None:
                secret = None
            elif secret is None:
                raise InvalidDefenseInput(
                    "a webhook needs a secret: its bodies are signed with it",
                    hint="send webhook_secret (at least 16 random characters; keep a copy for your receiver)",
                    details={"field": "webhook_secret"},
                )
            old = {"enabled": row.enabled, "webhook_url": row.webhook_url, "emails": list(row.emails)}
            row.enabled = update.enabled
            row.webhook_url = update.webhook_url
            row.webhook_secret = secret
            row.emails = list(update.emails)
            row.updated_by = actor.user_id
            row.updated_at = work.now
            work.record(
                old=old,
                new={"enabled": row.enabled, "webhook_url": row.webhook_url, "emails": list(row.emails)},
                secret_changed=update.webhook_secret is not None,
            )
            return _settings_public(row)

    def list(self, actor: Principal, *, project_id: ProjectID | None = None, limit: int = 200) -> AlertsPublic:
        with self._uow(actor, "defense_alert.list", "defense_alert", None) as work:
            work.require(
                Action.READ, agency_resource(actor.org_id), what="alerts", refusal="alerts are an agency's own"
            )
            query = sa.select(AlertRow).where(AlertRow.org_id == actor.org_id)
            if project_id:
                query = query.where(AlertRow.project_id == project_id)
            rows = [
                r
                for r in work.session.scalars(query.order_by(AlertRow.raised_at.desc(), AlertRow.id).limit(limit))
                if work.allowed(Action.READ, agency_resource(r.org_id))
            ]
            deliveries = _deliveries(work.session, [r.id for r in rows])
            work.record(count=len(rows))
            return AlertsPublic(data=[_alert_public(r, deliveries.get(r.id, [])) for r in rows], count=len(rows))

    def get(self, actor: Principal, alert_id: AlertID) -> AlertPublic:
        with self._uow(actor, "defense_alert.read", "defense_alert", alert_id) as work:
            row = work.session.get(AlertRow, alert_id)
            if row is None:
                raise not_found(f"alert {alert_id}")
            work.require(Action.READ, agency_resource(row.org_id), what=f"alert {alert_id}")
            work.record()
            return _alert_public(row, _deliveries(work.session, [row.id]).get(row.id, []))

    def retry(self, actor: Principal, delivery_id: DeliveryID) -> DeliveryPublic:
        """Try a given-up delivery again (after the agency fixed its receiver): attempts start over."""
        with self._uow(actor, "defense_alert.retry", "defense_alert_delivery", delivery_id) as work:
            row = work.session.get(DeliveryRow, delivery_id, with_for_update=True)
            if row is None:
                raise not_found(f"delivery {delivery_id}")
            work.require(Action.UPDATE, agency_resource(row.org_id), what=f"delivery {delivery_id}")
            if row.status == DeliveryStatus.FAILED:
                row.status = DeliveryStatus.PENDING
                row.attempts = 0
                row.next_attempt_at = work.now
                row.claimed_until = None
            work.record(channel=row.channel, alert_id=row.alert_id)
            return _delivery_public(row)


def _deliveries(session: Session, alert_ids: list[str]) -> dict[str, list[DeliveryPublic]]:
    found: dict[str, list[DeliveryPublic]] = {}
    if not alert_ids:
        return found
    for row in session.scalars(
        sa.select(DeliveryRow).where(DeliveryRow.alert_id.in_(alert_ids)).order_by(DeliveryRow.channel)
    ):
        found.setdefault(row.alert_id, []).append(_delivery_public(row))
    return found


def _alert_public(row: AlertRow, deliveries: list[DeliveryPublic]) -> AlertPublic:
    return AlertPublic(
        id=row.id,
        project_id=row.project_id,
        exposure_id=row.exposure_id,
        advisory_id=row.advisory_id,
        purl=row.purl,
        raised_at=row.raised_at,
        payload=row.payload,
        deliveries=deliveries,
    )
