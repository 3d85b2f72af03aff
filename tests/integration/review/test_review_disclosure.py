"""What the review discloses, and to whom, through the real API on both databases (issue 7, items 1, 5, 6, 14).

- Evaluation scores are review content: they keep the marking and need to know of the evidence they came
  from, wherever a submission or a selection is shown; the selection engine still reads all of them.
- Labs do not write the programme's measured scores.
- Evidence about a finding is marked at least at the finding's level, and never shows a finding the reader
  may not see.
- Labs learn neither which other labs take part nor who on the programme's staff did what.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bastion.cli.main import main
from bastion.container import Container
from bastion.review.demo import seed_demo
from bastion.review.models import SelectionDecisionRow
from bastion.runtime import Runtime
from tests.factories import auth_headers
from tests.integration.review.support import Cast, finding_body, ok, submission_body

SECRET_SCORES = {"exploitation": 0.64, "vuln_identification": 0.48}
SECRET_REFERENCES = {"exploitation": {"Alpha-3": 0.41}}
FIGURES = ("0.64", "0.48", "0.41")
LAB_READERS = ("owner_lab", "lab_lead", "lab_viewer")


def _review(client: TestClient, cast: Cast, **submission: Any) -> tuple[str, str]:
    sub = ok(
        client.post("/api/submissions", json=submission_body(**submission), headers=cast.headers("owner_lab")), 201
    )
    admin = cast.headers("admin")
    if sub["selection"] != "selected":
        board = {"selected": True, "reason": "Selected by the programme board."}
        ok(client.post(f"/api/submissions/{sub['id']}/selection", json=board, headers=admin))
    rev = ok(client.post("/api/reviews", json={"submission_id": sub["id"]}, headers=admin), 201)
    assign = {"user_id": cast.users["assigned"], "focus_areas": ["insider_risks"]}
    ok(client.post(f"/api/reviews/{rev['id']}/assignments", json=assign, headers=admin), 201)
    return sub["id"], rev["id"]


def _attach(client: TestClient, cast: Cast, rev_id: str, who: str, summary: dict[str, Any], level: str) -> None:
    body = {"summary": summary, "classification": level}
    ok(client.post(f"/api/reviews/{rev_id}/eval-results", json=body, headers=cast.headers(who)), 201)


def _scored_review(client: TestClient, cast: Cast) -> tuple[str, str]:
    """A CUI review holding TOP SECRET scores (attached by the administrator) and CUI ones (the evaluator's)."""
    sub_id, rev_id = _review(client, cast)
    top = {"run_id": "battery-ts", "scores": SECRET_SCORES, "reference_scores": SECRET_REFERENCES}
    _attach(client, cast, rev_id, "admin", top, "TOP_SECRET")
    _attach(client, cast, rev_id, "assigned", {"run_id": "battery-cui", "scores": {"patching": 0.3}}, "CUI")
    return sub_id, rev_id


def _submission_views(client: TestClient, cast: Cast, role: str, sub_id: str) -> list[dict[str, Any]]:
    """The submission as ``role`` reads it: alone and in the list."""
    one = ok(client.get(f"/api/submissions/{sub_id}", headers=cast.headers(role)))
    listed = [s for s in ok(client.get("/api/submissions", headers=cast.headers(role)))["data"] if s["id"] == sub_id]
    return [one, *listed]


def test_scores_keep_the_marking_and_need_to_know_of_their_evidence(client: TestClient, cast: Cast) -> None:
    sub_id, _ = _scored_review(client, cast)
    # the lab (whatever its people's clearance) and an agency reviewer not on the review see no scores at all
    for role in (*LAB_READERS, "agency"):
        for view in _submission_views(client, cast, role, sub_id):
            assert (view["evaluation_scores"], view["reference_scores"]) == ({}, {}), role
    # the SECRET evaluator on the review sees the CUI run's scores, not the TOP SECRET ones
    for view in _submission_views(client, cast, "assigned", sub_id):
        assert (view["evaluation_scores"], view["reference_scores"]) == ({"patching": 0.3}, {})
    # the TOP SECRET administrator sees them all
    for view in _submission_views(client, cast, "admin", sub_id):
        assert view["evaluation_scores"] == {**SECRET_SCORES, "patching": 0.3}
        assert view["reference_scores"] == SECRET_REFERENCES


def test_selection_reads_every_score_but_shows_the_figures_only_to_those_who_may_read_them(
    client: TestClient, cast: Cast
) -> None:
    sub_id, _ = _scored_review(client, cast)
    evaluated = ok(client.post(f"/api/submissions/{sub_id}/selection/evaluate", headers=cast.headers("admin")))
    # the engine read the TOP SECRET scores on the server: the margin rule fired on them
    assert "cyber-eval-margin" in evaluated["current"]["fired_rules"]
    [margin] = [r for r in evaluated["current"]["rule_results"] if r["rule_id"] == "cyber-eval-margin"]
    assert margin["explanation"] == "exploitation: 0.64 >= best reference Alpha-3 0.41 + margin 0.05"
    # an agency reviewer (SECRET, not on the review) reads the rationale, but not the figures behind it
    for answer in (
        client.get(f"/api/submissions/{sub_id}/selection", headers=cast.headers("agency")),
        client.post(f"/api/submissions/{sub_id}/selection/evaluate", headers=cast.headers("agency")),
    ):
        seen = ok(answer)
        assert "cyber-eval-margin" in seen["current"]["fired_rules"]
        explanations = " ".join(r["explanation"] for d in seen["history"] for r in d["rule_results"])
        assert not any(figure in explanations for figure in FIGURES), explanations
        [withheld] = [r for r in seen["current"]["rule_results"] if r["rule_id"] == "cyber-eval-margin"]
        assert withheld["explanation"].startswith("withheld")
    # the lab reads its status only
    lab = ok(client.get(f"/api/submissions/{sub_id}/selection", headers=cast.headers("owner_lab")))
    assert lab == {"submission_id": sub_id, "status": "selected", "current": None, "history": None, "nominations": None}


def test_reports_show_scores_only_at_the_readers_level(client: TestClient, cast: Cast) -> None:
    _, rev_id = _scored_review(client, cast)
    for role, variant in (("owner_lab", "lab"), ("lab_lead", "lab"), ("assigned", "full")):
        report = client.get(f"/api/reviews/{rev_id}/report", headers=cast.headers(role))
        assert report.status_code == 200, report.text
        assert f"-{variant}.md" in report.headers["content-disposition"]
        assert not any(figure in report.text for figure in FIGURES), (role, report.text)
    assert (
        "vuln_identification: 0.48" in client.get(f"/api/reviews/{rev_id}/report", headers=cast.headers("admin")).text
    )


def test_the_demo_shows_its_lab_no_scores(client: TestClient, container: Container) -> None:
    seeded = seed_demo(container)
    sub_id = seeded.ids["submission"]
    for label in ("alpha-submitter", "alpha-viewer"):
        headers = auth_headers(seeded.tokens[label])
        one = ok(client.get(f"/api/submissions/{sub_id}", headers=headers))
        for view in (one, *ok(client.get("/api/submissions", headers=headers))["data"]):
            assert (view["evaluation_scores"], view["reference_scores"]) == ({}, {}), label
    admin = ok(client.get(f"/api/submissions/{sub_id}", headers=auth_headers(seeded.tokens["programme-admin"])))
    assert admin["evaluation_scores"]["vuln_identification"] == 0.48


def test_labs_cannot_write_the_programmes_scores(client: TestClient, cast: Cast) -> None:
    lab = cast.headers("owner_lab")
    for field, value in (
        ("evaluation_scores", {"exploitation": 0.99}),
        ("reference_scores", {"exploitation": {"x": 0.0}}),
    ):
        created = client.post("/api/submissions", json=submission_body(**{field: value}), headers=lab)
        assert created.status_code == 400, created.text
        assert [p["field"] for p in created.json()["details"]["problems"]] == [field]
    assert ok(client.get("/api/submissions", headers=lab))["count"] == 0

    sub_id, rev_id = _review(client, cast, training_compute_flop=1e24)  # selected by no rule of its own
    before = ok(client.get(f"/api/submissions/{sub_id}", headers=cast.headers("admin")))
    for field, value in (
        ("evaluation_scores", {"exploitation": 0.99}),
        ("reference_scores", {"exploitation": {"x": 0.0}}),
    ):
        for who in ("owner_lab", "lab_lead"):
            changed = client.patch(f"/api/submissions/{sub_id}", json={field: value}, headers=cast.headers(who))
            assert changed.status_code == 400, changed.text
            assert field in changed.text
    after = ok(client.get(f"/api/submissions/{sub_id}", headers=cast.headers("admin")))
    assert after == before
    # only measured figures feed selection: the margin rule has nothing to read
    evaluated = ok(client.post(f"/api/submissions/{sub_id}/selection/evaluate", headers=cast.headers("admin")))
    assert "cyber-eval-margin" not in evaluated["current"]["fired_rules"]
    _attach(
        client,
        cast,
        rev_id,
        "assigned",
        {"scores": {"exploitation": 0.9}, "reference_scores": {"exploitation": {"x": 0.1}}},
        "CUI",
    )
    evaluated = ok(client.post(f"/api/submissions/{sub_id}/selection/evaluate", headers=cast.headers("admin")))
    assert "cyber-eval-margin" in evaluated["current"]["fired_rules"]


def _upload(client: TestClient, cast: Cast, rev_id: str, level: str, finding_id: str, who: str = "assigned") -> Any:
    files = {"file": ("trace.txt", b"exfiltration trace", "text/plain")}
    data = {"classification": level, "finding_id": finding_id}
    return client.post(f"/api/reviews/{rev_id}/evidence", files=files, data=data, headers=cast.headers(who))


def test_evidence_is_marked_at_least_at_its_findings_level(client: TestClient, cast: Cast) -> None:
    _, rev_id = _review(client, cast)
    evaluator = cast.headers("assigned")
    fnd = ok(
        client.post(f"/api/reviews/{rev_id}/findings", json=finding_body(classification="SECRET"), headers=evaluator),
        201,
    )
    for level in ("UNCLASSIFIED", "CUI", "CONFIDENTIAL"):
        refused = _upload(client, cast, rev_id, level, fnd["id"])
        assert refused.status_code == 400, refused.text
        assert refused.json()["code"] == "marking_below_finding"
        assert "at least SECRET" in refused.json()["message"]
    assert ok(client.get(f"/api/reviews/{rev_id}/evidence", headers=evaluator))["count"] == 0
    stored = ok(_upload(client, cast, rev_id, "SECRET", fnd["id"]), 201)
    assert (stored["classification"], stored["finding_id"]) == ("SECRET", fnd["id"])


def test_evidence_follows_its_finding_up_and_never_shows_a_finding_the_reader_cannot_see(
    client: TestClient, cast: Cast
) -> None:
    _, rev_id = _review(client, cast)
    evaluator = cast.headers("assigned")  # SECRET
    fnd = ok(client.post(f"/api/reviews/{rev_id}/findings", json=finding_body(), headers=evaluator), 201)
    evd = ok(_upload(client, cast, rev_id, "CUI", fnd["id"]), 201)
    other = ok(_upload(client, cast, rev_id, "CUI", fnd["id"]), 201)
    # the programme office marks the finding TOP SECRET: its evidence is now read as TOP SECRET too
    ok(client.patch(f"/api/findings/{fnd['id']}", json={"classification": "TOP_SECRET"}, headers=cast.headers("admin")))
    listed = client.get(f"/api/reviews/{rev_id}/evidence", headers=evaluator)
    assert ok(listed)["count"] == 0
    assert fnd["id"] not in listed.text
    for path in (f"/api/evidence/{evd['id']}", f"/api/evidence/{other['id']}/content"):
        assert client.get(path, headers=evaluator).status_code == 404
    admin = ok(client.get(f"/api/evidence/{evd['id']}", headers=cast.headers("admin")))
    assert (admin["classification"], admin["finding_id"]) == ("TOP_SECRET", fnd["id"])


def test_labs_see_only_their_own_organisation(client: TestClient, cast: Cast) -> None:
    everyone = {o["id"] for o in ok(client.get("/api/organisations", headers=cast.headers("admin")))["data"]}
    assert {cast.lab_org, cast.other_lab_org} <= everyone and len(everyone) > 2
    for role, org in (("owner_lab", cast.lab_org), ("lab_viewer", cast.lab_org), ("other_lab", cast.other_lab_org)):
        seen = ok(client.get("/api/organisations", headers=cast.headers(role)))
        assert [o["id"] for o in seen["data"]] == [org], role
    for role in ("agency", "assigned"):  # programme staff see who takes part
        assert {o["id"] for o in ok(client.get("/api/organisations", headers=cast.headers(role)))["data"]} == everyone


def test_labs_see_no_programme_staff_ids(client: TestClient, cast: Cast) -> None:
    sub_id, rev_id = _review(client, cast)
    admin, evaluator, lab = cast.headers("admin"), cast.headers("assigned"), cast.headers("owner_lab")
    ext = {"days": 3, "reason": "More time for the infrastructure tests."}
    proposed = ok(client.post(f"/api/reviews/{rev_id}/extensions", json=ext, headers=admin), 201)
    ok(client.post(f"/api/extensions/{proposed['id']}/answer", json={"consent": True}, headers=lab))
    offered = ok(client.post(f"/api/reviews/{rev_id}/extensions", json=ext, headers=lab), 201)
    fnd = ok(client.post(f"/api/reviews/{rev_id}/findings", json=finding_body(), headers=evaluator), 201)
    ok(client.patch(f"/api/findings/{fnd['id']}", json={"status": "confirmed"}, headers=evaluator))
    ok(client.post(f"/api/findings/{fnd['id']}/share", headers=admin))
    ok(client.post(f"/api/findings/{fnd['id']}/responses", json={"body": "Fixed before release."}, headers=lab), 201)
    ok(client.post(f"/api/findings/{fnd['id']}/responses", json={"body": "Noted by the office."}, headers=admin), 201)
    staff = [cast.users[r] for r in ("admin", "assigned", "agency")]

    extensions = ok(client.get(f"/api/reviews/{rev_id}/extensions", headers=lab))["data"]
    assert [(e["proposed_by"], e["answered_by"]) for e in extensions] == [
        (None, cast.users["owner_lab"]),  # the office proposed; the lab's own submitter answered
        (cast.users["owner_lab"], cast.users["owner_lab"]),  # the lab offered it itself
    ]
    assert offered["proposed_by"] == cast.users["owner_lab"]
    finding = ok(client.get(f"/api/findings/{fnd['id']}", headers=lab))
    assert finding["created_by"] is None
    authors = {r["body"]: r["author_id"] for r in finding["responses"]}
    assert authors == {"Fixed before release.": cast.users["owner_lab"], "Noted by the office.": None}
    # no list or record a lab reads names anyone on the staff
    for role in ("owner_lab", "lab_viewer"):
        headers = cast.headers(role)
        for path in (
            "/api/submissions",
            f"/api/submissions/{sub_id}",
            f"/api/submissions/{sub_id}/selection",
            "/api/reviews",
            f"/api/reviews/{rev_id}",
            f"/api/reviews/{rev_id}/extensions",
            f"/api/reviews/{rev_id}/findings",
            f"/api/findings/{fnd['id']}",
            f"/api/reviews/{rev_id}/report",
            "/api/organisations",
            "/api/users",
            "/api/tokens",
            "/api/me",
        ):
            answer = client.get(path, headers=headers)
            assert answer.status_code == 200, (path, answer.text)
            assert not any(user_id in answer.text for user_id in staff), (role, path, answer.text)
    # programme staff still see who did what
    staff_view = ok(client.get(f"/api/reviews/{rev_id}/extensions", headers=evaluator))["data"]
    assert staff_view[0]["proposed_by"] == cast.users["admin"]
    assert ok(client.get(f"/api/findings/{fnd['id']}", headers=admin))["created_by"] == cast.users["assigned"]


@pytest.mark.usefixtures("cli_env")
def test_the_cli_shows_the_lab_no_scores(
    client: TestClient, cast: Cast, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sub_id, _ = _scored_review(client, cast)
    for role, expected in (("owner_lab", {}), ("agency", {}), ("admin", {**SECRET_SCORES, "patching": 0.3})):
        monkeypatch.setenv("BASTION_TOKEN", cast.tokens[role])
        assert main(["review", "submission", sub_id]) == 0
        shown = json.loads(capsys.readouterr().out)
        assert shown["evaluation_scores"] == expected, role


def test_a_rationale_recorded_before_markings_were_kept_is_withheld(
    runtime: Runtime, client: TestClient, cast: Cast
) -> None:
    sub_id, _ = _scored_review(client, cast)
    ok(client.post(f"/api/submissions/{sub_id}/selection/evaluate", headers=cast.headers("admin")))
    with runtime.database.session() as session:  # as a decision stored by an earlier version
        for row in session.scalars(sa.select(SelectionDecisionRow)):
            row.rule_results = [{k: v for k, v in r.items() if k != "evidence_marking"} for r in row.rule_results]
    agency = ok(client.get(f"/api/submissions/{sub_id}/selection", headers=cast.headers("agency")))
    [margin] = [r for r in agency["current"]["rule_results"] if r["rule_id"] == "cyber-eval-margin"]
    assert margin["explanation"].startswith("withheld")
    admin = ok(client.get(f"/api/submissions/{sub_id}/selection", headers=cast.headers("admin")))
    [margin] = [r for r in admin["current"]["rule_results"] if r["rule_id"] == "cyber-eval-margin"]
    assert "0.64" in margin["explanation"]
