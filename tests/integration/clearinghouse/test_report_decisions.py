"""Each report transition a person makes, through the API, on SQLite and PostgreSQL: an analyst rejects a report
in triage, overrules a duplicate, accepts from triage, runs a reproducer again; a reporter completes a report that
needs information. Refused transitions answer 409 with the allowed next states, and only analysts decide."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bastion.container import Container
from tests.integration.clearinghouse.conftest import ok, run_jobs
from tests.integration.clearinghouse.support import Cast, recparse_report, recparse_target

REPORTS = "/api/clearinghouse/reports"


def _submit(client: TestClient, cast: Cast, who: str, key: str, report: dict[str, Any]) -> dict[str, Any]:
    ack = ok(client.post(REPORTS, json={"client_key": key, "report": report}, headers=cast.headers(who)), 201)
    return dict(ack["reports"][0])


def _decide(client: TestClient, cast: Cast, who: str, report_id: str, decision: str) -> Any:
    body = {"decision": decision, "reason": f"{decision}: checked by hand"}
    return client.post(f"{REPORTS}/{report_id}/decision", json=body, headers=cast.headers(who))


def _bare(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """The recparse report without a reproducer or targets: it waits for an analyst."""
    return recparse_report(tmp_path, reproducer=None, target=None, fixed_target=None, **overrides)


def test_a_report_in_triage_is_rejected_by_an_analyst_only_and_stays_rejected(
    client: TestClient, cast: Cast, tmp_path: Path
) -> None:
    ack = _submit(client, cast, "reporter", "t1", _bare(tmp_path))
    assert ack["status"] == "triage"
    report_id = ack["id"]
    refused = _decide(client, cast, "reporter", report_id, "reject")
    assert refused.status_code == 403 and refused.json()["message"] == "analysts decide on reports"
    assert ok(_decide(client, cast, "analyst", report_id, "reject"))["status"] == "rejected"
    again = _decide(client, cast, "analyst", report_id, "accept")
    assert again.status_code == 409
    assert again.json()["message"] == "a report cannot move from 'rejected' to 'accepted'"
    assert again.json()["hint"] == "allowed next states from 'rejected': none (final state)"
    record = ok(client.get(f"/api/clearinghouse/reporters/{cast.users['reporter']}", headers=cast.headers("analyst")))
    assert (record["submitted"], record["rejected"], record["accepted"]) == (1, 1, 0)
    # a rejected report is no original for later ones: the same words again are a new report
    assert _submit(client, cast, "reporter2", "t2", _bare(tmp_path))["status"] == "triage"


def test_an_analyst_overrules_a_duplicate_then_accepts_it_from_triage(
    client: TestClient, cast: Cast, tmp_path: Path, acme_vendor: str
) -> None:
    original = _submit(client, cast, "reporter", "o1", _bare(tmp_path))
    dup = _submit(client, cast, "reporter2", "d1", _bare(tmp_path))
    assert dup["status"] == "duplicate"
    seen = ok(client.get(f"{REPORTS}/{dup['id']}", headers=cast.headers("analyst")))
    assert seen["duplicate_of"] == original["id"]
    overruled = ok(_decide(client, cast, "analyst", dup["id"], "not_duplicate"))
    assert overruled["status"] == "triage"
    assert (overruled["duplicate_of"], overruled["duplicate_reason"]) == (None, None)
    accepted = ok(_decide(client, cast, "analyst", dup["id"], "accept"))
    assert accepted["status"] == "accepted" and accepted["case_id"]
    case = ok(client.get(f"/api/clearinghouse/cases/{accepted['case_id']}", headers=cast.headers("reporter2")))
    assert [v["vendor_id"] for v in case["vendors"]] == [acme_vendor]
    # the original is untouched, still waiting in triage
    assert ok(client.get(f"{REPORTS}/{original['id']}", headers=cast.headers("analyst")))["status"] == "triage"
    assert _decide(client, cast, "analyst", dup["id"], "not_duplicate").status_code == 409


def test_a_report_that_needs_information_is_completed_by_its_reporter_and_validated(
    client: TestClient, cast: Cast, container: Container, tmp_path: Path
) -> None:
    draft = recparse_report(tmp_path)
    draft["fixed_target"] = draft["target"]  # the "fixed" version is the vulnerable code: needs information
    report_id = _submit(client, cast, "reporter", "n1", draft)["id"]
    run_jobs(container)
    assert ok(client.get(f"{REPORTS}/{report_id}", headers=cast.headers("reporter")))["status"] == "needs_info"
    more = {"fixed_target": recparse_target(tmp_path, fixed=True), "note": "the right fixed version this time"}
    other = client.post(f"{REPORTS}/{report_id}/information", json=more, headers=cast.headers("reporter2"))
    assert other.status_code == 404  # another reporter does not even learn that the report exists
    by_purl = {"fixed_target": {"kind": "purl", "purl": "pkg:pypi/recparse@1.0.1"}}
    offline = client.post(f"{REPORTS}/{report_id}/information", json=by_purl, headers=cast.headers("reporter"))
    assert offline.status_code == 400 and "fetches no packages" in offline.json()["message"]
    completed = ok(client.post(f"{REPORTS}/{report_id}/information", json=more, headers=cast.headers("reporter")))
    assert completed["status"] == "validating"
    assert completed["description"].endswith("the right fixed version this time")
    assert run_jobs(container) == ["succeeded"]
    report = ok(client.get(f"{REPORTS}/{report_id}", headers=cast.headers("reporter")))
    assert report["status"] == "validated"
    assert [v["outcome"] for v in report["validations"]] == ["needs_info", "validated"]  # oldest first
    late = client.post(f"{REPORTS}/{report_id}/information", json=more, headers=cast.headers("reporter"))
    assert late.status_code == 409 and late.json()["code"] == "report_not_open_for_information"


def test_an_analyst_runs_a_reproducer_again_and_a_report_without_one_cannot_be(
    client: TestClient, cast: Cast, container: Container, tmp_path: Path
) -> None:
    draft = recparse_report(tmp_path, fixed_target=None)
    draft["reproducer"] = {**draft["reproducer"], "signal": {"kind": "output_marker", "value": "NEVER-PRINTED"}}
    report_id = _submit(client, cast, "reporter", "r1", draft)["id"]
    run_jobs(container)
    assert ok(client.get(f"{REPORTS}/{report_id}", headers=cast.headers("analyst")))["status"] == "not_reproduced"
    assert ok(_decide(client, cast, "analyst", report_id, "revalidate"))["status"] == "validating"
    assert run_jobs(container) == ["succeeded"]
    report = ok(client.get(f"{REPORTS}/{report_id}", headers=cast.headers("analyst")))
    assert report["status"] == "not_reproduced" and len(report["validations"]) == 2
    bare = _submit(client, cast, "reporter2", "r2", _bare(tmp_path, title="Another flaw in recparse, no code"))
    refused = _decide(client, cast, "analyst", bare["id"], "revalidate")
    assert refused.status_code == 400 and "has no reproducer to run" in refused.json()["message"]
