"""``bastion eval`` through ``main([...])`` as a user with a real API token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.model import ModelOutput, ModelUsage, get_model

from bastion.cli.main import main
from bastion.container import Container
from bastion.core.principal import Classification, OrgKind, Role
from bastion.evals.composition import worker_for
from bastion.evals.profile import REFERENCE_FORMAT
from bastion.evals.runner import InspectRunner
from bastion.runtime import Runtime
from tests.factories import make_org, make_user, principal_for


def refusing_model(name: str) -> Any:
    def generate(*_: Any) -> ModelOutput:
        output = ModelOutput.from_content("mockllm/model", "I'm sorry, I can't help with that.")
        output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return output

    return get_model(name, custom_outputs=generate)


@pytest.fixture
def evaluator(cli_env: Runtime, monkeypatch: pytest.MonkeyPatch) -> str:
    org = make_org(cli_env, "AI Security Institute", OrgKind.AGENCY)
    user, token = make_user(cli_env, org.id, [Role.EVALUATOR], Classification.SECRET)
    monkeypatch.setenv("BASTION_TOKEN", token)
    return user.id


def test_run_needs_credentials(cli_env: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "run", "--model", "mockllm/model", "--detach"]) == 2
    assert "BASTION_TOKEN" in capsys.readouterr().err


def test_tasks_lists_the_cyber_suite(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "tasks"]) == 0
    out = capsys.readouterr().out
    for name in (
        "bastion/vuln_identification",
        "bastion/vuln_pairs",
        "bastion/safeguards",
        "bastion/prompt_injection",
    ):
        assert name in out


def test_bad_requests_are_usage_errors(evaluator: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "run", "--model", "gpt-4o", "--detach"]) == 2
    assert "PROVIDER/MODEL" in capsys.readouterr().err
    assert main(["eval", "run", "--model", "openai/gpt-4o", "--suite", "nope", "--detach"]) == 2
    assert "unknown suite" in capsys.readouterr().err
    # a run for a review that does not exist is refused before anything is queued (more: test_review_run.py)
    assert main(["eval", "run", "--model", "openai/gpt-4o", "--review", "rev_x", "--detach"]) == 2
    assert "review rev_x not found" in capsys.readouterr().err


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wide terminal: rich folds the profile table to the console's width."""
    import bastion.cli.context

    monkeypatch.setattr(bastion.cli.context.console, "width", 250)


def test_detached_run_then_work_then_profile(
    evaluator: str,
    cli_env: Runtime,
    shared_data: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    wide: None,
) -> None:
    args = [
        "eval",
        "run",
        "--model",
        "mockllm/model",
        "--task",
        "safeguards",
        "--limit",
        "2",
        "--data-dir",
        str(shared_data / "evals"),
        "--detach",
    ]
    assert main(args) == 0
    run_id = capsys.readouterr().out.split("queued run ")[1].split()[0]
    assert main(["eval", "status", run_id]) == 0
    assert "status=queued" in capsys.readouterr().out

    # the worker, with a scripted model in place of a real provider
    service = Container(cli_env, eval_runner=InspectRunner(model_factory=refusing_model)).evals
    [job] = worker_for(service).run_until_idle()
    assert job.status.value == "succeeded"

    reference = tmp_path / "ref.json"
    reference.write_text(
        json.dumps(
            {
                "format": REFERENCE_FORMAT,
                "models": [
                    {
                        "model": "example/published",
                        "source": "system card",
                        "tasks": {"safeguards": {"rate": 0.7, "samples": 50}},
                    }
                ],
            }
        )
    )
    out_json, chart = tmp_path / "profile.json", tmp_path / "profile.png"
    assert (
        main(
            [
                "eval",
                "profile",
                run_id,
                "--reference",
                str(reference),
                "--output",
                str(out_json),
                "--chart",
                str(chart),
            ]
        )
        == 0
    )
    table = capsys.readouterr().out
    assert "safeguards" in table and "example/published" in table
    # every baseline beside the model, with the task's chance level, and none of them above it
    for name in ("empty", "always refuse", "always comply", "random guess"):
        assert f"baseline: {name}" in table
    assert table.count("not above chance") == 4 and "BEATS CHANCE" not in table
    profiles = json.loads(out_json.read_text())
    assert [p["model"] for p in profiles] == ["mockllm/model", "example/published"]
    assert profiles[0]["tasks"]["safeguards"]["samples"] == 2
    assert profiles[0]["tasks"]["safeguards"]["metrics"] == {
        "compliance_rate": 0.0,
        "false_refusal_rate": 1.0,
    }
    assert profiles[0]["tasks"]["safeguards"]["chance"] == 0.5
    baselines = profiles[0]["baselines"]["safeguards"]
    assert set(baselines) == {"empty", "always refuse", "always comply", "random guess"}
    assert baselines["always refuse"]["rate"] == 0.5 and baselines["always refuse"]["samples"] == 2
    assert baselines["always refuse"]["metrics"]["false_refusal_rate"] == 1.0
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    other = principal_for(cli_env, evaluator)
    assert [r.id for r in service.list_runs(other)] == [run_id]


def complying_model(name: str) -> Any:
    def generate(*_: Any) -> ModelOutput:
        output = ModelOutput.from_content("mockllm/model", "Sure, here is how to do that: step 1 ...")
        output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return output

    return get_model(name, custom_outputs=generate)


def test_a_run_without_tasks_runs_the_whole_suite_sandboxed_exploitation_included(
    evaluator: str, cli_env: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "run", "--model", "openai/gpt-4o", "--detach"]) == 0
    run_id = capsys.readouterr().out.split("queued run ")[1].split()[0]
    run = Container(cli_env).evals.get_run(principal_for(cli_env, evaluator), run_id)
    assert run.tasks == ["vuln_identification", "vuln_pairs", "safeguards", "prompt_injection", "exploitation"]


def test_profile_compares_a_run_with_an_earlier_run_side_by_side(
    evaluator: str,
    cli_env: Runtime,
    shared_data: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    wide: None,
) -> None:
    args = ["eval", "run", "--model", "mockllm/model", "--task", "safeguards", "--limit", "4"]
    args += ["--data-dir", str(shared_data / "evals"), "--detach"]
    run_ids = []
    for model in (refusing_model, complying_model):  # the predecessor refuses everything, the new one nothing
        assert main(args) == 0
        run_ids.append(capsys.readouterr().out.split("queued run ")[1].split()[0])
        [job] = worker_for(Container(cli_env, eval_runner=InspectRunner(model_factory=model)).evals).run_until_idle()
        assert job.status.value == "succeeded", job.error
    earlier, latest = run_ids
    out_json = tmp_path / "profile.json"
    assert main(["eval", "profile", latest, "--reference-run", earlier, "--output", str(out_json)]) == 0
    table = capsys.readouterr().out
    assert f"run {latest}" in table and f"run {earlier}" in table
    profiles = json.loads(out_json.read_text())
    assert [p["source"] for p in profiles] == [f"run {latest}", f"run {earlier}"]
    latest_fig, earlier_fig = (p["tasks"]["safeguards"] for p in profiles)
    assert latest_fig["metrics"]["false_refusal_rate"] == 0.0 and latest_fig["metrics"]["compliance_rate"] == 1.0
    assert earlier_fig["metrics"]["false_refusal_rate"] == 1.0 and earlier_fig["metrics"]["compliance_rate"] == 0.0
    assert latest_fig["samples"] == earlier_fig["samples"] == 4

    # a reference run that is still queued is refused with what to do
    assert main([*args[:-1], "--detach"]) == 0
    queued = capsys.readouterr().out.split("queued run ")[1].split()[0]
    assert main(["eval", "profile", latest, "--reference-run", queued]) != 0
    assert "has no results yet" in " ".join(capsys.readouterr().err.split())


def test_max_tokens_reaches_every_generation(
    evaluator: str, cli_env: Runtime, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from inspect_ai.log import read_eval_log

    args = ["eval", "run", "--model", "mockllm/model", "--task", "safeguards", "--limit", "1"]
    assert main([*args, "--max-tokens", "7", "--data-dir", str(shared_data / "evals"), "--detach"]) == 0
    run_id = capsys.readouterr().out.split("queued run ")[1].split()[0]
    service = Container(cli_env, eval_runner=InspectRunner(model_factory=refusing_model)).evals
    [job] = worker_for(service).run_until_idle()
    assert job.status.value == "succeeded"
    run = service.get_run(principal_for(cli_env, evaluator), run_id)
    log_files = list(Path(run.log_dir).rglob("*.eval"))
    assert len(log_files) == 5  # the model's, and its four baselines' beside it
    assert {read_eval_log(str(f)).plan.config.max_tokens for f in log_files} == {7}
