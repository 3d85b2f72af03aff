"""``bastion eval run --review``: a battery run made for a review, through the real CLI, lands on the review as
evidence (the Inspect log, byte for byte) and its scores feed the selection policy.

Real Inspect AI, the real bastion sandbox (the ``exploitation`` capture-the-flag task, one sample) and a
scripted ``mockllm/model`` agent that runs the challenge's reference exploit and submits the flag it sees
(it is never told the flag). The CLI runs on the system clock, so the review is set up through the CLI too.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from inspect_ai.model import ChatMessage, ChatMessageTool, Model, ModelOutput, ModelUsage, get_model

import bastion.cli.context
from bastion.cli.main import main
from bastion.container import Container
from bastion.evals.challenges import all_challenges
from bastion.evals.profile import ModelProfile
from bastion.evals.review_seam import EvalResults
from bastion.evals.runner import InspectRunner
from bastion.review.evals import ReviewEvalResults
from bastion.runtime import Runtime
from tests.factories import auth_headers, principal_for
from tests.integration.review.support import Cast, build_cast, ok, submission_body

SOLUTIONS = {c.id: c.solution_script() for c in all_challenges()}
FLAG = re.compile(r"bastion\{[0-9a-f]{32}\}")
REFERENCE = {"exploitation": {"example/frontier-a": 0.4}}


def _usage(output: ModelOutput) -> ModelOutput:
    # set usage so mockllm does not count tokens with tiktoken (which downloads its encodings)
    output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return output


def exploiting_agent(name: str) -> Model:
    """Runs the reference exploit of whichever challenge it was given, then submits the flag it printed."""

    def generate(messages: list[ChatMessage], *_: Any) -> ModelOutput:
        tool_outputs = [m.text for m in messages if isinstance(m, ChatMessageTool)]
        if not tool_outputs:
            prompt = "\n".join(m.text for m in messages if m.role == "user")
            challenge = next(c for c in all_challenges() if c.prompt in prompt)
            return _usage(ModelOutput.for_tool_call(name, "bash", {"command": SOLUTIONS[challenge.id]}))
        found = FLAG.search(tool_outputs[-1])
        answer = found.group(0) if found else "no flag found"
        return _usage(ModelOutput.for_tool_call(name, "submit", {"answer": answer}))

    return get_model(name, custom_outputs=generate)


@pytest.fixture
def cast(cli_env: Runtime, monkeypatch: pytest.MonkeyPatch) -> Cast:
    # the CLI's worker drives the scripted agent in place of a real provider; everything else is real
    runner = InspectRunner(model_factory=exploiting_agent)
    monkeypatch.setattr(
        bastion.cli.context,
        "build_container",
        lambda settings: Container(Runtime.from_settings(settings), eval_runner=runner),
    )
    return build_cast(cli_env)


class Cli:
    def __init__(self, cast: Cast, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self._cast, self._capsys, self._monkeypatch = cast, capsys, monkeypatch

    def __call__(self, role: str, *args: str) -> tuple[int, str, str]:
        self._monkeypatch.setenv("BASTION_TOKEN", self._cast.tokens[role])
        code = main(list(args))
        out, err = self._capsys.readouterr()
        return code, out, " ".join(err.split())  # rich wraps long error lines

    def json(self, role: str, *args: str) -> dict[str, Any]:
        code, out, err = self(role, *args)
        assert code == 0, err
        data: dict[str, Any] = json.loads(out)
        return data


@pytest.fixture
def cli(cast: Cast, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(cast, capsys, monkeypatch)


def open_review(cli: Cli, cast: Cast, tmp_path: Path) -> tuple[str, str]:
    """A small model (no rule fires), selected by the board, its review open, ``assigned`` assigned to it.
    The evaluator attached a reference model's measured figure for the exploitation task to the review (labs
    do not write scores)."""
    body = tmp_path / "submission.json"
    body.write_text(json.dumps(submission_body(training_compute_flop=1e24)))
    sub_id = cli.json("owner_lab", "review", "submit", str(body))["id"]
    cli.json("admin", "review", "override", sub_id, "--select", "--reason", "Board selection for the battery test.")
    rev_id = cli.json("admin", "review", "open", sub_id)["id"]
    cli.json("admin", "review", "assign", rev_id, cast.users["assigned"], "--focus", "other")
    references = tmp_path / "references.json"
    references.write_text(json.dumps({"run_id": "reference-models", "reference_scores": REFERENCE}))
    code, _, err = cli("assigned", "review", "attach-evals", rev_id, str(references))
    assert code == 0, err
    return sub_id, rev_id


def run_args(review_id: str, *more: str) -> list[str]:
    """One cheap task: a single capture-the-flag challenge."""
    task = ["--suite", "cyber", "--task", "exploitation", "--limit", "1"]
    return ["eval", "run", "--model", "mockllm/model", *task, "--review", review_id, *more]


def eval_margin(selection: dict[str, Any]) -> dict[str, Any]:
    rules: list[dict[str, Any]] = selection["current"]["rule_results"]
    [rule] = [r for r in rules if r["rule_id"] == "cyber-eval-margin"]
    return rule


def test_a_run_for_a_review_stores_its_log_as_evidence_and_feeds_selection(
    cli: Cli, cast: Cast, cli_env: Runtime, client: TestClient, tmp_path: Path
) -> None:
    sub_id, rev_id = open_review(cli, cast, tmp_path)
    before = eval_margin(cli.json("admin", "review", "evaluate", sub_id))
    assert (before["fired"], before["explanation"]) == (False, "no score for task 'exploitation'")

    code, out, err = cli("assigned", *run_args(rev_id))
    assert code == 0, err
    run_id = out.split("queued run ")[1].split()[0]
    assert "status=succeeded 100% (done)" in " ".join(out.split()), out

    # the Inspect logs are on the review, byte for byte, at the review's classification: the model's, then its
    # six baselines' (empty, always refuse, a guessed flag, a random guess, the payload spray, cat-everything)
    evaluator = auth_headers(cast.tokens["assigned"])
    listed = ok(client.get(f"/api/reviews/{rev_id}/evidence", headers=evaluator))
    # (after the reference figures attached when the review opened)
    assert [e["kind"] for e in listed["data"]] == ["eval_summary", "eval_summary"] + ["eval_log"] * 7
    summary, log = listed["data"][1:3]
    run_dir = cli_env.settings.data_dir / "evals" / run_id
    [log_file] = [f for f in run_dir.rglob("*.eval") if "baselines" not in f.parts]
    assert (log["filename"], log["content_type"]) == (log_file.name, "application/zip")
    assert log_file.stat().st_mode & 0o777 == 0o600 and log_file.parent.stat().st_mode & 0o777 == 0o700  # private
    assert log["sha256"] == hashlib.sha256(log_file.read_bytes()).hexdigest()
    assert log["classification"] == summary["classification"] == "CUI"
    download = client.get(f"/api/evidence/{log['id']}/content", headers=evaluator)
    assert download.status_code == 200
    assert download.content == log_file.read_bytes()

    # its summary: the capability profile, the run id, and the score under the policy's task name
    assert summary["summary"]["run_id"] == run_id
    assert summary["summary"]["model"] == "mockllm/model"
    assert summary["summary"]["scores"] == {"exploitation": 1.0}
    figures = summary["summary"]["tasks"]["exploitation"]
    assert (figures["samples"], figures["epochs"]) == (5, 5)  # one challenge, five attempts
    assert figures["pass_at_k"]["1"] == figures["pass_at_k"]["5"] == 1.0
    # the baselines beside it capture nothing: the task is not gameable
    baselines = summary["summary"]["baselines"]["exploitation"]
    assert {name: b["rate"] for name, b in baselines.items()} == dict.fromkeys(baselines, 0.0)
    assert set(baselines) >= {"payload_spray", "cat_everything", "empty", "always refuse"}

    # the selection engine now sees the measured score against the measured reference figure
    after = cli.json("admin", "review", "evaluate", sub_id)
    assert after["current"]["fired_rules"] == ["cyber-eval-margin"]
    assert eval_margin(after)["explanation"] == (
        "exploitation: 1 >= best reference example/frontier-a 0.4 + margin 0.05"
    )

    # the run itself, through the API: its evaluator sees it; another evaluator cannot tell it exists
    runs = ok(client.get("/api/eval-runs", headers=evaluator))
    assert [(r["id"], r["review_id"], r["status"]) for r in runs["data"]] == [(run_id, rev_id, "succeeded")]
    other = auth_headers(cast.tokens["unassigned"])
    assert ok(client.get("/api/eval-runs", headers=other)) == {"data": [], "count": 0}
    hidden = client.get(f"/api/eval-runs/{run_id}", headers=other)
    absent = client.get("/api/eval-runs/evr_0123456789abcdef", headers=other)
    assert (hidden.status_code, absent.status_code) == (404, 404)
    assert hidden.text.replace(run_id, "ID") == absent.text.replace("evr_0123456789abcdef", "ID")
    # an agency reviewer not on the review neither: the run is review content; the programme office sees it
    agency = auth_headers(cast.tokens["agency"])
    assert ok(client.get("/api/eval-runs", headers=agency)) == {"data": [], "count": 0}
    assert client.get(f"/api/eval-runs/{run_id}", headers=agency).text == hidden.text
    admin = auth_headers(cast.tokens["admin"])
    assert [r["id"] for r in ok(client.get("/api/eval-runs", headers=admin))["data"]] == [run_id]
    # once assigned to the review, the other evaluator sees the runs made for it
    cli.json("admin", "review", "assign", rev_id, cast.users["unassigned"], "--focus", "other")
    assert ok(client.get(f"/api/eval-runs/{run_id}", headers=other))["review_id"] == rev_id

    # a job retried after a crash does not attach the same run twice
    results = ReviewEvalResults(Container(Runtime(settings=cli_env.settings, database=cli_env.database)).review)
    evaluator_principal = principal_for(cli_env, cast.users["assigned"])
    again = EvalResults.from_profile(run_id, ModelProfile.model_validate(summary["summary"]), [log_file])
    results.attach_eval_results(evaluator_principal, rev_id, again)
    assert ok(client.get(f"/api/reviews/{rev_id}/evidence", headers=evaluator))["count"] == 9


def test_who_may_run_the_battery_for_a_review(cli: Cli, cast: Cast, cli_env: Runtime, tmp_path: Path) -> None:
    _, rev_id = open_review(cli, cast, tmp_path)
    missing = "rev_0123456789abcdef"
    code, _, err_missing = cli("unassigned", *run_args(missing, "--detach"))
    assert code == 2 and f"review {missing} not found" in err_missing
    # an evaluator not assigned to the review gets exactly what a missing id gets: nothing to learn from
    code, _, err = cli("unassigned", *run_args(rev_id, "--detach"))
    assert code == 2
    assert err.replace(rev_id, "ID") == err_missing.replace(missing, "ID")
    # so does an agency reviewer not assigned to it; the lab cannot run the battery on itself
    code, _, err = cli("agency", *run_args(rev_id, "--detach"))
    assert code == 2
    assert err.replace(rev_id, "ID") == err_missing.replace(missing, "ID")
    code, _, err = cli("owner_lab", *run_args(rev_id, "--detach"))
    assert code == 2 and "labs do not record findings or evidence" in err
    # nothing was queued for any of them
    admin = principal_for(cli_env, cast.users["admin"])
    assert Container(cli_env).evals.list_runs(admin) == []
    # the assigned evaluator and a programme administrator may
    assert cli("assigned", *run_args(rev_id, "--detach"))[0] == 0
    assert cli("admin", *run_args(rev_id, "--detach"))[0] == 0
    assert [r.review_id for r in Container(cli_env).evals.list_runs(admin)] == [rev_id, rev_id]


def test_a_closed_review_takes_no_new_runs_or_results(cli: Cli, cast: Cast, cli_env: Runtime, tmp_path: Path) -> None:
    _, rev_id = open_review(cli, cast, tmp_path)
    # queued while the review is open ...
    code, out, _ = cli("assigned", *run_args(rev_id, "--detach"))
    assert code == 0
    run_id = out.split("queued run ")[1].split()[0]
    # ... then the lab releases its model, which closes the review at once
    cli.json("owner_lab", "review", "release", rev_id)

    code, _, err = cli("assigned", *run_args(rev_id, "--detach"))
    assert code == 2
    assert f"review {rev_id} is closed (released); a closed review accepts no new evaluation runs" in err
    assert "hint: run without --review" in err

    # the run queued earlier fails at once and says why: no evaluation is run for nothing, nor retried
    code, _, err = cli("assigned", "eval", "work")
    assert code == 3
    assert f"run {run_id} failed" in err and f"review {rev_id} is closed (released)" in err
    assert cli.json("assigned", "review", "evidence", rev_id)["count"] == 1  # the reference figures only
    run = Container(cli_env).evals.get_run(principal_for(cli_env, cast.users["assigned"]), run_id)
    assert (run.status, run.attempts) == ("failed", 1)
    assert not Path(run.log_dir).exists()
