"""Alerts, end to end: importing one new advisory that affects an agency's inventory raises exactly one alert,
which reaches the agency's real webhook receiver (signature verified) and a real SMTP server (aiosmtpd);
importing it again raises none. Failed deliveries are retried with backoff, given up after the last attempt
and recorded; the agency can retry them. Each agency sees only its own settings and alerts."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bastion.container import Container
from bastion.core.clock import ManualClock
from bastion.core.errors import InvalidInput, NotFound
from bastion.core.principal import Principal
from bastion.defense.alert_models import AlertSettingsRow
from bastion.defense.alerts import AlertSettingsUpdate
from bastion.defense.outbox import DeliveryRun
from bastion.defense.records import MissionImpact, ProjectCreate, SystemCreate, SystemExposure
from bastion.runtime import Runtime
from tests.factories import verify_audit
from tests.integration.defense import fixtures, test_delivery
from tests.integration.defense.fixtures import Agencies
from tests.integration.defense.support import REQUIREMENTS, cyclonedx_py
from tests.integration.defense.test_delivery import SECRET, MailSink, WebhookReceiver

agencies, webhook, smtp = fixtures.agencies, test_delivery.webhook, test_delivery.smtp  # the shared fixtures

ADVISORY_ID = "BASTION-TEST-2026-0001"


def advisory(modified: str = "2026-11-02T08:00:00Z", fixed: str = "2.11.3") -> dict[str, Any]:
    return {
        "schema_version": "1.6.0",
        "id": ADVISORY_ID,
        "modified": modified,
        "published": "2026-11-02T08:00:00Z",
        "aliases": ["CVE-2026-99901"],
        "summary": "Template sandbox escape in Jinja2",
        "details": "The sandboxed environment lets templates reach str.format_map and escape the sandbox.",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "jinja2", "purl": "pkg:pypi/jinja2"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
            }
        ],
    }


def import_advisory(container: Container, tmp: Path, document: dict[str, Any]) -> None:
    folder = tmp / f"feed-{document['modified'].replace(':', '')}"
    folder.mkdir(exist_ok=True)
    (folder / f"{document['id']}.json").write_text(json.dumps(document))
    report = container.advisory_importer.import_sources([str(folder)])
    assert report.failed == 0, report.as_dict()


_SBOMS: dict[str, bytes] = {}


def sbom(requirements: str, tmp: Path) -> bytes:
    """An SBOM made by the real cyclonedx-py (once per requirements in a test run: it takes seconds)."""
    if requirements not in _SBOMS:
        folder = tmp / f"sbom-{len(_SBOMS)}"
        folder.mkdir()
        _SBOMS[requirements] = cyclonedx_py(requirements, folder)
    return _SBOMS[requirements]


def inventory(container: Container, who: Principal, tmp: Path, requirements: str, *, name: str = "Payments") -> str:
    defense = container.defense
    system = defense.create_system(
        who, SystemCreate(name=name, exposure=SystemExposure.OPEN, mission_impact=MissionImpact.HIGH)
    )
    project = defense.create_project(who, system.id, ProjectCreate(name="api"))
    defense.upload(who, project.id, sbom(requirements, tmp), "bom.json", label="1.0")
    return project.id


def configure(runtime: Runtime, **settings: Any) -> None:
    """The deployment's settings (read when the container first builds the outbox)."""
    runtime.settings = runtime.settings.model_copy(update=settings)


@pytest.fixture
def mail(smtp: MailSink, runtime: Runtime) -> MailSink:
    """The deployment's SMTP settings point at the real local server."""
    configure(runtime, smtp_host=smtp.host, smtp_port=smtp.port, smtp_sender="alerts@bastion.test")
    return smtp


def test_one_new_advisory_raises_exactly_one_alert_that_reaches_the_webhook_and_smtp(
    container: Container,
    agencies: Agencies,
    webhook: WebhookReceiver,
    mail: MailSink,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    treasury, energy = agencies.principals["treasury"], agencies.principals["energy"]
    project = inventory(container, treasury, tmp_path, REQUIREMENTS)
    inventory(container, energy, tmp_path, "requests==2.19.1\n", name="Grid")  # no jinja2: not affected
    alerts = container.defense_alerts
    alerts.configure(
        treasury,
        AlertSettingsUpdate(webhook_url=webhook.url, webhook_secret=SECRET, emails=["soc@treasury.example"]),
    )
    assert alerts.list(treasury).count == 0

    import_advisory(container, tmp_path, advisory())

    (alert,) = alerts.list(treasury).data
    assert (alert.project_id, alert.advisory_id, alert.purl) == (project, ADVISORY_ID, "pkg:pypi/jinja2@2.10")
    assert sorted((d.channel, d.status) for d in alert.deliveries) == [("email", "pending"), ("webhook", "pending")]
    assert alerts.list(energy).count == 0

    webhook.now = clock.now()
    assert container.alert_outbox.deliver_due() == DeliveryRun(attempted=2, delivered=2)

    (received,) = webhook.received
    assert received.signature_ok
    body = received.json()
    assert body["id"] == alert.id and body["type"] == "defense.exposure.new"
    assert body["advisory"]["id"] == ADVISORY_ID and body["advisory"]["summary"] == "Template sandbox escape in Jinja2"
    assert body["advisory"]["severity"].startswith("Critical 9.8") and body["advisory"]["kev"] is False
    assert body["component"]["purl"] == "pkg:pypi/jinja2@2.10" and body["fixed_versions"] == ["2.11.3"]
    assert body["project"] == {"id": project, "name": "api"} and body["ssvc"] in ("Act", "Attend", "Track*", "Track")
    ((recipients, message),) = mail.messages
    assert recipients == ["soc@treasury.example"]
    assert message["Subject"] == f"[Bastion] {ADVISORY_ID} affects api (pkg:pypi/jinja2@2.10)"
    assert "Template sandbox escape in Jinja2" in message.get_payload()
    delivered = alerts.get(treasury, alert.id)
    assert [(d.status, d.attempts) for d in delivered.deliveries] == [("delivered", 1), ("delivered", 1)]

    # the same advisory again, and a corrected version of it: no new alert, nothing more delivered
    import_advisory(container, tmp_path, advisory())
    import_advisory(container, tmp_path, advisory(modified="2026-11-03T08:00:00Z", fixed="2.11.4"))
    assert alerts.list(treasury).count == 1
    assert container.alert_outbox.deliver_due() == DeliveryRun()
    assert len(webhook.received) == 1 and len(mail.messages) == 1
    assert verify_audit(container.runtime).ok


def test_a_failing_webhook_is_retried_with_backoff_then_given_up_and_can_be_retried(
    container: Container,
    agencies: Agencies,
    webhook: WebhookReceiver,
    clock: ManualClock,
    tmp_path: Path,
    runtime: Runtime,
) -> None:
    configure(runtime, alert_max_attempts=3, alert_retry_base_seconds=60)
    treasury = agencies.principals["treasury"]
    inventory(container, treasury, tmp_path, REQUIREMENTS)
    container.defense_alerts.configure(treasury, AlertSettingsUpdate(webhook_url=webhook.url, webhook_secret=SECRET))
    import_advisory(container, tmp_path, advisory())
    outbox = container.alert_outbox
    webhook.script = [500, 503, 502]

    def run() -> DeliveryRun:
        webhook.now = clock.now()
        return outbox.deliver_due()

    assert run() == DeliveryRun(attempted=1, retrying=1)
    assert run() == DeliveryRun()  # not due before its backoff
    clock.advance(timedelta(seconds=60))
    assert run() == DeliveryRun(attempted=1, retrying=1)
    clock.advance(timedelta(seconds=119))
    assert run() == DeliveryRun()  # the second wait is twice the first
    clock.advance(timedelta(seconds=1))
    assert run() == DeliveryRun(attempted=1, given_up=1)
    clock.advance(timedelta(days=1))
    assert run() == DeliveryRun()  # given up: never tried again on its own

    (alert,) = container.defense_alerts.list(treasury).data
    (delivery,) = alert.deliveries
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 3, "HTTP 502: try later")
    assert delivery.target == webhook.url and delivery.next_attempt_at is None
    assert [r.signature_ok for r in webhook.received] == [True, True, True]
    bodies = {r.body for r in webhook.received}
    assert len(bodies) == 1  # every attempt sends the same body (the alert's id lets a receiver drop repeats)

    # the agency fixed its receiver and asks again
    energy = agencies.principals["energy"]
    with pytest.raises(NotFound):
        container.defense_alerts.retry(energy, delivery.id)
    assert container.defense_alerts.retry(treasury, delivery.id).status == "pending"
    assert run() == DeliveryRun(attempted=1, delivered=1)
    assert container.defense_alerts.get(treasury, alert.id).deliveries[0].status == "delivered"
    assert verify_audit(container.runtime).ok


def test_a_first_upload_is_a_baseline_and_a_next_version_bringing_a_flaw_in_alerts(
    container: Container, agencies: Agencies, tmp_path: Path
) -> None:
    treasury = agencies.principals["treasury"]
    import_advisory(container, tmp_path, advisory())
    project = inventory(container, treasury, tmp_path, REQUIREMENTS)
    alerts = container.defense_alerts
    assert container.defense.exposures(treasury, project_id=project)
    assert alerts.list(treasury).count == 0  # the uploader sees these in its answer and worklist
    upload = container.defense.upload
    upload(treasury, project, sbom(REQUIREMENTS, tmp_path), "bom.json", label="2")
    assert alerts.list(treasury).count == 0  # carried over from the first version: not new
    upload(treasury, project, sbom("requests==2.19.1\n", tmp_path), "bom.json", label="3")
    assert alerts.list(treasury).count == 0  # jinja2 removed
    upload(treasury, project, sbom(REQUIREMENTS, tmp_path), "bom.json", label="4")
    (alert,) = alerts.list(treasury).data  # jinja2 is back, and affected: that is news
    assert alert.purl == "pkg:pypi/jinja2@2.10" and alert.deliveries == []  # no channels set: recorded only


def test_settings_are_validated_the_secret_is_encrypted_and_each_agency_sees_only_its_own(
    container: Container, agencies: Agencies
) -> None:
    treasury, energy = agencies.principals["treasury"], agencies.principals["energy"]
    alerts = container.defense_alerts
    with pytest.raises(InvalidInput, match="needs a secret"):
        alerts.configure(treasury, AlertSettingsUpdate(webhook_url="https://soc.treasury.example/hook"))
    saved = alerts.configure(
        treasury,
        AlertSettingsUpdate(
            webhook_url="https://soc.treasury.example/hook", webhook_secret=SECRET, emails=["SOC@treasury.example"]
        ),
    )
    assert saved.webhook_secret_set and saved.emails == ["SOC@treasury.example"]
    assert "secret" not in saved.model_dump_json().replace("webhook_secret_set", "")
    kept = alerts.configure(
        treasury, AlertSettingsUpdate(webhook_url="https://soc.treasury.example/v2", emails=["soc@treasury.example"])
    )
    assert kept.webhook_secret_set and kept.webhook_url == "https://soc.treasury.example/v2"  # secret kept
    with container.runtime.database.read_session() as session:
        row = session.get(AlertSettingsRow, treasury.org_id)
        assert row is not None and row.webhook_secret and SECRET not in row.webhook_secret
        assert container.secrets.decrypt(row.webhook_secret) == SECRET
    assert alerts.settings(energy).webhook_url is None and not alerts.settings(energy).enabled
    with pytest.raises(ValueError, match="not an e-mail address"):
        AlertSettingsUpdate(emails=["soc at treasury"])
    with pytest.raises(ValueError, match="carries no credentials"):
        AlertSettingsUpdate(webhook_url="https://u:p@soc.example/hook", webhook_secret=SECRET)
    admin = agencies.principals["admin"]
    with pytest.raises(Exception, match="agency"):
        alerts.configure(admin, AlertSettingsUpdate())
