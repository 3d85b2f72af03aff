"""Bad input gets a clear 4xx with the one error shape, never a 500, and nothing is half-written."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bastion.container import Container
from bastion.core.errors import PayloadTooLarge
from bastion.core.principal import Classification
from bastion.review.errors import ReviewInputError
from bastion.review.service import ReviewProgramme
from bastion.runtime import Runtime
from tests.factories import principal_for
from tests.integration.review.support import Cast, finding_body, ok, submission_body


def _count(runtime: Runtime, table: str) -> int:
    with runtime.database.read_session() as session:
        return int(session.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"training_compute_flop": -1}, "training_compute_flop"),
        ({"training_compute_flop": "lots"}, "training_compute_flop"),
        ({"modalities": []}, "modalities"),
        ({"classification": "ULTRA"}, "classification"),
        ({"intended_release_at": "2026-12-01T00:00:00"}, "intended_release_at"),  # naive time
        ({"access_endpoint": "ftp://x"}, "access_endpoint"),
        ({"colour": "blue"}, "colour"),
        # measured by the programme's evaluators: never the lab's to write
        ({"evaluation_scores": {"ctf": 0.9}}, "evaluation_scores"),
        ({"reference_scores": {"ctf": {"other": 0.1}}}, "reference_scores"),
    ],
)
def test_bad_submissions_are_400_and_not_stored(
    client: TestClient, runtime: Runtime, cast: Cast, change: dict[str, Any], field: str
) -> None:
    response = client.post("/api/submissions", json=submission_body(**change), headers=cast.headers("owner_lab"))
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "invalid_request"
    assert any(p["field"].startswith(field) for p in body["details"]["problems"]), body
    assert _count(runtime, "review_submissions") == 0


def test_malformed_json_is_400(client: TestClient, cast: Cast) -> None:
    headers = {**cast.headers("owner_lab"), "Content-Type": "application/json"}
    response = client.post("/api/submissions", content=b"{not json", headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


def test_state_errors_are_409_with_a_code(client: TestClient, runtime: Runtime, cast: Cast) -> None:
    lab, admin = cast.headers("owner_lab"), cast.headers("admin")
    small = ok(client.post("/api/submissions", json=submission_body(training_compute_flop=1e20), headers=lab), 201)
    assert small["selection"] == "not_selected"
    refused = client.post("/api/reviews", json={"submission_id": small["id"]}, headers=admin)
    assert (refused.status_code, refused.json()["code"]) == (409, "not_selected")
    assert _count(runtime, "review_reviews") == 0
    override = {"selected": True, "reason": "short"}
    assert client.post(f"/api/submissions/{small['id']}/selection", json=override, headers=admin).status_code == 400
    override["reason"] = "The board selects it for its agentic tooling."
    ok(client.post(f"/api/submissions/{small['id']}/selection", json=override, headers=admin))
    rev = ok(client.post("/api/reviews", json={"submission_id": small["id"]}, headers=admin), 201)
    twice = client.post("/api/reviews", json={"submission_id": small["id"]}, headers=admin)
    assert (twice.status_code, twice.json()["details"]["review_id"]) == (409, rev["id"])


def test_assignment_refuses_conflicts_of_interest(client: TestClient, cast: Cast, runtime: Runtime) -> None:
    lab, admin = cast.headers("owner_lab"), cast.headers("admin")
    sub = ok(client.post("/api/submissions", json=submission_body(), headers=lab), 201)
    rev = ok(client.post("/api/reviews", json={"submission_id": sub["id"]}, headers=admin), 201)
    url = f"/api/reviews/{rev['id']}/assignments"
    same_lab = client.post(url, json={"user_id": cast.users["lab_viewer"], "focus_areas": ["other"]}, headers=admin)
    assert (same_lab.status_code, same_lab.json()["code"]) == (409, "conflict_of_interest")
    other_lab = client.post(url, json={"user_id": cast.users["other_lab"], "focus_areas": ["other"]}, headers=admin)
    assert (other_lab.status_code, other_lab.json()["code"]) == (409, "conflict_of_interest")
    not_evaluator = client.post(url, json={"user_id": cast.users["agency"], "focus_areas": ["other"]}, headers=admin)
    assert not_evaluator.status_code == 400
    nobody = client.post(url, json={"user_id": "usr_nobody", "focus_areas": ["other"]}, headers=admin)
    assert nobody.status_code == 400
    assert _count(runtime, "review_assignments") == 0


def test_bad_finding_moves_are_409_with_the_allowed_states(client: TestClient, cast: Cast) -> None:
    lab, admin, evaluator = cast.headers("owner_lab"), cast.headers("admin"), cast.headers("assigned")
    sub = ok(client.post("/api/submissions", json=submission_body(), headers=lab), 201)
    rev = ok(client.post("/api/reviews", json={"submission_id": sub["id"]}, headers=admin), 201)
    ok(
        client.post(
            f"/api/reviews/{rev['id']}/assignments",
            json={"user_id": cast.users["assigned"], "focus_areas": ["other"]},
            headers=admin,
        ),
        201,
    )
    fnd = ok(client.post(f"/api/reviews/{rev['id']}/findings", json=finding_body(), headers=evaluator), 201)
    share_draft = client.post(f"/api/findings/{fnd['id']}/share", headers=admin)
    assert share_draft.status_code == 409
    assert share_draft.json()["details"] == {
        "current": "draft",
        "requested": "shared_with_lab",
        "allowed": ["confirmed"],
    }
    bad_value = client.patch(f"/api/findings/{fnd['id']}", json={"status": "approved"}, headers=evaluator)
    assert bad_value.status_code == 400
    above = client.post(
        f"/api/reviews/{rev['id']}/findings", json=finding_body(classification="TOP_SECRET"), headers=evaluator
    )
    assert above.status_code == 403  # nobody writes above their clearance: a plain refusal, the review is known
    assert above.json()["code"] == "classification_above_clearance"
    respond_draft = client.post(f"/api/findings/{fnd['id']}/responses", json={"body": "?"}, headers=lab)
    assert respond_draft.status_code == 404  # the lab cannot know about a draft


def test_evidence_limits_and_integrity(client: TestClient, cast: Cast, runtime: Runtime) -> None:
    lab, admin, evaluator = cast.headers("owner_lab"), cast.headers("admin"), cast.headers("assigned")
    sub = ok(client.post("/api/submissions", json=submission_body(), headers=lab), 201)
    rev = ok(client.post("/api/reviews", json={"submission_id": sub["id"]}, headers=admin), 201)
    ok(
        client.post(
            f"/api/reviews/{rev['id']}/assignments",
            json={"user_id": cast.users["assigned"], "focus_areas": ["other"]},
            headers=admin,
        ),
        201,
    )
    url = f"/api/reviews/{rev['id']}/evidence"
    exe = client.post(url, files={"file": ("x.exe", b"MZ", "application/x-msdownload")}, headers=evaluator)
    assert (exe.status_code, exe.json()["code"]) == (400, "invalid_input")
    bad_level = client.post(
        url, files={"file": ("a.txt", b"a", "text/plain")}, data={"classification": "NOPE"}, headers=evaluator
    )
    assert bad_level.status_code == 400
    wrong_finding = client.post(
        url, files={"file": ("a.txt", b"a", "text/plain")}, data={"finding_id": "fnd_x"}, headers=evaluator
    )
    assert wrong_finding.status_code == 400
    assert _count(runtime, "review_evidence") == 0
    assert not list((runtime.settings.data_dir / "evidence").rglob("*")) or all(
        p.is_dir() for p in (runtime.settings.data_dir / "evidence").rglob("*")
    )

    stored = ok(
        client.post(url, files={"file": ("../../etc/log.txt", b"transcript", "text/plain")}, headers=evaluator), 201
    )
    assert stored["filename"] == "log.txt"
    assert (stored["sha256"], stored["size"]) == (hashlib.sha256(b"transcript").hexdigest(), 10)
    download = client.get(f"/api/evidence/{stored['id']}/content", headers=admin)
    assert (download.status_code, download.content) == (200, b"transcript")
    path = next(p for p in (runtime.settings.data_dir / "evidence").rglob("evd_*"))
    path.write_bytes(b"tampered")
    tampered = client.get(f"/api/evidence/{stored['id']}/content", headers=admin)
    assert (tampered.status_code, tampered.json()["code"]) == (503, "evidence_integrity")


def test_evidence_over_the_size_limit_is_refused_and_leaves_no_file(
    runtime: Runtime, cast: Cast, client: TestClient
) -> None:
    lab, admin = cast.headers("owner_lab"), cast.headers("admin")
    sub = ok(client.post("/api/submissions", json=submission_body(), headers=lab), 201)
    rev = ok(client.post("/api/reviews", json={"submission_id": sub["id"]}, headers=admin), 201)
    programme = Container(runtime).review
    small = ReviewProgramme(type(programme.context)(**{**programme.context.__dict__, "max_evidence_bytes": 8}))
    actor = principal_for(runtime, cast.users["admin"])
    with pytest.raises(PayloadTooLarge, match="evidence limit of 8 bytes"):
        small.evidence.upload(
            actor,
            rev["id"],
            filename="big.txt",
            content_type="text/plain",
            data=b"123456789",
            classification=Classification.CUI,
        )
    assert _count(runtime, "review_evidence") == 0


def test_a_failed_transaction_removes_the_files_it_placed(
    runtime: Runtime, cast: Cast, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab, admin = cast.headers("owner_lab"), cast.headers("admin")
    sub = ok(client.post("/api/submissions", json=submission_body(), headers=lab), 201)
    rev = ok(client.post("/api/reviews", json={"submission_id": sub["id"]}, headers=admin), 201)
    programme = Container(runtime).review
    actor = principal_for(runtime, cast.users["admin"])
    with pytest.raises(ReviewInputError, match=r"summary.scores\['ctf'\]"):
        programme.evidence.attach_eval_results(actor, rev["id"], {"scores": {"ctf": "high"}})
    missing_log = runtime.settings.data_dir / "no-such-log.json"
    with pytest.raises(ReviewInputError, match="cannot read evaluation log"):
        programme.evidence.attach_eval_results(actor, rev["id"], {"scores": {"ctf": 0.5}}, [missing_log])
    log = runtime.settings.data_dir / "run.json"
    log.write_text("{}")

    def crash(*_: object) -> None:
        raise RuntimeError("crash after the files were placed")

    monkeypatch.setattr("bastion.review.evidence.evidence_public", crash)
    with pytest.raises(RuntimeError, match="crash"):
        programme.evidence.attach_eval_results(actor, rev["id"], {"scores": {"ctf": 0.5}}, [log])
    assert _count(runtime, "review_evidence") == 0
    assert not list(runtime.settings.data_dir.rglob("evd_*"))
    assert ok(client.get(f"/api/submissions/{sub['id']}", headers=admin))["evaluation_scores"] == {}
