"""Integrity of review content (issue 7, items 2, 8 and 9): markings are lowered only by a classification
authority with a written reason; every edit is audited with its old and new values (classified text as
digests); every read, write and refusal leaves an entry, closures by the scheduler too; a closed review is a
record, and access to the model ends with the review and with the lab's withdrawal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bastion.cli.main import main
from bastion.container import Container
from bastion.core.audit_models import AuditEvent
from bastion.core.clock import ManualClock
from bastion.core.principal import Classification, Role
from bastion.runtime import Runtime
from tests.factories import NSA, make_user, principal_for
from tests.integration.review.support import Cast, finding_body, ok, submission_body


def _review(client: TestClient, cast: Cast) -> tuple[str, str]:
    sub = ok(client.post("/api/submissions", json=submission_body(), headers=cast.headers("owner_lab")), 201)
    rev = ok(client.post("/api/reviews", json={"submission_id": sub["id"]}, headers=cast.headers("admin")), 201)
    _assign(client, cast, rev["id"], cast.users["assigned"])
    return sub["id"], rev["id"]


def _assign(client: TestClient, cast: Cast, review_id: str, user_id: str) -> None:
    body = {"user_id": user_id, "focus_areas": ["insider_risks"]}
    ok(client.post(f"/api/reviews/{review_id}/assignments", json=body, headers=cast.headers("admin")), 201)


def _second_evaluator(runtime: Runtime, client: TestClient, cast: Cast, review_id: str) -> dict[str, str]:
    user, token = make_user(runtime, NSA, [Role.EVALUATOR], Classification.SECRET)
    _assign(client, cast, review_id, user.id)
    return {"Authorization": f"Bearer {token}"}


def _authority(runtime: Runtime, client: TestClient, cast: Cast, review_id: str) -> tuple[str, dict[str, str]]:
    user, token = make_user(runtime, NSA, [Role.EVALUATOR, Role.CLASSIFICATION_AUTHORITY], Classification.TOP_SECRET)
    _assign(client, cast, review_id, user.id)
    return user.id, {"Authorization": f"Bearer {token}"}


def _events(runtime: Runtime, action: str, resource_id: str | None = None) -> list[AuditEvent]:
    with runtime.database.read_session() as session:
        query = sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        if resource_id is not None:
            query = query.where(AuditEvent.resource_id == resource_id)
        return list(session.scalars(query))


def _secret_finding(client: TestClient, cast: Cast, review_id: str, **overrides: Any) -> dict[str, Any]:
    body = finding_body(classification="SECRET", title="Weight exfiltration path", **overrides)
    return ok(client.post(f"/api/reviews/{review_id}/findings", json=body, headers=cast.headers("assigned")), 201)


# --- item 2: markings are lowered only by a classification authority, with a written reason -----------------


def test_no_evaluator_and_no_administrator_can_lower_a_marking(
    runtime: Runtime, client: TestClient, cast: Cast
) -> None:
    _, rev_id = _review(client, cast)
    fnd = _secret_finding(client, cast, rev_id)
    other = _second_evaluator(runtime, client, cast, rev_id)
    lower = {"classification": "UNCLASSIFIED", "reason": "no longer sensitive after the patch"}
    for headers in (cast.headers("assigned"), other, cast.headers("admin")):  # the author, another, the office
        response = client.patch(f"/api/findings/{fnd['id']}", json=lower, headers=headers)
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "classification_authority_required"
        assert "classification authority" in response.json()["message"]
    assert ok(client.get(f"/api/findings/{fnd['id']}", headers=cast.headers("admin")))["classification"] == "SECRET"
    refused = _events(runtime, "finding.update", fnd["id"])
    assert [(e.outcome, e.detail["code"]) for e in refused] == [("denied", "classification_authority_required")] * 3
    # raising it stays an evaluator's edit
    raised = client.patch(f"/api/findings/{fnd['id']}", json={"classification": "SECRET"}, headers=other)
    assert ok(raised)["classification"] == "SECRET"


def test_a_classification_authority_lowers_a_marking_only_with_a_written_reason(
    runtime: Runtime, client: TestClient, cast: Cast
) -> None:
    _, rev_id = _review(client, cast)
    fnd = _secret_finding(client, cast, rev_id)
    authority_id, authority = _authority(runtime, client, cast, rev_id)
    response = client.patch(f"/api/findings/{fnd['id']}", json={"classification": "CUI"}, headers=authority)
    assert response.status_code == 400, response.text
    assert "reason" in response.json()["message"]
    reason = "Declassified: the flaw is public in the vendor's advisory."
    done = client.patch(
        f"/api/findings/{fnd['id']}", json={"classification": "CUI", "reason": reason}, headers=authority
    )
    assert ok(done)["classification"] == "CUI"
    event = [e for e in _events(runtime, "finding.update", fnd["id"]) if e.outcome == "ok"][-1]
    assert event.actor_user_id == authority_id
    assert event.detail["old"] == {"classification": "SECRET"}
    assert event.detail["new"] == {"classification": "CUI"}
    assert event.detail["reason"] == reason


def test_a_classification_authority_needs_to_know_the_finding(runtime: Runtime, client: TestClient, cast: Cast) -> None:
    _, rev_id = _review(client, cast)
    fnd = _secret_finding(client, cast, rev_id)
    _, token = make_user(runtime, NSA, [Role.EVALUATOR, Role.CLASSIFICATION_AUTHORITY], Classification.TOP_SECRET)
    lower = {"classification": "CUI", "reason": "no longer sensitive after the patch"}
    response = client.patch(f"/api/findings/{fnd['id']}", json=lower, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404, response.text  # not assigned: the finding does not exist for them


def test_the_classification_authority_role_is_granted_like_any_other(client: TestClient, cast: Cast) -> None:
    admin = cast.headers("admin")
    body = {
        "org_id": NSA,
        "email": "oca@nsa.example.gov",
        "display_name": "Original Classification Authority",
        "roles": ["classification_authority", "evaluator"],
        "clearance": "TOP_SECRET",
    }
    created = ok(client.post("/api/users", json=body, headers=admin), 201)
    assert sorted(created["roles"]) == ["classification_authority", "evaluator"]
    lab = {**body, "org_id": cast.lab_org, "email": "oca@lab.example", "roles": ["classification_authority"]}
    refused = client.post("/api/users", json=lab, headers=admin)
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "role_not_allowed_for_organisation"


def test_every_finding_edit_is_audited_with_old_and_new_values_and_no_classified_text(
    runtime: Runtime, client: TestClient, cast: Cast
) -> None:
    _, rev_id = _review(client, cast)
    fnd = _secret_finding(client, cast, rev_id, severity="high")
    other = _second_evaluator(runtime, client, cast, rev_id)
    change = {"severity": "critical", "title": "Exfiltration via the fine-tuning adapter store"}
    ok(client.patch(f"/api/findings/{fnd['id']}", json=change, headers=other))
    event = _events(runtime, "finding.update", fnd["id"])[-1]
    assert event.detail["fields"] == ["severity", "title"]
    assert event.detail["old"]["severity"] == "high" and event.detail["new"]["severity"] == "critical"
    # the SECRET title is in the log only as its digest
    assert event.detail["old"]["title"].startswith("sha256:") and event.detail["new"]["title"].startswith("sha256:")
    assert "fine-tuning" not in str(event.detail) and "Weight exfiltration" not in str(event.detail)

    plain = ok(
        client.post(
            f"/api/reviews/{rev_id}/findings",
            json=finding_body(classification="UNCLASSIFIED", title="Old title"),
            headers=cast.headers("assigned"),
        ),
        201,
    )
    ok(client.patch(f"/api/findings/{plain['id']}", json={"title": "New title"}, headers=cast.headers("assigned")))
    event = _events(runtime, "finding.update", plain["id"])[-1]
    assert (event.detail["old"], event.detail["new"]) == ({"title": "Old title"}, {"title": "New title"})


def test_a_submission_edit_is_audited_with_old_and_new_values_but_never_the_credential(
    runtime: Runtime, client: TestClient, cast: Cast
) -> None:
    lab = cast.headers("owner_lab")
    sub = ok(client.post("/api/submissions", json=submission_body(), headers=lab), 201)
    change = {"training_compute_flop": 3e26, "access_credential": "owl-new-credential-456"}
    ok(client.patch(f"/api/submissions/{sub['id']}", json=change, headers=lab))
    event = _events(runtime, "submission.update", sub["id"])[-1]
    assert event.detail["old"]["training_compute_flop"] == 2e26
    assert event.detail["new"]["training_compute_flop"] == 3e26
    assert "access_credential" in event.detail["fields"]
    assert "owl-new-credential-456" not in str(event.detail) and "owl-secret-credential-123" not in str(event.detail)


def test_an_extension_answer_is_audited_with_the_deadline_before_and_after(
    runtime: Runtime, client: TestClient, cast: Cast
) -> None:
    _, rev_id = _review(client, cast)
    ext = ok(
        client.post(
            f"/api/reviews/{rev_id}/extensions",
            json={"days": 3, "reason": "more time for the exploitation tasks"},
            headers=cast.headers("admin"),
        ),
        201,
    )
    ok(client.post(f"/api/extensions/{ext['id']}/answer", json={"consent": True}, headers=cast.headers("owner_lab")))
    event = _events(runtime, "extension.answer", rev_id)[-1]
    assert event.detail["old"] == {"status": "proposed", "extension_days": 0}
    assert event.detail["new"] == {"status": "consented", "extension_days": 3}


# --- item 9: a closed review is a record; model access ends with it ----------------------------------------


def _shared_finding(client: TestClient, cast: Cast, review_id: str) -> dict[str, Any]:
    fnd = ok(
        client.post(f"/api/reviews/{review_id}/findings", json=finding_body(), headers=cast.headers("assigned")), 201
    )
    ok(client.patch(f"/api/findings/{fnd['id']}", json={"status": "confirmed"}, headers=cast.headers("assigned")))
    return ok(client.post(f"/api/findings/{fnd['id']}/share", headers=cast.headers("admin")))


def test_after_a_review_closes_no_one_edits_its_findings_but_the_lab_still_responds(
    runtime: Runtime, client: TestClient, cast: Cast
) -> None:
    _, rev_id = _review(client, cast)
    other = _second_evaluator(runtime, client, cast, rev_id)
    draft = ok(
        client.post(f"/api/reviews/{rev_id}/findings", json=finding_body(), headers=cast.headers("assigned")), 201
    )
    confirmed = ok(
        client.post(f"/api/reviews/{rev_id}/findings", json=finding_body(), headers=cast.headers("assigned")), 201
    )
    ok(client.patch(f"/api/findings/{confirmed['id']}", json={"status": "confirmed"}, headers=other))
    shared = _shared_finding(client, cast, rev_id)
    ok(client.post(f"/api/reviews/{rev_id}/release", json={}, headers=cast.headers("owner_lab")))

    attempts = [
        (draft["id"], {"severity": "low"}, other),
        (draft["id"], {"severity": "low"}, cast.headers("assigned")),
        (draft["id"], {"status": "confirmed"}, other),
        (draft["id"], {"classification": "SECRET"}, cast.headers("admin")),
        (shared["id"], {"status": "mitigated"}, other),
        (shared["id"], {"for_clearinghouse": True}, cast.headers("admin")),
    ]
    for finding_id, change, headers in attempts:
        response = client.patch(f"/api/findings/{finding_id}", json=change, headers=headers)
        assert response.status_code == 409, (change, response.text)
        assert response.json()["code"] == "review_closed"
    refused = client.post(f"/api/findings/{confirmed['id']}/share", headers=cast.headers("admin"))
    assert refused.status_code == 409 and refused.json()["code"] == "review_closed"
    after = ok(client.get(f"/api/findings/{draft['id']}", headers=cast.headers("admin")))
    assert (after["severity"], after["status"]) == ("high", "draft")

    answer = {"body": "We shipped a fix with the release."}
    ok(client.post(f"/api/findings/{shared['id']}/responses", json=answer, headers=cast.headers("owner_lab")), 201)
    conflicts = [e for e in _events(runtime, "finding.update") if e.outcome == "conflict"]
    assert len(conflicts) == len(attempts)


def test_after_a_review_closes_its_submission_and_selection_do_not_change(client: TestClient, cast: Cast) -> None:
    sub_id, rev_id = _review(client, cast)
    ok(client.post(f"/api/reviews/{rev_id}/release", json={}, headers=cast.headers("owner_lab")))
    edit = client.patch(f"/api/submissions/{sub_id}", json={"model_version": "3.1"}, headers=cast.headers("owner_lab"))
    assert edit.status_code == 409 and edit.json()["code"] == "review_closed", edit.text
    override = {"selected": False, "reason": "changed our minds after the fact"}
    decided = client.post(f"/api/submissions/{sub_id}/selection", json=override, headers=cast.headers("admin"))
    assert decided.status_code == 409 and decided.json()["code"] == "review_closed", decided.text
    nominated = client.post(
        f"/api/submissions/{sub_id}/nominations", json={"reason": "late nomination"}, headers=cast.headers("agency")
    )
    assert nominated.status_code == 409 and nominated.json()["code"] == "review_closed", nominated.text
    assert ok(client.get(f"/api/submissions/{sub_id}", headers=cast.headers("admin")))["model_version"] == "3.0"


def test_model_access_ends_when_the_lab_withdraws(client: TestClient, cast: Cast) -> None:
    sub_id, _ = _review(client, cast)
    access = ok(client.get(f"/api/submissions/{sub_id}/access", headers=cast.headers("assigned")))
    assert access["access_credential"] == "owl-secret-credential-123"
    ok(client.delete(f"/api/submissions/{sub_id}", headers=cast.headers("owner_lab")))
    for role in ("assigned", "admin"):
        response = client.get(f"/api/submissions/{sub_id}/access", headers=cast.headers(role))
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "model_access_ended"
        assert "owl-secret" not in response.text


def test_model_access_ends_with_the_review_window_and_the_credential_is_erased(
    runtime: Runtime, client: TestClient, cast: Cast, clock: ManualClock
) -> None:
    sub_id, rev_id = _review(client, cast)
    ok(client.get(f"/api/submissions/{sub_id}/access", headers=cast.headers("assigned")))
    clock.advance(timedelta(days=31))
    response = client.get(f"/api/submissions/{sub_id}/access", headers=cast.headers("assigned"))
    assert response.status_code == 409 and response.json()["code"] == "model_access_ended", response.text
    ok(client.post("/api/outbox/tick", headers=cast.headers("admin")))
    after = ok(client.get(f"/api/submissions/{sub_id}", headers=cast.headers("admin")))
    assert after["has_access_credential"] is False
    close = _events(runtime, "review.close", rev_id)[-1]
    assert close.detail["access_credential_erased"] is True


# --- item 8: every read, write and refusal leaves an entry --------------------------------------------------


def test_closures_by_the_scheduler_name_it_as_the_actor(
    runtime: Runtime, client: TestClient, cast: Cast, clock: ManualClock
) -> None:
    _, rev_id = _review(client, cast)
    clock.advance(timedelta(days=31))
    Container(runtime).review.reviews.tick()
    [close] = _events(runtime, "review.close", rev_id)
    assert close.actor_user_id == "system:scheduler"
    assert close.detail["reason"] == "window_elapsed"


def test_refusals_answered_400_and_409_are_recorded(runtime: Runtime, client: TestClient, cast: Cast) -> None:
    _, rev_id = _review(client, cast)
    evaluator = cast.headers("assigned")
    fnd = ok(client.post(f"/api/reviews/{rev_id}/findings", json=finding_body(), headers=evaluator), 201)
    conflict = client.patch(f"/api/findings/{fnd['id']}", json={"status": "mitigated"}, headers=evaluator)
    assert conflict.status_code == 409, conflict.text
    invalid = client.patch(f"/api/findings/{fnd['id']}", json={"status": "lab_responded"}, headers=evaluator)
    assert invalid.status_code == 400, invalid.text
    malformed = client.patch(f"/api/findings/{fnd['id']}", json={"severity": "apocalyptic"}, headers=evaluator)
    assert malformed.status_code == 400, malformed.text
    outcomes = [
        (e.outcome, e.detail.get("code"), e.actor_user_id) for e in _events(runtime, "finding.update", fnd["id"])
    ]
    user = cast.users["assigned"]
    assert ("conflict", "invalid_transition", user) in outcomes
    assert ("invalid", "invalid_input", user) in outcomes
    [shell] = [e for e in _events(runtime, "api.request") if e.detail["code"] == "invalid_request"]
    assert (shell.outcome, shell.actor_user_id, shell.resource_id) == (
        "invalid",
        user,
        f"PATCH /api/findings/{fnd['id']}",
    )


def test_eval_run_creation_and_reads_are_recorded(runtime: Runtime, client: TestClient, cast: Cast) -> None:
    container = Container(runtime)
    _, rev_id = _review(client, cast)
    evaluator = principal_for(runtime, cast.users["assigned"])
    run = container.evals.start_run(evaluator, model="mockllm/model", review_id=rev_id, tasks=None, limit=1)
    [created] = _events(runtime, "eval_run.create", run.id)
    assert created.actor_user_id == cast.users["assigned"] and created.detail["review_id"] == rev_id
    ok(client.get(f"/api/eval-runs/{run.id}", headers=cast.headers("assigned")))
    ok(client.get("/api/eval-runs", headers=cast.headers("assigned")))
    assert [e.actor_user_id for e in _events(runtime, "eval_run.read", run.id)] == [cast.users["assigned"]]
    assert [e.detail["count"] for e in _events(runtime, "eval_run.list")] == [1]
    missing = client.get(f"/api/eval-runs/{run.id}", headers=cast.headers("unassigned"))
    assert missing.status_code == 404
    assert [e.outcome for e in _events(runtime, "eval_run.read", run.id)] == ["ok", "not_found"]


def test_the_cli_grants_the_role_and_lowers_a_marking_with_a_reason(
    cli_env: Runtime,
    client: TestClient,
    cast: Cast,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, rev_id = _review(client, cast)
    fnd = _secret_finding(client, cast, rev_id)
    user, token = make_user(cli_env, NSA, [Role.EVALUATOR], Classification.TOP_SECRET)
    _assign(client, cast, rev_id, user.id)

    def run(bearer: str, *args: str) -> tuple[int, str]:
        monkeypatch.setenv("BASTION_TOKEN", bearer)
        code = main(list(args))
        return code, capsys.readouterr().err

    lower = ["review", "update-finding", fnd["id"], "--classification", "CUI"]
    code, err = run(token, *lower, "--reason", "public in the vendor's advisory since Monday")
    assert code != 0 and "classification authority" in err
    grant = ["users", "update", user.id, "--role", "evaluator", "--role", "classification_authority"]
    assert run(cast.tokens["admin"], *grant)[0] == 0
    code, err = run(token, *lower)
    assert code == 2 and "reason" in err
    assert run(token, *lower, "--reason", "public in the vendor's advisory since Monday")[0] == 0
    assert ok(client.get(f"/api/findings/{fnd['id']}", headers=cast.headers("admin")))["classification"] == "CUI"
