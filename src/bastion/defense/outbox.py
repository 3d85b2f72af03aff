"""The alerts' outbox: delivers due deliveries (``defense_alert_deliveries``), one attempt each per run.

A run (the ``defense.alerts`` periodic job, or ``bastion defend alerts deliver``) first *claims* the due rows
with a lease (a conditional update, so two workers never send the same row at once), then sends each outside
any transaction, then records the outcome in a unit of work of its own, fenced by the claim:

- delivered: done, with the receiver's answer;
- failed: tried again after ``backoff`` (1 min, 2, 4, ... up to the cap), until ``alert_max_attempts``, then
  given up (``failed``, with the last error) and audited; an agency can ``retry`` it after fixing its receiver.

A channel the agency removed (or alerts it disabled) meanwhile is given up at once. The webhook's secret is
decrypted only for the moment of signing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict

from bastion.advisories.lookup import OsvQueries
from bastion.advisories.service import AdvisoryService
from bastion.core.access import Action
from bastion.core.audit import SCHEDULER
from bastion.core.clock import Clock
from bastion.core.crypto import SecretBox, SecretUnreadable
from bastion.core.ids import AlertID, DeliveryID
from bastion.core.principal import Principal
from bastion.core.work import UnitOfWork
from bastion.db import Database
from bastion.defense.alert_models import AlertRow, AlertSettingsRow, DeliveryRow
from bastion.defense.alerts import EVENT, Channel, DeliveryStatus, agency_resource, new_id
from bastion.defense.delivery import Attempt, DeliverySettings, Mail, SmtpSender, WebhookSender, backoff
from bastion.defense.errors import InvalidDefenseInput
from bastion.defense.models import ExposureRow

logger = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
TEST_EVENT = "defense.test"
Describer = Callable[[int], dict[str, Any] | None]
"""What an alert adds about its exposure, read after the exposure's transaction committed."""
BATCH = 100


@dataclass(frozen=True, slots=True)
class DeliveryRun:
    attempted: int = 0
    delivered: int = 0
    retrying: int = 0
    given_up: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class _Claim:
    delivery_id: DeliveryID
    until: datetime


def mail_of(payload: dict[str, Any], recipients: list[str]) -> Mail:
    """The e-mail an alert becomes: what, where, and the ids to look it up with."""
    advisory = payload.get("advisory", {})
    project = payload.get("project", {})
    system = payload.get("system", {})
    purl = payload.get("component", {}).get("purl", "")
    lines = [
        "A new advisory affects one of your systems.",
        "",
        f"Advisory:  {advisory.get('id', '')}",
        f"Summary:   {advisory.get('summary') or '(none)'}",
        f"Severity:  {advisory.get('severity') or 'not scored'}",
        f"In KEV:    {'yes' if advisory.get('kev') else 'no'}",
        f"Component: {purl}",
        f"Project:   {project.get('name', '')} ({project.get('id', '')})",
        f"System:    {system.get('name', '')} ({system.get('id', '')})",
    ]
    if payload.get("ssvc"):
        lines.append(f"SSVC:      {payload['ssvc']}")
    if payload.get("fixed_versions"):
        lines.append(f"Fixed in:  {', '.join(payload['fixed_versions'])}")
    lines += [
        "",
        f"Alert {payload.get('id', '')}, raised {payload.get('raised_at', '')}.",
        "See it with: bastion defend alerts list",
    ]
    return Mail(
        recipients=tuple(recipients),
        subject=f"[Bastion] {advisory.get('id', '')} affects {project.get('name', '')} ({purl})",
        text="\n".join(lines) + "\n",
        message_key=str(payload.get("id", "")),
    )


class ChannelCheck(BaseModel):
    model_config = ConfigDict(frozen=True)

    channel: str
    target: str
    ok: bool
    detail: str


class ChannelChecks(BaseModel):
    model_config = ConfigDict(frozen=True)

    data: list[ChannelCheck]
    ok: bool  # every channel took it


class AlertOutbox:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        uow: UnitOfWork,
        secrets_box: SecretBox,
        settings: DeliverySettings,
        *,
        webhook: WebhookSender | None = None,
        smtp: SmtpSender | None = None,
        describer: Describer | None = None,
    ) -> None:
        self._describer = describer
        self._database = database
        self._clock = clock
        self._uow = uow
        self._box = secrets_box
        self._settings = settings
        self._webhook = webhook or WebhookSender(
            timeout=settings.alert_timeout_seconds, allow_local=settings.alert_webhook_allow_local
        )
        self._smtp = smtp or SmtpSender(settings)

    def describe(self, alert_id: AlertID) -> dict[str, Any] | None:
        """The alert's body with what its exposure shows (severity, KEV, fixed versions, the smallest upgrade,
        SSVC), added once, before its first delivery; every channel and retry then sends the same body."""
        with self._database.read_session() as session:
            alert = session.get(AlertRow, alert_id)
            if alert is None:
                return None
            if alert.payload.get("described") or self._describer is None:
                return dict(alert.payload)
            exposure_id, raised = alert.exposure_id, dict(alert.payload)
        try:
            extra = self._describer(exposure_id) or {}
        except Exception:  # one undescribable alert must not stop every delivery
            logger.exception("alert %s could not be described; it goes out as raised", alert_id)
            return raised
        with self._uow(SCHEDULER, "defense_alert.describe", "defense_alert", alert_id) as work:
            row = work.session.get(AlertRow, alert_id, with_for_update=True)
            assert row is not None  # alerts are never deleted
            if not row.payload.get("described"):
                payload = dict(row.payload)
                for key, value in extra.items():
                    payload[key] = {**payload[key], **value} if isinstance(value, dict) and key in payload else value
                row.payload = {**payload, "described": True}
            return dict(row.payload)

    def send_test(self, actor: Principal) -> ChannelChecks:
        """Send a test alert to each channel the actor's agency set, once, now (nothing is queued or retried):
        how each went, so an agency can check its receiver and its signature check."""
        org = actor.org_id
        with self._uow(actor, "defense_alert.test", "defense_alert_settings", org) as work:
            work.require(
                Action.UPDATE, agency_resource(org), what="alert settings", refusal="alert settings are an agency's own"
            )
            row = work.session.get(AlertSettingsRow, org)
            enabled = row is not None and row.enabled
            url, sealed = (row.webhook_url, row.webhook_secret) if row is not None and enabled else (None, None)
            emails = list(row.emails) if row is not None and enabled else []
        if not (url and sealed) and not emails:
            raise InvalidDefenseInput(
                "the agency has no alert channel to test (or its alerts are disabled)",
                hint="bastion defend alerts configure --webhook-url URL --webhook-secret-file FILE --email ADDRESS",
            )
        now = self._clock.now()
        test_id = DeliveryID(new_id("tst"))
        payload = {"type": TEST_EVENT, "id": test_id, "raised_at": now.isoformat(), "agency": org}
        results: list[ChannelCheck] = []
        if url and sealed:
            body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")
            try:
                attempt = self._webhook.send(
                    url, self._box.decrypt(sealed), body, at=now, event=TEST_EVENT, delivery_id=test_id
                )
            except SecretUnreadable as e:
                attempt = Attempt(False, e.message)
            results.append(ChannelCheck(channel=Channel.WEBHOOK, target=url, ok=attempt.ok, detail=attempt.detail))
        if emails:
            text = f"A test alert from Bastion ({test_id}, {now.isoformat()}): alerts reach this address.\n"
            attempt = self._smtp.send(Mail(tuple(emails), "[Bastion] Test alert", text, test_id))
            results.append(
                ChannelCheck(channel=Channel.EMAIL, target=", ".join(emails), ok=attempt.ok, detail=attempt.detail)
            )
        with self._uow(actor, "defense_alert.test", "defense_alert_settings", org) as work:
            work.record(test_id=test_id, results=[r.model_dump() for r in results])
        return ChannelChecks(data=results, ok=all(r.ok for r in results))

    def deliver_due(self, *, limit: int = BATCH) -> DeliveryRun:
        """One attempt for each due delivery (at most ``limit``); what happened, counted."""
        counts = {"attempted": 0, "delivered": 0, "retrying": 0, "given_up": 0}
        for claim in self._claim(limit):
            outcome = self._deliver(claim)
            if outcome is not None:
                counts["attempted"] += 1
                counts[outcome] += 1
        return DeliveryRun(**counts)

    def _claim(self, limit: int) -> list[_Claim]:
        now = self._clock.now()
        until = now + LEASE
        free = sa.or_(DeliveryRow.claimed_until.is_(None), DeliveryRow.claimed_until < now)
        claims: list[_Claim] = []
        with self._database.session() as session:
            due = session.scalars(
                sa.select(DeliveryRow.id)
                .where(DeliveryRow.status == DeliveryStatus.PENDING, DeliveryRow.next_attempt_at <= now, free)
                .order_by(DeliveryRow.next_attempt_at, DeliveryRow.id)
                .limit(limit)
            ).all()
            for delivery_id in due:
                taken = session.execute(
                    sa.update(DeliveryRow)
                    .where(DeliveryRow.id == delivery_id, DeliveryRow.status == DeliveryStatus.PENDING, free)
                    .values(claimed_until=until)
                    .execution_options(synchronize_session=False)
                )
                if getattr(taken, "rowcount", 0) == 1:
                    claims.append(_Claim(delivery_id, until))
        return claims

    def _deliver(self, claim: _Claim) -> str | None:
        with self._database.read_session() as session:
            row = session.get(DeliveryRow, claim.delivery_id)
            settings = session.get(AlertSettingsRow, row.org_id) if row is not None else None
            if row is None:
                return None
            channel, alert_id, attempts = row.channel, row.alert_id, row.attempts
            url = settings.webhook_url if settings is not None and settings.enabled else None
            sealed = settings.webhook_secret if settings is not None else None
            emails = list(settings.emails) if settings is not None and settings.enabled else []
        payload = self.describe(alert_id)
        if payload is None:
            return None
        now = self._clock.now()
        target, attempt, final = self._send(channel, payload, now, url=url, sealed=sealed, emails=emails)
        return self._record(claim, attempt, target=target, attempts=attempts + 1, final=final)

    def _send(
        self,
        channel: str,
        payload: dict[str, Any],
        now: datetime,
        *,
        url: str | None,
        sealed: str | None,
        emails: list[str],
    ) -> tuple[str, Attempt, bool]:
        """(where it went, how it went, whether no later attempt can do better)."""
        if channel == Channel.WEBHOOK:
            if not url or not sealed:
                return "", Attempt(False, "the agency has no webhook (or disabled its alerts) any more"), True
            try:
                secret = self._box.decrypt(sealed)
            except SecretUnreadable as e:
                return url, Attempt(False, e.message), False
            body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")
            delivery_id = DeliveryID(str(payload.get("id", "")))
            return url, self._webhook.send(url, secret, body, at=now, event=EVENT, delivery_id=delivery_id), False
        if channel == Channel.EMAIL:
            if not emails:
                return "", Attempt(False, "the agency has no alert recipients (or disabled its alerts) any more"), True
            return ", ".join(emails), self._smtp.send(mail_of(payload, emails)), False
        return "", Attempt(False, f"unknown channel {channel!r}"), True

    def _record(self, claim: _Claim, attempt: Attempt, *, target: str, attempts: int, final: bool) -> str | None:
        settings = self._settings
        with self._uow(SCHEDULER, "defense_alert.deliver", "defense_alert_delivery", claim.delivery_id) as work:
            row = work.session.get(DeliveryRow, claim.delivery_id, with_for_update=True)
            if row is None or row.claimed_until != claim.until or row.status != DeliveryStatus.PENDING:
                return None  # the lease ran out and another run took it over
            row.attempts = attempts
            row.target = target
            row.claimed_until = None
            if attempt.ok:
                row.status, row.delivered_at, row.last_error = DeliveryStatus.DELIVERED, work.now, None
                outcome = "delivered"
            elif final or attempts >= settings.alert_max_attempts:
                row.status, row.last_error = DeliveryStatus.FAILED, attempt.detail
                outcome = "given_up"
            else:
                row.last_error = attempt.detail
                row.next_attempt_at = work.now + backoff(
                    attempts,
                    base=timedelta(seconds=settings.alert_retry_base_seconds),
                    cap=timedelta(seconds=settings.alert_retry_cap_seconds),
                )
                outcome = "retrying"
            work.record(
                alert_id=row.alert_id,
                org_id=row.org_id,
                channel=row.channel,
                attempt=attempts,
                outcome=outcome,
                detail=attempt.detail,
            )
            return outcome


def exposure_describer(database: Database, advisories: AdvisoryService, queries: OsvQueries) -> Describer:
    """Describes an alert's exposure with the defense slice's own exposure view (the worklist's facts)."""

    def describe(exposure_id: int) -> dict[str, Any] | None:
        from bastion.defense.exposure import finish, gather

        with database.read_session() as session:
            row = session.get(ExposureRow, exposure_id)
            if row is None:  # withdrawn meanwhile: the alert says what it said when raised
                return None
            gathered = gather(session, [row])
        (view,) = finish(gathered, advisories, queries, database)
        severity = view.severity
        return {
            "advisory": {
                "id": view.advisory_id,
                "aliases": list(view.aliases),
                "summary": view.summary,
                "severity": f"{severity.rating} {severity.score} ({severity.vector})" if severity else None,
                "kev": view.kev is not None,
                "kev_due_date": view.kev.due_date.isoformat() if view.kev and view.kev.due_date else None,
            },
            "component": {"purl": view.purl, "package": view.package, "version": view.version},
            "fixed_versions": list(view.fixed_versions),
            "upgrade_to": view.upgrade_to,
            "ssvc": view.ssvc.decision.value,
        }

    return describe
