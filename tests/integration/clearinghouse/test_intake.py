"""Intake through the API: idempotency, limits, bad input, AI tools validated before anyone reads them, SARIF
and OSV uploads, known advisories. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from bastion.advisories.importer import AdvisoryImporter
from bastion.clearinghouse._base import Limits
from bastion.clearinghouse.errors import InvalidReport
from bastion.clearinghouse.models import ReportRow
from bastion.clearinghouse.schemas import ReportSubmission
from bastion.clearinghouse.service import Clearinghouse
from bastion.container import Container
from bastion.core.clock import ManualClock
from tests.factories import principal_for
from tests.integration.clearinghouse.conftest import ok, run_jobs
from tests.integration.clearinghouse.support import Cast, recparse_report

REPORTS = "/api/clearinghouse/reports"


def _count(container: Container) -> int:
    with container.runtime.database.read_session() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(ReportRow)) or 0)


def test_the_same_client_key_returns_the_first_acknowledgement(client: TestClient, cast: Cast, tmp_path: Path) -> None:
    body = {"client_key": "k-1", "report": recparse_report(tmp_path, reproducer=None, fixed_target=None)}
    first = ok(client.post(REPORTS, json=body, headers=cast.headers("reporter")), 201)
    again = ok(client.post(REPORTS, json=body, headers=cast.headers("reporter")), 201)
    assert again["replayed"] is True and first["replayed"] is False
    assert again["tracking_id"] == first["tracking_id"] and again["reports"][0]["id"] == first["reports"][0]["id"]
    assert first["reports"][0]["status"] == "triage"  # no reproducer: the analysts' queue
    changed = {"client_key": "k-1", "report": {**body["report"], "title": "Another flaw entirely"}}
    refused = ok(client.post(REPORTS, json=changed, headers=cast.headers("reporter")), 409)
    assert refused["code"] == "client_key_reused" and refused["details"]["tracking_id"] == first["tracking_id"]


def test_rate_limits_answer_429_with_when_to_retry(
    client: TestClient, cast: Cast, container: Container, clock: ManualClock, tmp_path: Path
) -> None:
    limits = {"user_id": cast.users["reporter"], "kind": "person", "per_minute": 2, "per_day": 3}
    ok(client.put("/api/clearinghouse/reporters", json=limits, headers=cast.headers("analyst")))
    draft = recparse_report(tmp_path, reproducer=None, fixed_target=None, target=None)

    def submit(key: str) -> object:
        body = {"client_key": key, "report": {**draft, "title": f"Flaw number {key}"}}
        return client.post(REPORTS, json=body, headers=cast.headers("reporter"))

    ok(submit("a"), 201)
    ok(submit("b"), 201)
    limited = submit("c")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) <= 61  # type: ignore[attr-defined]
    assert "rate limit" in limited.json()["message"]  # type: ignore[attr-defined]
    clock.advance(timedelta(seconds=61))
    ok(submit("c"), 201)
    clock.advance(timedelta(seconds=61))
    quota = submit("d")
    assert quota.status_code == 429 and "daily quota" in quota.json()["message"]  # type: ignore[attr-defined]
    assert _count(container) == 3


def test_bad_input_is_refused_clearly_and_leaves_nothing(
    client: TestClient, cast: Cast, container: Container, tmp_path: Path
) -> None:
    draft = recparse_report(tmp_path)
    cases = {
        "cvss": ({**draft, "cvss_vector": "CVSS:3.1/AV:Q"}, "CVSS vector"),
        "product": ({**draft, "purl": None}, "name the product"),
        "purl": ({**draft, "purl": "not a purl"}, "package URL"),
        "cwe": ({**draft, "cwe": "XSS"}, "CWE id"),
        "file": (
            {**draft, "reproducer": {**draft["reproducer"], "files": [{"name": "../x", "content": ""}]}},
            "relative",
        ),
    }
    for key, (report, words) in cases.items():
        refused = ok(
            client.post(REPORTS, json={"client_key": key, "report": report}, headers=cast.headers("reporter")), 400
        )
        assert words in refused["message"], refused
    assert _count(container) == 0


def test_size_limits(container: Container, cast: Cast, tmp_path: Path) -> None:
    small = Clearinghouse(
        dataclasses.replace(container.clearinghouse.context, limits=Limits(max_reproducer_bytes=10)),
        organisations=container.identity,
    )
    body = ReportSubmission.model_validate({"client_key": "big", "report": recparse_report(tmp_path)})
    try:
        small.intake.submit(principal_for(container.runtime, cast.users["reporter"]), body)
    except InvalidReport as e:
        assert "larger than 10 bytes" in e.message
    else:
        raise AssertionError("an oversized reproducer was accepted")
    assert _count(container) == 0


def test_an_ai_tools_report_is_read_by_no_one_before_its_validation(
    client: TestClient, cast: Cast, container: Container, acme_vendor: str, tmp_path: Path
) -> None:
    tool = {"user_id": cast.users["ai_tool"], "kind": "ai_tool", "tool_name": "BugHound", "tool_version": "2.1"}
    ok(client.put("/api/clearinghouse/reporters", json=tool, headers=cast.headers("analyst")))
    ack = ok(
        client.post(
            REPORTS, json={"client_key": "ai-1", "report": recparse_report(tmp_path)}, headers=cast.headers("ai_tool")
        ),
        201,
    )
    report_id = ack["reports"][0]["id"]
    assert ack["source"] == "ai_tool"
    assert (
        ok(client.get(f"{REPORTS}/{report_id}", headers=cast.headers("analyst")), 404)["message"]
        == f"report {report_id} not found"
    )
    assert ok(client.get(REPORTS, headers=cast.headers("analyst")))["count"] == 0
    assert ok(client.get(f"{REPORTS}/{report_id}", headers=cast.headers("ai_tool")))["status"] == "validating"
    assert run_jobs(container) == ["succeeded"]
    seen = ok(client.get(f"{REPORTS}/{report_id}", headers=cast.headers("analyst")))
    assert seen["status"] == "validated" and seen["tool_name"] == "BugHound"
    record = seen["reporter_record"]
    assert (record["submitted"], record["validated"], record["rejected"]) == (1, 1, 0)
    # the reporter sees its report, never its own record's links
    assert ok(client.get(f"{REPORTS}/{report_id}", headers=cast.headers("ai_tool")))["reporter_record"] is None


def test_a_reproducer_that_does_not_trigger_is_not_reproduced_and_counts_against_the_reporter(
    client: TestClient, cast: Cast, container: Container, tmp_path: Path
) -> None:
    draft = recparse_report(tmp_path, fixed_target=None)
    draft["reproducer"] = {**draft["reproducer"], "signal": {"kind": "output_marker", "value": "NEVER-PRINTED"}}
    ack = ok(client.post(REPORTS, json={"client_key": "nr", "report": draft}, headers=cast.headers("reporter")), 201)
    run_jobs(container)
    report = ok(client.get(f"{REPORTS}/{ack['reports'][0]['id']}", headers=cast.headers("analyst")))
    assert report["status"] == "not_reproduced"
    assert report["validations"][0]["detail"]["reason"] == "the expected signal did not come"
    assert report["reporter_record"]["not_reproduced"] == 1


def test_a_reproducer_that_also_triggers_on_the_fixed_version_needs_information(
    client: TestClient, cast: Cast, container: Container, tmp_path: Path
) -> None:
    draft = recparse_report(tmp_path)
    draft["fixed_target"] = draft["target"]  # "fixed" is the vulnerable code again
    ack = ok(client.post(REPORTS, json={"client_key": "ni", "report": draft}, headers=cast.headers("reporter")), 201)
    run_jobs(container)
    report = ok(client.get(f"{REPORTS}/{ack['reports'][0]['id']}", headers=cast.headers("reporter")))
    assert report["status"] == "needs_info"
    assert "also triggers against the declared fixed version" in report["validations"][0]["detail"]["reason"]


def test_sarif_from_a_real_scanner_makes_many_reports(
    client: TestClient, cast: Cast, bandit_sarif: dict[str, object]
) -> None:
    body = {"client_key": "scan-1", "sarif": bandit_sarif, "purl": "pkg:pypi/scanned-app", "min_level": "note"}
    ack = ok(client.post(f"{REPORTS}/sarif", json=body, headers=cast.headers("reporter")), 201)
    assert ack["source"] == "sarif" and len(ack["reports"]) >= 3
    assert {r["status"] for r in ack["reports"]} == {"triage"}
    assert ok(client.post(f"{REPORTS}/sarif", json=body, headers=cast.headers("reporter")), 201)["replayed"] is True
    listed = ok(client.get(REPORTS, params={"q": "shell"}, headers=cast.headers("analyst")))
    assert listed["count"] == 1 and listed["data"][0]["cwe"] == "CWE-78"


def test_an_osv_record_we_already_know_is_answered_already_known_fixed_in(
    client: TestClient, cast: Cast, container: Container, tmp_path: Path
) -> None:
    known = {
        "id": "PYSEC-2099-7",
        "modified": "2099-01-01T00:00:00Z",
        "aliases": ["CVE-2099-0007"],
        "summary": "Template injection in widget",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "widget"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.4.1"}]}]}],  # noqa: E501
    }  # fmt: skip
    path = tmp_path / "known.json"
    path.write_text(json.dumps(known))
    AdvisoryImporter(container.runtime.database, container.runtime.clock).import_sources([str(path)])
    record = {**known, "id": "EXAMPLE-2099-1", "aliases": ["CVE-2099-0007"], "details": "widget renders input."}
    ack = ok(
        client.post(
            f"{REPORTS}/osv", json={"client_key": "osv-1", "records": [record]}, headers=cast.headers("reporter")
        ),
        201,
    )
    notice = ack["reports"][0]
    assert notice["status"] == "duplicate"
    assert notice["message"] == "already known as PYSEC-2099-7: fixed in 2.4.1"


def test_a_report_carrying_a_large_source_archive_passes_the_edge_and_a_larger_one_is_a_413(
    client: TestClient, cast: Cast, tmp_path: Path
) -> None:
    """Reports carry their files in the JSON (base64), so their routes take the evidence limit, not the 1 MiB of
    an ordinary request; beyond it the edge answers 413 before anything is parsed."""
    report = recparse_report(tmp_path, reproducer=None, fixed_target=None)
    padding = {"name": "vendor/blob.bin", "content": base64.b64encode(os.urandom(3 * 1024 * 1024)).decode()}
    report["target"] = {**report["target"], "files": [padding]}
    accepted = client.post(REPORTS, json={"client_key": "large", "report": report}, headers=cast.headers("reporter"))
    assert accepted.status_code == 201, accepted.text
    limit = client.app.state.container.settings.max_evidence_bytes  # type: ignore[attr-defined]
    huge = b"{" + b" " * (limit + 1024 * 1024) + b"}"
    refused = client.post(
        REPORTS, content=huge, headers={**cast.headers("reporter"), "Content-Type": "application/json"}
    )
    assert refused.status_code == 413 and refused.json()["code"] == "payload_too_large"
    ordinary = client.post(
        "/api/clearinghouse/vendors", content=b"{" + b" " * (2 * 1024 * 1024) + b"}", headers=cast.headers("analyst")
    )
    assert ordinary.status_code == 413  # a route without files keeps the ordinary limit
