"""Fixes from the security review: clear refusals where the thing exists for the caller, closed reviews are
records, required fields cannot be nulled (400, not 500), no probing for concealed findings through evidence,
and no forged headings in reports."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from bastion.core.clock import ManualClock
from tests.integration.review.support import Cast, finding_body, ok, submission_body


def _review(client: TestClient, cast: Cast) -> tuple[str, str]:
    sub = ok(client.post("/api/submissions", json=submission_body(), headers=cast.headers("owner_lab")), 201)
    rev = ok(client.post("/api/reviews", json={"submission_id": sub["id"]}, headers=cast.headers("admin")), 201)
    assign = {"user_id": cast.users["assigned"], "focus_areas": ["insider_risks"]}
    ok(client.post(f"/api/reviews/{rev['id']}/assignments", json=assign, headers=cast.headers("admin")), 201)
    return sub["id"], rev["id"]


def test_reclassifying_above_your_clearance_is_a_clear_403_and_changes_nothing(client: TestClient, cast: Cast) -> None:
    _, rev_id = _review(client, cast)
    evaluator = cast.headers("assigned")  # cleared SECRET
    fnd = ok(client.post(f"/api/reviews/{rev_id}/findings", json=finding_body(), headers=evaluator), 201)
    response = client.patch(f"/api/findings/{fnd['id']}", json={"classification": "TOP_SECRET"}, headers=evaluator)
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["code"] == "classification_above_clearance"
    assert "TOP SECRET" in body["message"] and "above your clearance" in body["message"]
    assert ok(client.get(f"/api/findings/{fnd['id']}", headers=evaluator))["classification"] == "CUI"
    # within the clearance it still works
    moved = client.patch(f"/api/findings/{fnd['id']}", json={"classification": "SECRET"}, headers=evaluator)
    assert ok(moved)["classification"] == "SECRET"


def test_recording_above_your_clearance_is_the_same_clear_403_and_records_nothing(
    client: TestClient, cast: Cast
) -> None:
    """Creating a finding marked above one's clearance answers as reclassifying does: the caller named the level
    and knows the review, so there is nothing to conceal (it was a 404 before, as if the review were missing)."""
    _, rev_id = _review(client, cast)
    evaluator = cast.headers("assigned")  # cleared SECRET
    body = finding_body(classification="TOP_SECRET")
    response = client.post(f"/api/reviews/{rev_id}/findings", json=body, headers=evaluator)
    assert response.status_code == 403, response.text
    refusal = response.json()
    assert refusal["code"] == "classification_above_clearance" and refusal["hint"]
    assert "creating it at TOP SECRET is above your clearance (SECRET)" in refusal["message"]
    assert ok(client.get(f"/api/reviews/{rev_id}/findings", headers=cast.headers("admin")))["count"] == 0
    # a caller who may not know the review still gets the one 'not found'
    outsider = client.post(f"/api/reviews/{rev_id}/findings", json=body, headers=cast.headers("unassigned"))
    assert outsider.status_code == 404 and outsider.json()["message"] == f"review {rev_id} not found"


def test_unassigning_from_a_closed_review_is_refused(client: TestClient, cast: Cast) -> None:
    _, rev_id = _review(client, cast)
    admin = cast.headers("admin")
    ok(client.post(f"/api/reviews/{rev_id}/release", json={}, headers=cast.headers("owner_lab")))
    response = client.delete(f"/api/reviews/{rev_id}/assignments/{cast.users['assigned']}", headers=admin)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "review_closed"
    assigned = ok(client.get(f"/api/reviews/{rev_id}/assignments", headers=admin))
    assert [a["user_id"] for a in assigned["data"]] == [cast.users["assigned"]]


def test_unassigning_from_an_open_review_still_works(client: TestClient, cast: Cast) -> None:
    _, rev_id = _review(client, cast)
    admin = cast.headers("admin")
    response = client.delete(f"/api/reviews/{rev_id}/assignments/{cast.users['assigned']}", headers=admin)
    assert response.status_code == 204, response.text
    assert ok(client.get(f"/api/reviews/{rev_id}/assignments", headers=admin))["count"] == 0


def test_nulling_a_required_submission_field_is_400_and_changes_nothing(client: TestClient, cast: Cast) -> None:
    lab = cast.headers("owner_lab")
    sub = ok(client.post("/api/submissions", json=submission_body(), headers=lab), 201)
    for name in ("model_name", "model_version", "developer", "training_compute_flop"):
        response = client.patch(f"/api/submissions/{sub['id']}", json={"model_version": "9", name: None}, headers=lab)
        assert response.status_code == 400, response.text
        assert name in response.json()["message"]
    after = ok(client.get(f"/api/submissions/{sub['id']}", headers=lab))
    assert (after["model_name"], after["model_version"], after["updated_at"]) == (
        sub["model_name"],
        sub["model_version"],
        sub["updated_at"],
    )


def _upload(client: TestClient, rev_id: str, finding_id: str, headers: dict[str, str]) -> Any:
    files = {"file": ("log.txt", b"transcript", "text/plain")}
    data = {"classification": "CUI", "finding_id": finding_id}
    return client.post(f"/api/reviews/{rev_id}/evidence", files=files, data=data, headers=headers)


def test_evidence_cannot_probe_for_a_finding_above_the_uploaders_clearance(client: TestClient, cast: Cast) -> None:
    _, rev_id = _review(client, cast)
    secret_body = finding_body(classification="TOP_SECRET", title="Weight exfiltration path")
    hidden = ok(client.post(f"/api/reviews/{rev_id}/findings", json=secret_body, headers=cast.headers("admin")), 201)
    evaluator = cast.headers("assigned")  # SECRET: the TOP SECRET finding does not exist for them
    concealed = _upload(client, rev_id, hidden["id"], evaluator)
    missing = _upload(client, rev_id, "fnd_00000000deadbeef", evaluator)
    assert concealed.status_code == missing.status_code == 400
    assert concealed.json()["message"].replace(hidden["id"], "X") == missing.json()["message"].replace(
        "fnd_00000000deadbeef", "X"
    )
    assert ok(client.get(f"/api/reviews/{rev_id}/evidence", headers=cast.headers("admin")))["count"] == 0
    own = ok(client.post(f"/api/reviews/{rev_id}/findings", json=finding_body(), headers=evaluator), 201)
    assert ok(_upload(client, rev_id, own["id"], evaluator), 201)["finding_id"] == own["id"]


def test_a_finding_title_cannot_forge_a_heading_or_marking_in_the_report(
    client: TestClient, cast: Cast, clock: ManualClock
) -> None:
    _, rev_id = _review(client, cast)
    forged = finding_body(title="Real title\n\n# (U) Forged unclassified heading", description="a\n\n## (U) forged")
    ok(client.post(f"/api/reviews/{rev_id}/findings", json=forged, headers=cast.headers("assigned")), 201)
    report = client.get(f"/api/reviews/{rev_id}/report", headers=cast.headers("admin")).text
    headings = [line for line in report.splitlines() if line.startswith("#")]
    assert "#### (CUI) Real title # (U) Forged unclassified heading" in headings
    assert not any(line.startswith(("# (U) Forged", "## (U) forged")) for line in report.splitlines())
    assert "(CUI) a ## (U) forged" in report
