"""The triage assistant's answer: parsed and validated, a bad one a clear error naming what was wrong."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bastion.defense.triage import (
    Evidence,
    EvidenceKind,
    Reachability,
    TriageAnswerInvalid,
    TriageInputInvalid,
    TriageInputs,
    VexStatus,
    parse_answer,
    prompt,
    prompt_sha256,
)

GOOD: dict[str, Any] = {
    "explanation": "jinja2's sandbox can be escaped through str.format.",
    "reachability": "unlikely",
    "reachability_reasoning": "The import graph shows jinja2 only in the docs build.",
    "remediation": ["Upgrade jinja2 to 2.10.1", "Rebuild the docs image"],
    "vex": {
        "status": "not_affected",
        "justification": "vulnerable_code_not_in_execute_path",
        "detail": "The sandbox is never used.",
    },
}


def _inputs(*evidence: Evidence) -> TriageInputs:
    return TriageInputs(
        exposure_id="12",
        project="payments-api",
        purl="pkg:pypi/jinja2@2.10",
        advisory_id="GHSA-462w-v97r-4m45",
        aliases=("CVE-2019-10906",),
        summary="Sandbox escape",
        details="str.format allows escaping the sandbox",
        severity="CVSS:3.1 8.6 (high)",
        fixed_versions=("2.10.1",),
        in_kev=False,
        evidence=evidence,
    )


def test_a_fenced_json_answer_is_parsed() -> None:
    answer = parse_answer(f"Here is my proposal:\n```json\n{json.dumps(GOOD)}\n```\n")
    assert answer.reachability is Reachability.UNLIKELY
    assert answer.vex.status is VexStatus.NOT_AFFECTED and answer.remediation[0] == "Upgrade jinja2 to 2.10.1"
    assert parse_answer(json.dumps(GOOD)) == answer  # a bare JSON answer too


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ("I think you should upgrade.", "not JSON"),
        (json.dumps({**GOOD, "reachability": "certain"}), "reachability"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "remediation"}), "remediation: Field required"),
        (json.dumps({**GOOD, "vex": {"status": "not_affected", "detail": "x"}}), "needs a justification"),
        (
            json.dumps({**GOOD, "vex": {**GOOD["vex"], "status": "affected"}}),
            "only a not_affected draft has a justification",
        ),
        (json.dumps({**GOOD, "vex": {**GOOD["vex"], "justification": "because"}}), "vex.justification"),
        (json.dumps({**GOOD, "confidence": 0.9}), "confidence: Extra inputs are not permitted"),
        (json.dumps([GOOD]), "answer"),
    ],
)
def test_a_bad_answer_is_a_clear_error(answer: str, says: str) -> None:
    with pytest.raises(TriageAnswerInvalid) as raised:
        parse_answer(answer)
    assert says in raised.value.message
    assert raised.value.code == "triage_answer_invalid" and raised.value.details["answer"] == answer[:2000]


def test_the_prompt_holds_the_advisory_and_the_evidence_and_its_hash_is_stable() -> None:
    graph = Evidence(kind=EvidenceKind.IMPORT_GRAPH, name="pydeps", text="payments -> docs -> jinja2")
    text = prompt(_inputs(graph))
    for part in ("GHSA-462w-v97r-4m45", "CVE-2019-10906", "pkg:pypi/jinja2@2.10", "2.10.1", "payments -> docs"):
        assert part in text
    assert "no usage evidence" in prompt(_inputs())
    assert prompt_sha256("s", text) == prompt_sha256("s", text)
    assert prompt_sha256("s", text) != prompt_sha256("s", prompt(_inputs()))
    assert len(prompt_sha256("s", text)) == 64


def test_too_much_evidence_is_refused_before_any_model_is_asked() -> None:
    big = Evidence(kind=EvidenceKind.CODE_EXCERPT, name="a.py", text="x" * 40_000)
    with pytest.raises(TriageInputInvalid, match="at most 60000"):
        _inputs(big, big)
