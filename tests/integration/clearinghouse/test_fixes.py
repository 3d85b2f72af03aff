"""Fixes and patch candidates in the sandbox, the AI patcher scripted with Inspect's mockllm, a C target whose
crash state (AddressSanitizer's top frames) deduplicates a second report, and review findings flagged for
the clearinghouse. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from bastion.clearinghouse.patcher import AiPatcher
from bastion.container import Container
from bastion.core.audit_models import AuditEvent
from bastion.core.principal import Classification, Role
from bastion.review.lifecycle import FindingStatus, FocusArea, Severity
from bastion.review.schemas import AssignmentCreate, FindingCreate, FindingUpdate, ReviewCreate, SubmissionCreate
from bastion.runtime import Runtime
from tests.factories import NSA, make_org, make_user, principal_for
from tests.integration.clearinghouse.conftest import ok, run_jobs
from tests.integration.clearinghouse.support import BREAKING_PATCH, CRASHY, PATCH, Cast, b64, recparse_report

CH = "/api/clearinghouse"


def _validated_case(client: TestClient, cast: Cast, container: Container, tmp_path: Path) -> str:
    draft = recparse_report(tmp_path, fixed_target=None)
    ack = ok(
        client.post(f"{CH}/reports", json={"client_key": "f1", "report": draft}, headers=cast.headers("reporter")), 201
    )
    run_jobs(container)
    decision = {"decision": "accept", "reason": "validated"}
    return str(
        ok(
            client.post(
                f"{CH}/reports/{ack['reports'][0]['id']}/decision", json=decision, headers=cast.headers("analyst")
            )
        )["case_id"]
    )


def test_a_patch_counts_only_if_it_applies_builds_stops_the_reproducer_and_keeps_the_tests_passing(
    client: TestClient, cast: Cast, container: Container, acme_vendor: str, tmp_path: Path
) -> None:
    case_id = _validated_case(client, cast, container, tmp_path)
    patches = {
        "good": PATCH,
        "breaks tests": BREAKING_PATCH,
        "does not apply": PATCH.replace("eval(value)", "evaluate(value)"),
    }
    ids = {}
    for name, text in patches.items():
        body = {"patch": {"name": "candidate.patch", "content": b64(text)}, "note": name}
        ids[name] = ok(client.post(f"{CH}/cases/{case_id}/patches", json=body, headers=cast.headers("reporter")), 201)[
            "id"
        ]
    assert run_jobs(container) == ["succeeded"] * 3
    fixes = {f["id"]: f for f in ok(client.get(f"{CH}/cases/{case_id}/fixes", headers=cast.headers("acme")))}
    good, breaking, stale = (fixes[ids[n]] for n in patches)
    assert good["status"] == "verified"
    assert good["detail"]["checks"] == {"applies": True, "builds": True, "reproducer_stops": True, "tests_pass": True}
    assert breaking["status"] == "not_verified" and breaking["detail"]["reason"] == "failed: tests_pass"
    assert stale["status"] == "not_verified" and stale["detail"]["checks"]["applies"] is False
    outsider = {"patch": {"name": "x.patch", "content": b64(PATCH)}}
    assert (
        ok(client.post(f"{CH}/cases/{case_id}/patches", json=outsider, headers=cast.headers("other_vendor")), 404)[
            "code"
        ]
        == "not_found"
    )


def test_the_ai_patcher_learns_from_a_rejected_patch(runtime: Runtime, cast: Cast, tmp_path: Path) -> None:
    from inspect_ai.model import ModelOutput, ModelUsage, get_model

    answers = [
        ModelOutput.from_content(model="mockllm/model", content="Replace eval with something safer."),
        ModelOutput.from_content(model="mockllm/model", content=f"```diff\n{PATCH}```"),
    ]
    for answer in answers:  # set usage so mockllm does not count tokens with tiktoken (it downloads encodings)
        answer.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    seen: list[str] = []
    model = get_model("mockllm/model", custom_outputs=answers)  # one script across the patcher's attempts

    def scripted(name: str) -> Any:
        seen.append(name)
        return model

    container = Container(runtime, patcher=AiPatcher(scripted))
    with TestClient(__import__("bastion.api.app", fromlist=["create_app"]).create_app(container)) as client:
        ok(
            client.post(
                f"{CH}/vendors",
                json={"org_id": cast.orgs["acme"], "products": [{"purl": "pkg:pypi/recparse"}]},
                headers=cast.headers("analyst"),
            ),
            201,
        )
        case_id = _validated_case(client, cast, container, tmp_path)
        queued = ok(
            client.post(
                f"{CH}/cases/{case_id}/ai-patch",
                json={"model": "mockllm/model", "attempts": 3},
                headers=cast.headers("analyst"),
            ),
            201,
        )
        assert queued["job_id"]
        jobs = [j for j in container.clearinghouse.worker().run_until_idle() if j.kind == "clearinghouse.ai_patch"]
        assert [j.status.value for j in jobs] == ["succeeded"] and jobs[0].result is not None
        assert jobs[0].result["attempts"] == 2 and jobs[0].result["verified"]
        fixes = ok(client.get(f"{CH}/cases/{case_id}/fixes", headers=cast.headers("analyst")))
    assert seen == ["mockllm/model", "mockllm/model"]
    assert [(f["origin"], f["status"]) for f in fixes] == [("ai_patcher", "not_verified"), ("ai_patcher", "verified")]
    assert fixes[1]["model"] == "mockllm/model" and fixes[1]["detail"]["checks"]["tests_pass"] is True


def test_a_c_crash_is_validated_by_its_sanitizer_report_and_its_crash_state_deduplicates(
    client: TestClient, cast: Cast, container: Container
) -> None:
    def report(title: str, description: str, key: str, who: str) -> str:
        body = {
            "title": title,
            "description": description,
            "purl": "pkg:generic/acme/crashy",
            "cwe": "CWE-122",
            "reproducer": {
                "command": ["target/crashy", "A" * 64],
                "signal": {"kind": "sanitizer", "value": "heap-buffer-overflow"},
            },
            "target": {
                "kind": "files",
                "files": [{"name": "crashy.c", "content": b64(CRASHY)}],
                "build": ["cc", "-g", "-fsanitize=address", "-o", "crashy", "crashy.c"],
            },
        }
        ack = ok(client.post(f"{CH}/reports", json={"client_key": key, "report": body}, headers=cast.headers(who)), 201)
        return str(ack["reports"][0]["id"])

    first = report(
        "Heap overflow in crashy's greeting", "A long name overflows the 16-byte name buffer.", "c1", "reporter"
    )
    run_jobs(container)
    second = report(
        "crashy dies on long input", "Passing 64 characters makes the program abort in ASan.", "c2", "reporter2"
    )
    run_jobs(container)
    one = ok(client.get(f"{CH}/reports/{first}", headers=cast.headers("analyst")))
    assert one["status"] == "validated" and one["crash_state"] == ["copy_name", "main"]
    assert one["validations"][0]["detail"]["vulnerable"]["sanitizer"] == "AddressSanitizer: heap-buffer-overflow"
    two = ok(client.get(f"{CH}/reports/{second}", headers=cast.headers("analyst")))
    assert two["status"] == "duplicate" and two["duplicate_of"] == first
    assert two["duplicate_reason"].startswith("fingerprint")


def test_a_flagged_review_finding_becomes_a_report_and_keeps_its_marking(
    runtime: Runtime, client: TestClient, cast: Cast, container: Container
) -> None:
    programme = container.review
    lab = make_org(runtime, "Frontier Lab Gamma")
    submitter, _ = make_user(runtime, lab.id, [Role.LAB_SUBMITTER], Classification.CUI)
    evaluator, token = make_user(runtime, NSA, [Role.EVALUATOR], Classification.SECRET)
    admin = principal_for(runtime, cast.users["admin"])
    sub = programme.submissions.create(
        principal_for(runtime, submitter.id),
        SubmissionCreate(
            model_name="G", model_version="1", developer="Gamma", training_compute_flop=1e26, modalities=["text"]
        ),
    )
    review = programme.reviews.open(admin, ReviewCreate(submission_id=sub.id))
    programme.assignments.assign(
        admin, review.id, AssignmentCreate(user_id=evaluator.id, focus_areas=[FocusArea.DIGITAL_INFRASTRUCTURE])
    )
    actor = principal_for(runtime, evaluator.id)
    findings = {}
    for level in (Classification.CUI, Classification.SECRET):
        created = programme.findings.create(
            actor,
            review.id,
            FindingCreate(
                title=f"Model writes an exploit for recparse ({level.name})",
                focus_area=FocusArea.DIGITAL_INFRASTRUCTURE,
                severity=Severity.HIGH,
                classification=level,
                description="The model found code injection in pkg:pypi/recparse parse() and exploited it.",
                for_clearinghouse=True,
            ),
        )
        programme.findings.update(actor, created.id, FindingUpdate(status=FindingStatus.CONFIRMED))
        findings[level] = created.id
    headers = {"Authorization": f"Bearer {token}"}
    cui = ok(client.post(f"{CH}/findings/{findings[Classification.CUI]}/report", json={}, headers=headers), 201)
    report = ok(client.get(f"{CH}/reports/{cui['reports'][0]['id']}", headers=cast.headers("analyst")))
    assert (
        report["classification"] == "CUI"
        and report["purl"] == "pkg:pypi/recparse"
        and report["source"] == "review_finding"
    )
    # a vendor contact (uncleared) cannot see a CUI report even in lists
    assert ok(client.get(f"{CH}/reports", headers=cast.headers("acme")))["count"] == 0
    secret = findings[Classification.SECRET]
    refused = ok(client.post(f"{CH}/findings/{secret}/report", json={}, headers=headers), 400)
    assert "explicit release decision" in refused["message"]
    released = ok(
        client.post(
            f"{CH}/findings/{secret}/report",
            json={"release_reason": "releasable summary approved by NSA"},
            headers=headers,
        ),
        201,
    )
    assert (
        ok(client.get(f"{CH}/reports/{released['reports'][0]['id']}", headers=cast.headers("analyst")))[
            "classification"
        ]
        == "SECRET"
    )
    with container.runtime.database.read_session() as session:
        decisions = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "report.release_decision")).all()
    assert [e.detail["reason"] for e in decisions] == ["releasable summary approved by NSA"]


def test_a_vendor_fix_by_commit_and_patch_is_verified_and_one_that_still_triggers_is_not(
    client: TestClient, cast: Cast, container: Container, acme_vendor: str, tmp_path: Path
) -> None:
    case_id = _validated_case(client, cast, container, tmp_path)
    fixes = f"{CH}/cases/{case_id}/fixes"
    wrong = {"fixed_version": "1.0.1", "target": recparse_report(tmp_path)["target"]}  # the vulnerable code again
    not_fixed = ok(client.post(fixes, json=wrong, headers=cast.headers("acme")), 201)
    by_commit = {"commit": "9F3A2C1D", "patch": {"name": "fix.patch", "content": b64(PATCH)}}
    patched = ok(client.post(fixes, json=by_commit, headers=cast.headers("acme")), 201)
    by_purl = {"fixed_version": "1.0.1", "target": {"kind": "purl", "purl": "pkg:pypi/recparse@1.0.1"}}
    offline = client.post(fixes, json=by_purl, headers=cast.headers("acme"))
    assert offline.status_code == 400 and "fetches no packages" in offline.json()["message"]
    assert run_jobs(container) == ["succeeded"] * 2
    seen = {f["id"]: f for f in ok(client.get(fixes, headers=cast.headers("analyst")))}
    assert seen[not_fixed["id"]]["status"] == "not_verified"
    assert seen[not_fixed["id"]]["detail"]["checks"]["reproducer_stops"] is False
    assert (seen[patched["id"]]["status"], seen[patched["id"]]["commit"]) == ("verified", "9f3a2c1d")
    assert seen[patched["id"]]["detail"]["checks"] == {
        "applies": True,
        "builds": True,
        "reproducer_stops": True,
        "tests_pass": True,
    }
    case = ok(client.get(f"{CH}/cases/{case_id}", headers=cast.headers("acme")))
    assert case["vendors"][0]["status"] == "fixed" and case["fixed_at"]
    # only a vendor in the case declares its fix
    refused = client.post(fixes, json=by_commit, headers=cast.headers("reporter"))
    assert refused.status_code == 409 and refused.json()["code"] == "not_a_vendor_in_case"
