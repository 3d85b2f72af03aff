"""The AI triage assistant through the HTTP API, its model scripted with Inspect's ``mockllm/model``: a proposal
is recorded with its model, prompt hash and inputs, and applies nothing until a person confirms it (then its VEX
draft is the analyst's decision and the exposure leaves the worklist); a bad answer is a clear error, recorded;
another agency cannot see or ask about the exposure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from bastion.api.app import create_app
from bastion.container import Container
from bastion.defense.triage import SYSTEM, prompt_sha256
from bastion.runtime import Runtime
from tests.factories import verify_audit
from tests.integration.defense import fixtures
from tests.integration.defense.fixtures import Agencies
from tests.integration.defense.support import REQUIREMENTS
from tests.integration.defense.test_alerts import ADVISORY_ID, advisory, import_advisory, inventory

agencies = fixtures.agencies

PROPOSAL: dict[str, Any] = {
    "explanation": "Jinja2 2.10's sandbox can be escaped; only templates you render from untrusted input matter.",
    "reachability": "unlikely",
    "reachability_reasoning": "The import graph shows jinja2 only under docs/, never imported by the service.",
    "remediation": ["Upgrade jinja2 to 2.11.3 or later", "Remove jinja2 from the runtime image"],
    "vex": {
        "status": "not_affected",
        "justification": "vulnerable_code_not_in_execute_path",
        "detail": "jinja2 is only used to build the documentation.",
    },
}
EVIDENCE = [
    {"kind": "import_graph", "name": "pydeps payments", "text": "payments.api -> requests\ndocs.build -> jinja2"},
    {"kind": "code_excerpt", "name": "docs/build.py", "text": "from jinja2 import Environment\n"},
]


class Script:
    """The model's answers, in order (Inspect's mockllm with custom outputs), and the names it was asked for."""

    def __init__(self) -> None:
        self.answers: list[str] = []
        self.asked: list[str] = []

    def __call__(self, name: str) -> Any:
        from inspect_ai.model import ModelOutput, ModelUsage, get_model

        self.asked.append(name)
        outputs = []
        for text in self.answers:
            output = ModelOutput.from_content(model="mockllm/model", content=text)
            output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)  # no tiktoken download
            outputs.append(output)
        self.answers = []
        return get_model(name, custom_outputs=outputs)


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def api(runtime: Runtime, script: Script) -> Iterator[tuple[TestClient, Container]]:
    container = Container(runtime, triage_models=script)
    with TestClient(create_app(container)) as client:
        yield client, container


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _exposure(container: Container, agencies: Agencies, tmp_path: Path) -> tuple[str, int]:
    treasury = agencies.principals["treasury"]
    import_advisory(container, tmp_path, advisory())
    project = inventory(container, treasury, tmp_path, REQUIREMENTS)
    (exposure,) = [e for e in container.defense.exposures(treasury, project_id=project) if e.advisory_id == ADVISORY_ID]
    return project, exposure.id


def test_a_proposal_applies_nothing_until_a_person_confirms_it(
    api: tuple[TestClient, Container], agencies: Agencies, script: Script, tmp_path: Path
) -> None:
    client, container = api
    headers = agencies.headers("treasury")
    project, exposure_id = _exposure(container, agencies, tmp_path)
    script.answers = [f"Here is my assessment.\n```json\n{json.dumps(PROPOSAL)}\n```"]

    proposal = ok(
        client.post(
            f"/api/defense/exposures/{exposure_id}/triage",
            json={"model": "mockllm/model", "evidence": EVIDENCE},
            headers=headers,
        ),
        201,
    )
    assert script.asked == ["mockllm/model"]
    assert proposal["status"] == "proposed" and proposal["model"] == "mockllm/model"
    assert proposal["proposal"] == PROPOSAL
    inputs = proposal["inputs"]
    assert inputs["advisory_id"] == ADVISORY_ID and inputs["purl"] == "pkg:pypi/jinja2@2.10"
    assert inputs["evidence"] == EVIDENCE and inputs["fixed_versions"] == ["2.11.3"]
    assert "sandbox" in inputs["details"]
    from bastion.defense.triage import TriageInputs, prompt

    sent = prompt(TriageInputs(**_as_inputs(inputs)))
    assert proposal["prompt_sha256"] == prompt_sha256(SYSTEM, sent)

    # only a proposal: no VEX decision, the exposure still in the worklist
    assert ok(client.get(f"/api/defense/projects/{project}/vex", headers=headers)) == []
    worklist = ok(client.get("/api/defense/exposures", params={"project_id": project}, headers=headers))
    assert exposure_id in [e["id"] for e in worklist]

    confirmed = ok(
        client.post(f"/api/defense/triage/{proposal['id']}/confirm", json={"note": "agreed"}, headers=headers)
    )
    assert confirmed["status"] == "confirmed" and confirmed["vex_id"] and confirmed["decided_by"]
    (decision,) = ok(client.get(f"/api/defense/projects/{project}/vex", headers=headers))
    assert decision["id"] == confirmed["vex_id"] and decision["package"] == "pkg:pypi/jinja2"
    assert (decision["status"], decision["justification"]) == ("not_affected", "vulnerable_code_not_in_execute_path")
    worklist = ok(client.get("/api/defense/exposures", params={"project_id": project}, headers=headers))
    assert exposure_id not in [e["id"] for e in worklist]
    again = ok(client.post(f"/api/defense/triage/{proposal['id']}/confirm", json={}, headers=headers), 409)
    assert again["code"] == "triage_proposal_decided"
    listed = ok(client.get("/api/defense/triage", params={"exposure_id": exposure_id}, headers=headers))
    assert [p["id"] for p in listed["data"]] == [proposal["id"]]
    assert verify_audit(container.runtime).ok


def _as_inputs(record: dict[str, Any]) -> dict[str, Any]:
    from bastion.defense.triage import Evidence

    return {
        **record,
        "aliases": tuple(record["aliases"]),
        "fixed_versions": tuple(record["fixed_versions"]),
        "evidence": tuple(Evidence.model_validate(e) for e in record["evidence"]),
    }


def test_a_bad_answer_is_a_clear_recorded_error_and_a_proposal_can_be_rejected(
    api: tuple[TestClient, Container], agencies: Agencies, script: Script, tmp_path: Path
) -> None:
    client, container = api
    headers = agencies.headers("treasury")
    project, exposure_id = _exposure(container, agencies, tmp_path)
    url = f"/api/defense/exposures/{exposure_id}/triage"

    script.answers = ["You should probably upgrade, it looks bad."]
    bad = ok(client.post(url, json={"model": "mockllm/model"}, headers=headers), 503)
    assert bad["code"] == "triage_answer_invalid" and "not JSON" in bad["message"]
    recorded = ok(client.get(f"/api/defense/triage/{bad['details']['proposal_id']}", headers=headers))
    assert recorded["status"] == "invalid" and recorded["proposal"] is None and "not JSON" in recorded["problem"]
    assert ok(client.post(f"/api/defense/triage/{recorded['id']}/confirm", json={}, headers=headers), 409)

    wrong = {**PROPOSAL, "vex": {"status": "not_affected", "detail": "trust me"}}
    script.answers = [json.dumps(wrong)]
    unjustified = ok(client.post(url, json={"model": "mockllm/model"}, headers=headers), 503)
    assert "needs a justification" in unjustified["message"]

    script.answers = [json.dumps(PROPOSAL)]
    proposal = ok(client.post(url, json={"model": "mockllm/model"}, headers=headers), 201)
    rejected = ok(
        client.post(f"/api/defense/triage/{proposal['id']}/reject", json={"note": "used at runtime"}, headers=headers)
    )
    assert rejected["status"] == "rejected" and rejected["decision_note"] == "used at runtime"
    assert ok(client.get(f"/api/defense/projects/{project}/vex", headers=headers)) == []
    statuses = [p["status"] for p in ok(client.get("/api/defense/triage", headers=headers))["data"]]
    assert sorted(statuses) == ["invalid", "invalid", "rejected"]

    # bad requests are 400s naming the field; an unknown model provider is a clear operational error
    assert ok(client.post(url, json={"model": "mockllm/model", "evidence": [{"kind": "x"}]}, headers=headers), 400)
    failed = ok(client.post(url, json={"model": "no-such-provider/model"}, headers=headers), 503)
    assert failed["code"] == "triage_model_failed"


def test_another_agency_cannot_see_or_ask_about_an_exposure(
    api: tuple[TestClient, Container], agencies: Agencies, script: Script, tmp_path: Path
) -> None:
    client, container = api
    _, exposure_id = _exposure(container, agencies, tmp_path)
    script.answers = [json.dumps(PROPOSAL)]
    proposal = ok(
        client.post(
            f"/api/defense/exposures/{exposure_id}/triage",
            json={"model": "mockllm/model"},
            headers=agencies.headers("treasury"),
        ),
        201,
    )
    for who in ("energy", "admin"):
        headers = agencies.headers(who)
        missing = ok(client.get(f"/api/defense/triage/{proposal['id']}", headers=headers), 404)
        assert missing["code"] == "not_found"
        assert ok(client.post(f"/api/defense/triage/{proposal['id']}/confirm", json={}, headers=headers), 404)
        assert ok(
            client.post(
                f"/api/defense/exposures/{exposure_id}/triage", json={"model": "mockllm/model"}, headers=headers
            ),
            404,
        )
    assert ok(client.get("/api/defense/triage", headers=agencies.headers("energy")))["count"] == 0
    assert script.asked == ["mockllm/model"]  # nobody else's request reached a model
