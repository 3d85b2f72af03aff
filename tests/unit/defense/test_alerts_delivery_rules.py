"""The pure rules of alerts: the key that raises each once, the backoff schedule, the signature, what a webhook
URL and a recipient may be, what an alert e-mail says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bastion.defense.alerts import AlertSettingsUpdate, dedupe_key
from bastion.defense.delivery import backoff, sign, verify_signature, webhook_url_problem
from bastion.defense.outbox import mail_of
from bastion.defense.records import NewExposure

MINUTE = timedelta(minutes=1)


def test_the_wait_doubles_after_each_failure_up_to_the_cap() -> None:
    waits = [backoff(n, base=MINUTE, cap=timedelta(minutes=10)) for n in range(7)]
    assert waits == [timedelta(0), MINUTE, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE, 10 * MINUTE, 10 * MINUTE]
    assert backoff(10_000, base=MINUTE, cap=timedelta(days=1)) == timedelta(days=1)


def test_the_signature_covers_the_timestamp_and_the_body() -> None:
    at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    stamp = int(at.timestamp())
    signature = sign("s3cret", stamp, b'{"a":1}')
    assert signature.startswith("v1=") and len(signature) == 3 + 64
    check = {"body": b'{"a":1}', "timestamp": str(stamp), "signature": signature, "now": at}
    assert verify_signature("s3cret", **check)  # type: ignore[arg-type]
    assert not verify_signature("other", **check)  # type: ignore[arg-type]
    assert not verify_signature("s3cret", **{**check, "body": b'{"a":2}'})  # type: ignore[arg-type]
    assert not verify_signature("s3cret", **{**check, "timestamp": str(stamp + 1)})  # type: ignore[arg-type]
    assert not verify_signature("s3cret", **{**check, "now": at + timedelta(minutes=6)})  # type: ignore[arg-type]
    assert not verify_signature("s3cret", **{**check, "timestamp": None})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://soc.treasury.example/hooks/bastion", None),
        ("http://10.0.0.5:8080/hook", None),
        ("ftp://soc.example/hook", "starts with https://"),
        ("https:///path", "names a host"),
        ("https://user:pw@soc.example/hook", "carries no credentials"),
        ("https://soc.example/hook#x", "no #fragment"),
    ],
)
def test_what_a_webhook_url_may_be(url: str, problem: str | None) -> None:
    found = webhook_url_problem(url)
    assert (found is None) if problem is None else (found is not None and problem in found)


def _exposure(**change: object) -> NewExposure:
    fields: dict[str, object] = {
        "id": 7,
        "org_id": "org_treasury",
        "system_id": "sys_1",
        "project_id": "prj_1",
        "version_id": "ver_1",
        "purl": "pkg:pypi/jinja2@2.10",
        "advisory_id": "GHSA-1",
        "cause": "advisories",
    }
    return NewExposure.model_validate({**fields, **change})


def test_an_alert_is_keyed_by_agency_project_component_and_advisory_never_by_exposure_row() -> None:
    key = dedupe_key(_exposure())
    assert key == dedupe_key(_exposure(id=8, version_id="ver_2", system_id="sys_2"))  # found again: same alert
    for other in (
        {"org_id": "org_cisa"},
        {"project_id": "prj_2"},
        {"purl": "pkg:pypi/jinja2@2.11"},
        {"advisory_id": "GHSA-2"},
    ):
        assert dedupe_key(_exposure(**other)) != key


def test_recipients_are_checked_and_each_kept_once() -> None:
    update = AlertSettingsUpdate(emails=[" soc@treasury.gov ", "SOC@treasury.gov", "oncall@treasury.gov"])
    assert update.emails == ["soc@treasury.gov", "oncall@treasury.gov"]
    for bad in ("soc", "soc@", "@treasury.gov", "a b@treasury.gov", "soc@treasury", "x@y.gov, z@y.gov"):
        with pytest.raises(ValueError, match="not an e-mail address"):
            AlertSettingsUpdate(emails=[bad])
    with pytest.raises(ValueError, match="NUL"):
        AlertSettingsUpdate(webhook_url="https://soc.example/\x00")


def test_an_alert_mail_says_what_where_and_how_to_look_it_up() -> None:
    payload = {
        "id": "alr_1",
        "raised_at": "2026-11-02T09:00:00+00:00",
        "advisory": {"id": "GHSA-1", "summary": "Sandbox escape", "severity": "Critical 9.8", "kev": True},
        "component": {"purl": "pkg:pypi/jinja2@2.10"},
        "project": {"id": "prj_1", "name": "api"},
        "system": {"id": "sys_1", "name": "Payments"},
        "ssvc": "Act",
        "fixed_versions": ["2.10.1"],
    }
    mail = mail_of(payload, ["soc@treasury.gov"])
    assert mail.subject == "[Bastion] GHSA-1 affects api (pkg:pypi/jinja2@2.10)" and mail.message_key == "alr_1"
    for line in ("Severity:  Critical 9.8", "In KEV:    yes", "System:    Payments (sys_1)", "SSVC:      Act",
                 "Fixed in:  2.10.1", "Alert alr_1"):  # fmt: skip
        assert line in mail.text
