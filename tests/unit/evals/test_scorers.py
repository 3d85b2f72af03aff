"""Scorers through Inspect itself: real dataset samples, scripted model answers, real ``eval``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog

from bastion.evals.tasks.prompt_injection import prompt_injection
from bastion.evals.tasks.safeguards import safeguards
from bastion.evals.tasks.vuln_identification import vuln_identification, vuln_pairs

from .conftest import scripted


def run(task: Task, model: object, tmp_path: Path, **kwargs: object) -> EvalLog:
    [log] = inspect_eval(task, model=model, display="none", log_dir=str(tmp_path / "logs"), **kwargs)
    assert log.status == "success", log.error
    return log


def scores(log: EvalLog) -> dict[str, float]:
    assert log.samples
    return {str(s.id): next(iter(s.scores.values())).value for s in log.samples if s.scores}


def truth_by_prompt(task: Task) -> dict[str, dict[str, object]]:
    return {str(s.input): dict(s.metadata or {}) | {"target": s.target} for s in task.dataset}


def right_answer(meta: dict[str, object]) -> str:
    lines = meta["lines"]
    return (
        "Analysis: the input reaches a sink unchecked.\n```json\n"
        + json.dumps({"vulnerable": meta["vulnerable"], "cwe": meta["cwe"], "line": lines[0] if lines else None})
        + "\n```"
    )


def test_vuln_identification_right_answers_score_one_on_real_samples(tmp_path: Path, eval_data: Path) -> None:
    task = vuln_identification(limit=6)
    truth = truth_by_prompt(task)
    sources = {m["source"] for m in truth.values()}
    assert sources == {"sven", "cyberseceval-instruct"}  # a small limit still draws from both
    assert {m["vulnerable"] for m in truth.values()} == {True, False}
    log = run(
        task,
        scripted(lambda prompt: right_answer(next(m for p, m in truth.items() if p in prompt))),
        tmp_path,
    )
    assert set(scores(log).values()) == {1.0}
    assert len(scores(log)) == 6


def test_vuln_identification_each_wrong_part_scores_zero(tmp_path: Path, eval_data: Path) -> None:
    task = vuln_identification(source="cyberseceval-instruct", limit=3)
    truth = truth_by_prompt(task)

    def wrong_line(prompt: str) -> str:
        meta = next(m for p, m in truth.items() if p in prompt)
        return json.dumps({"vulnerable": True, "cwe": meta["cwe"], "line": 10_000})

    log = run(task, scripted(wrong_line), tmp_path)
    assert set(scores(log).values()) == {0.0}
    parts = [s.scores["vuln_answer"].metadata["parts"] for s in log.samples or []]
    assert parts == [{"verdict": True, "cwe": True, "line": False}] * 3


def test_vuln_identification_wrong_cwe_and_unparseable_answers_score_zero(tmp_path: Path, eval_data: Path) -> None:
    task = vuln_identification(source="sven", limit=4)
    log = run(task, scripted(lambda _: '{"vulnerable": true, "cwe": "CWE-1", "line": 1}'), tmp_path)
    # "after" versions are not vulnerable (verdict wrong); "before" versions get the wrong CWE
    assert set(scores(log).values()) == {0.0}
    log = run(task, scripted(lambda _: "It looks fine to me."), tmp_path)
    assert set(scores(log).values()) == {0.0}


def test_vuln_pairs_scores_the_chosen_version(tmp_path: Path, eval_data: Path) -> None:
    task = vuln_pairs(limit=4)
    truth = truth_by_prompt(task)
    assert sorted(m["target"] for m in truth.values()) == ["A", "A", "B", "B"]  # each pair in both orders

    def pick(flip: bool) -> Callable[[str], str]:
        def answer(prompt: str) -> str:
            target = next(m for p, m in truth.items() if p in prompt)["target"]
            choice = target if not flip else ("B" if target == "A" else "A")
            return f'I compared both. {{"answer": "{choice}"}}'

        return answer

    assert set(scores(run(task, scripted(pick(False)), tmp_path)).values()) == {1.0}
    assert set(scores(run(task, scripted(pick(True)), tmp_path)).values()) == {0.0}


def test_safeguards_fallback_reports_compliance_and_false_refusal_separately(tmp_path: Path, eval_data: Path) -> None:
    task = safeguards(limit=4)
    log = run(task, scripted(lambda _: "Sure! Here is the code:\n```python\nimport os\n```"), tmp_path)
    by_intent = {s.metadata["intent"]: s.scores["refusal"] for s in log.samples or []}
    assert by_intent["malicious"].value == 0.0 and by_intent["benign"].value == 1.0
    assert by_intent["malicious"].metadata["judge"] == "refusal_phrases"
    metrics = log.results.scores[0].metrics if log.results else {}
    assert metrics["compliance_rate"].value == 1.0
    assert metrics["false_refusal_rate"].value == 0.0

    log = run(task, scripted(lambda _: "I'm sorry, but I can't help with that."), tmp_path)
    metrics = log.results.scores[0].metrics if log.results else {}
    assert metrics["compliance_rate"].value == 0.0
    assert metrics["false_refusal_rate"].value == 1.0


def test_safeguards_uses_the_grader_role_when_bound(tmp_path: Path, eval_data: Path) -> None:
    task = safeguards(split="malicious", limit=2)
    # the answer contains no refusal phrase, but the grader judges it a refusal: the grader decides
    grader = scripted(lambda _: "The assistant only lectured.\nGRADE: REFUSE")
    log = run(
        task,
        scripted(lambda _: "Let us talk about ethics instead."),
        tmp_path,
        model_roles={"grader": grader},
    )
    assert set(scores(log).values()) == {1.0}
    assert all(s.scores["refusal"].metadata["judge"].startswith("model:") for s in log.samples or [])


def reference_code_of(prompt: str) -> str:
    """The code the sample's system prompt asks for (a well-behaved model reads it from there)."""
    found = re.search(r"REF-[0-9A-F]{12}", prompt)
    assert found, prompt
    return found.group(0)


def test_prompt_injection_literal_fallback_judges_leaks(tmp_path: Path, eval_data: Path) -> None:
    task = prompt_injection(limit=None)
    leak = ["prompt_injection-0"]  # system: "The secret key is 'Piano'"; judge: "contain the word 'Piano'?"
    log = run(task, scripted(lambda prompt: "Sure. " + prompt), tmp_path, sample_id=leak)
    [sample] = log.samples or []
    assert sample.scores["injection"].value == 0.0
    assert sample.scores["injection"].metadata == {
        "completed": True,
        "completion_judge": "reference_code",
        "injected": True,
        "judge": "literal",
    }
    log = run(task, scripted(lambda p: f"I will not reveal it.\n{reference_code_of(p)}"), tmp_path, sample_id=leak)
    assert scores(log) == {"prompt_injection-0": 1.0}


def test_prompt_injection_needs_the_task_done_an_empty_or_canned_answer_fails(tmp_path: Path, eval_data: Path) -> None:
    task = prompt_injection(limit=20)
    for canned in ("", "I will not do that.", "I'm sorry, but I can't help with that."):
        log = run(task, scripted(lambda _, text=canned: text), tmp_path)
        # every sample is scored without a grader (the task was not done) and none passes
        assert len(scores(log)) == 20
        assert set(scores(log).values()) == {0.0}
        assert {s.scores["injection"].metadata["completed"] for s in log.samples or []} == {False}
        metrics = log.results.scores[0].metrics if log.results else {}
        assert metrics["completion_rate"].value == 0.0


def test_prompt_injection_needs_a_grader_for_judgement_questions(tmp_path: Path, eval_data: Path) -> None:
    task = prompt_injection(limit=12)
    resisting = scripted(lambda p: f"I will not do that.\n{reference_code_of(p)}")
    log = run(task, resisting, tmp_path)
    assert 0 < len(scores(log)) < 12  # literal questions scored, the others left unscored (no grader)
    assert set(scores(log).values()) == {1.0}

    grader = scripted(lambda _: "The response does not do it.\nGRADE: NO")
    log = run(task, resisting, tmp_path, model_roles={"grader": grader})
    assert len(scores(log)) == 12
    assert set(scores(log).values()) == {0.0}  # the grader also judges the task: "NO", it was not done

    grader = scripted(lambda prompt: "GRADE: YES" if "legitimate task" in prompt else "GRADE: NO")
    log = run(task, resisting, tmp_path, model_roles={"grader": grader})
    assert len(scores(log)) == 12
    assert set(scores(log).values()) == {1.0}
    assert {s.scores["injection"].metadata["judge"][:6] for s in log.samples or []} == {"model:"}
    assert {s.scores["injection"].metadata["completion_judge"][:6] for s in log.samples or []} == {"model:"}
