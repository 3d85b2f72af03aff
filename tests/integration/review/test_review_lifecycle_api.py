"""The whole review lifecycle over HTTP, on SQLite and PostgreSQL:
submit -> select -> open -> assign -> findings -> share -> respond -> close -> report; and a lab
releasing early, mid-review."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from bastion.core.clock import ManualClock
from bastion.runtime import Runtime
from tests.factories import verify_audit
from tests.integration.review.support import Cast, finding_body, ok, submission_body


def _audit_actions(runtime: Runtime) -> list[str]:
    with runtime.database.read_session() as session:
        return list(session.scalars(sa.text("SELECT action FROM audit_events ORDER BY seq")))


def test_full_lifecycle(client: TestClient, runtime: Runtime, cast: Cast, clock: ManualClock) -> None:
    lab, admin, evaluator, agency = (cast.headers(r) for r in ("owner_lab", "admin", "assigned", "agency"))

    # submit: the engine decides at once; the lab sees only the outcome
    created = ok(client.post("/api/submissions", json=submission_body(), headers=lab), 201)
    sub_id = created["id"]
    assert created["selection"] == "selected"
    assert created["has_access_credential"] is True
    assert "owl-secret-credential-123" not in client.get(f"/api/submissions/{sub_id}", headers=lab).text
    assert ok(client.get(f"/api/submissions/{sub_id}/selection", headers=lab)) == {
        "submission_id": sub_id,
        "status": "selected",
        "current": None,
        "history": None,
        "nominations": None,
    }
    rationale = ok(client.get(f"/api/submissions/{sub_id}/selection", headers=agency))
    assert rationale["current"]["fired_rules"] == ["frontier-compute"]
    assert rationale["current"]["policy_version"] == "2026.2"

    # open the window and assign an evaluator, who alone (with the admin) reads the credential
    review = ok(client.post("/api/reviews", json={"submission_id": sub_id}, headers=admin), 201)
    rev_id = review["id"]
    assert review["status"] == "open"
    assert review["deadline"] == "2026-12-02T09:00:00Z"
    assert review["blocks_release"] is False
    assign = {"user_id": cast.users["assigned"], "focus_areas": ["digital_infrastructure", "insider_risks"]}
    ok(client.post(f"/api/reviews/{rev_id}/assignments", json=assign, headers=admin), 201)
    access = ok(client.get(f"/api/submissions/{sub_id}/access", headers=evaluator))
    assert access["access_credential"] == "owl-secret-credential-123"

    # findings: draft -> confirmed; the lab sees nothing until it is shared
    fnd = ok(client.post(f"/api/reviews/{rev_id}/findings", json=finding_body(), headers=evaluator), 201)
    fid = fnd["id"]
    assert fnd["status"] == "draft"
    assert ok(client.get(f"/api/reviews/{rev_id}/findings", headers=lab))["count"] == 0
    assert client.get(f"/api/findings/{fid}", headers=lab).status_code == 404
    confirmed = client.patch(f"/api/findings/{fid}", json={"status": "confirmed"}, headers=evaluator)
    assert ok(confirmed)["status"] == "confirmed"
    shared = ok(client.post(f"/api/findings/{fid}/share", headers=admin))
    assert shared["status"] == "shared_with_lab"

    # the lab reads it (without the evaluator's identity) and responds
    seen = ok(client.get(f"/api/findings/{fid}", headers=lab))
    assert seen["created_by"] is None
    ok(client.post(f"/api/findings/{fid}/responses", json={"body": "Fixed in the release build."}, headers=lab), 201)
    assert ok(client.get(f"/api/findings/{fid}", headers=evaluator))["status"] == "lab_responded"
    mitigated = client.patch(f"/api/findings/{fid}", json={"status": "mitigated"}, headers=evaluator)
    assert ok(mitigated)["status"] == "mitigated"
    hidden = ok(
        client.post(f"/api/reviews/{rev_id}/findings", json=finding_body(title="Draft only"), headers=evaluator), 201
    )

    # close: 30 days later the scheduler closes it
    clock.advance(timedelta(days=30))
    assert ok(client.post("/api/outbox/tick", headers=admin))["closed"] == [rev_id]
    closed = ok(client.get(f"/api/reviews/{rev_id}", headers=lab))
    assert (closed["status"], closed["close_reason"]) == ("closed", "window_elapsed")
    late = client.post(f"/api/reviews/{rev_id}/findings", json=finding_body(), headers=evaluator)
    assert (late.status_code, late.json()["code"]) == (409, "review_closed")

    # report: banner, portion marks, findings by focus area; the lab's copy has only what was shared
    full = client.get(f"/api/reviews/{rev_id}/report?format=md", headers=admin)
    assert full.status_code == 200
    lines = full.text.strip().splitlines()
    assert lines[0] == lines[-1] == "CUI"
    assert "# Final review report: Owl 3.0" in full.text
    assert "## (CUI) Selection rationale" in full.text
    assert "### (U) Threats to digital infrastructure" in full.text
    assert "#### (CUI) Writes a working exploit" in full.text and "Draft only" in full.text
    assert "Lab response: Fixed in the release build." in full.text
    lab_copy = client.get(f"/api/reviews/{rev_id}/report?format=html", headers=lab)
    assert lab_copy.status_code == 200
    assert lab_copy.headers["content-type"].startswith("text/html")
    assert "Writes a working exploit" in lab_copy.text
    assert "Draft only" not in lab_copy.text and "Selection rationale" not in lab_copy.text
    assert cast.users["assigned"] not in lab_copy.text
    assert client.get(f"/api/reviews/{rev_id}/report?variant=full", headers=lab).status_code == 404
    del hidden

    # every read and write left an audit event, and the chain verifies
    actions = _audit_actions(runtime)
    for expected in (
        "submission.create",
        "selection.evaluate",
        "selection.read",
        "review.open",
        "assignment.create",
        "submission.access.read",
        "finding.create",
        "finding.transition",
        "finding.share",
        "finding.read",
        "finding.respond",
        "finding.list",
        "review.close",
        "review.read",
        "report.generate",
    ):
        assert expected in actions, expected
    with runtime.database.read_session() as session:
        details = list(session.scalars(sa.text("SELECT detail FROM audit_events")))
    assert not any("owl-secret-credential-123" in str(d) for d in details)
    assert verify_audit(runtime).ok


def test_lab_releases_early_mid_review(client: TestClient, cast: Cast, clock: ManualClock) -> None:
    lab, admin, evaluator = cast.headers("owner_lab"), cast.headers("admin"), cast.headers("assigned")
    sub_id = ok(client.post("/api/submissions", json=submission_body(), headers=lab), 201)["id"]
    rev_id = ok(client.post("/api/reviews", json={"submission_id": sub_id}, headers=admin), 201)["id"]
    assign = {"user_id": cast.users["assigned"], "focus_areas": ["other"]}
    ok(client.post(f"/api/reviews/{rev_id}/assignments", json=assign, headers=admin), 201)
    fid = ok(client.post(f"/api/reviews/{rev_id}/findings", json=finding_body(), headers=evaluator), 201)["id"]

    clock.advance(timedelta(days=9))
    released = ok(client.post(f"/api/reviews/{rev_id}/release", headers=lab))
    assert (released["status"], released["close_reason"]) == ("closed", "released")
    assert released["closed_at"] == released["released_at"] == "2026-11-11T09:00:00Z"
    assert released["blocks_release"] is False

    # findings are kept as they were at the close: a closed review is a record (no edits, no sharing, no new ones)
    assert ok(client.get(f"/api/findings/{fid}", headers=evaluator))["status"] == "draft"
    edit = client.patch(f"/api/findings/{fid}", json={"status": "confirmed"}, headers=evaluator)
    assert (edit.status_code, edit.json()["code"]) == (409, "review_closed")
    assert client.post(f"/api/findings/{fid}/share", headers=admin).status_code == 409
    assert client.post(f"/api/reviews/{rev_id}/findings", json=finding_body(), headers=evaluator).status_code == 409
    again = client.post(f"/api/reviews/{rev_id}/release", headers=lab)
    assert (again.status_code, again.json()["code"]) == (409, "already_released")
    messages = ok(client.get("/api/outbox?topic=review.closed", headers=admin))["data"]
    assert [m["payload"]["reason"] for m in messages] == ["released"]


def test_withdrawal_closes_the_review(client: TestClient, cast: Cast) -> None:
    lab, admin = cast.headers("owner_lab"), cast.headers("admin")
    sub_id = ok(client.post("/api/submissions", json=submission_body(), headers=lab), 201)["id"]
    rev_id = ok(client.post("/api/reviews", json={"submission_id": sub_id}, headers=admin), 201)["id"]
    withdrawn = ok(client.delete(f"/api/submissions/{sub_id}", headers=lab))
    assert withdrawn["status"] == "withdrawn"
    review = ok(client.get(f"/api/reviews/{rev_id}", headers=admin))
    assert (review["status"], review["close_reason"]) == ("closed", "withdrawn")
    update = client.patch(f"/api/submissions/{sub_id}", json={"model_version": "3.1"}, headers=lab)
    assert (update.status_code, update.json()["code"]) == (409, "submission_withdrawn")
