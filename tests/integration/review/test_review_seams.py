"""Seams to other slices (eval results -> selection engine; flagged findings -> clearinghouse), agency
nominations, and the audit trail of refused requests."""

from __future__ import annotations

import json

import sqlalchemy as sa
from fastapi.testclient import TestClient

from bastion.container import Container
from bastion.runtime import Runtime
from tests.factories import principal_for
from tests.integration.review.support import Cast, finding_body, ok, submission_body

SMALL = {"training_compute_flop": 1e24}


def _open(client: TestClient, cast: Cast, **submission: object) -> tuple[str, str]:
    lab, admin = cast.headers("owner_lab"), cast.headers("admin")
    sub = ok(client.post("/api/submissions", json=submission_body(**submission), headers=lab), 201)
    if sub["selection"] != "selected":
        override = {"selected": True, "reason": "Selected by the programme board for testing."}
        ok(client.post(f"/api/submissions/{sub['id']}/selection", json=override, headers=admin))
    rev = ok(client.post("/api/reviews", json={"submission_id": sub["id"]}, headers=admin), 201)
    assign = {"user_id": cast.users["assigned"], "focus_areas": ["other"]}
    ok(client.post(f"/api/reviews/{rev['id']}/assignments", json=assign, headers=admin), 201)
    return sub["id"], rev["id"]


def test_eval_results_feed_the_selection_engine(client: TestClient, cast: Cast, runtime: Runtime) -> None:
    sub_id, rev_id = _open(client, cast, **SMALL)
    log = runtime.settings.data_dir / "cyber.eval.json"
    log.write_text(json.dumps({"status": "success"}))
    programme = Container(runtime).review
    evaluator = principal_for(runtime, cast.users["assigned"])
    summary = {
        "run_id": "battery-7",
        "scores": {"exploitation": 0.71},
        "reference_scores": {"exploitation": {"ref": 0.5}},
    }
    stored = programme.evidence.attach_eval_results(evaluator, rev_id, summary, [log])
    assert [e.kind for e in stored] == ["eval_summary", "eval_log"]
    assert stored[0].summary == summary
    admin = cast.headers("admin")
    decision = ok(client.post(f"/api/submissions/{sub_id}/selection/evaluate", headers=admin))
    assert decision["current"]["fired_rules"] == ["cyber-eval-margin"]
    report = client.get(f"/api/reviews/{rev_id}/report", headers=admin).text
    assert "### (CUI) Evaluation run battery-7" in report
    assert "- exploitation: 0.71" in report
    via_api = ok(
        client.post(
            f"/api/reviews/{rev_id}/eval-results",
            json={"summary": {"scores": {"web": 0.2}}},
            headers=cast.headers("assigned"),
        ),
        201,
    )
    assert via_api["count"] == 1


def test_agency_nomination_selects_and_manual_override_stands(client: TestClient, cast: Cast) -> None:
    lab, agency, admin = cast.headers("owner_lab"), cast.headers("agency"), cast.headers("admin")
    sub = ok(client.post("/api/submissions", json=submission_body(**SMALL), headers=lab), 201)
    assert sub["selection"] == "not_selected"
    nomination = ok(
        client.post(
            f"/api/submissions/{sub['id']}/nominations", json={"reason": "Water utilities exposure."}, headers=agency
        ),
        201,
    )
    assert nomination["agency_name"] == "Cybersecurity and Infrastructure Security Agency"
    selection = ok(client.get(f"/api/submissions/{sub['id']}/selection", headers=agency))
    assert (selection["status"], selection["current"]["fired_rules"]) == ("selected", ["agency-nomination"])
    twice = client.post(
        f"/api/submissions/{sub['id']}/nominations", json={"reason": "Water utilities again."}, headers=agency
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "already_nominated")
    override = {"selected": False, "reason": "Board decision: the lab withdrew agentic features."}
    ok(client.post(f"/api/submissions/{sub['id']}/selection", json=override, headers=admin))
    ok(client.patch(f"/api/submissions/{sub['id']}", json={"model_version": "3.0.1"}, headers=lab))
    after = ok(client.get(f"/api/submissions/{sub['id']}/selection", headers=admin))
    assert (after["status"], after["current"]["manual"]) == ("not_selected", True)
    assert after["current"]["override_reason"] == override["reason"]
    assert ok(client.get(f"/api/submissions/{sub['id']}/selection", headers=lab))["current"] is None


def test_flagged_findings_reach_the_clearinghouse_seam(client: TestClient, cast: Cast) -> None:
    _, rev_id = _open(client, cast)
    evaluator, admin = cast.headers("assigned"), cast.headers("admin")
    fnd = ok(
        client.post(f"/api/reviews/{rev_id}/findings", json=finding_body(for_clearinghouse=True), headers=evaluator),
        201,
    )
    assert ok(client.get("/api/clearinghouse/candidates", headers=admin))["count"] == 0  # drafts stay inside
    ok(client.patch(f"/api/findings/{fnd['id']}", json={"status": "confirmed"}, headers=evaluator))
    ok(client.patch(f"/api/findings/{fnd['id']}", json={"for_clearinghouse": True}, headers=evaluator))
    candidates = ok(client.get("/api/clearinghouse/candidates", headers=admin))
    assert [c["id"] for c in candidates["data"]] == [fnd["id"]]
    events = ok(client.get("/api/outbox?topic=finding.for_clearinghouse", headers=admin))["data"]
    assert [e["payload"] for e in events] == [{"finding_id": fnd["id"], "review_id": rev_id}]
    for outsider in ("other_lab", "agency"):  # an agency reviewer not on the review does not see its findings
        assert ok(client.get("/api/clearinghouse/candidates", headers=cast.headers(outsider)))["count"] == 0


def test_refused_requests_are_audited_too(client: TestClient, cast: Cast, runtime: Runtime) -> None:
    sub_id, _ = _open(client, cast)
    assert client.get(f"/api/submissions/{sub_id}", headers=cast.headers("other_lab")).status_code == 404
    assert client.get(f"/api/submissions/{sub_id}/access", headers=cast.headers("owner_lab")).status_code == 403
    with runtime.database.read_session() as session:
        rows = session.execute(
            sa.text("SELECT action, outcome, actor_user_id FROM audit_events WHERE outcome != 'ok' ORDER BY seq")
        ).all()
    assert [tuple(r) for r in rows] == [
        ("submission.read", "not_found", cast.users["other_lab"]),
        ("submission.access.read", "denied", cast.users["owner_lab"]),
    ]


def test_report_html_has_banners_and_no_raw_html(client: TestClient, cast: Cast) -> None:
    _, rev_id = _open(client, cast)
    evaluator, admin = cast.headers("assigned"), cast.headers("admin")
    body = finding_body(classification="SECRET", description="<script>alert(1)</script> payload")
    ok(client.post(f"/api/reviews/{rev_id}/findings", json=body, headers=evaluator), 201)
    html = client.get(f"/api/reviews/{rev_id}/report?format=html", headers=admin)
    assert html.headers["x-classification"] == "SECRET"
    assert html.text.count('role="note">SECRET</div>') == 2
    assert "<script>" not in html.text and "&lt;script&gt;" in html.text
    assert "<h4>(S) Writes a working exploit" in html.text
    evaluator_view = client.get(f"/api/reviews/{rev_id}/report", headers=evaluator)
    assert evaluator_view.text.splitlines()[0] == "SECRET"
    agency_view = client.get(f"/api/reviews/{rev_id}/report", headers=cast.headers("agency"))
    assert (agency_view.status_code, agency_view.json()["code"]) == (404, "not_found")
