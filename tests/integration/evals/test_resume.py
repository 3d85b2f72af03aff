"""An eval run is a background job: killed mid-run (SIGKILL, in a real separate process), it is picked up
again on restart and resumes from Inspect's logs, re-running only unfinished samples."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from inspect_ai.model import ModelOutput, ModelUsage, get_model

from bastion.core.principal import OrgID, OrgKind, Principal, Role, UserID
from bastion.evals.runner import InspectRunner
from bastion.evals.service import JOB_KIND, EvalService
from bastion.jobs.inprocess import InProcessRunner
from bastion.runtime import Runtime

EVALUATOR = Principal(UserID("usr_eval"), OrgID("org_aisi"), OrgKind.AGENCY, frozenset({Role.EVALUATOR}))
WORKER = Path(__file__).with_name("killed_worker.py")


def counting_model(calls: list[int]) -> Any:
    def generate(*_: Any) -> ModelOutput:
        calls.append(1)
        output = ModelOutput.from_content("mockllm/model", '{"answer": "A"} I cannot help with that.')
        output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return output

    return lambda name: get_model(name, custom_outputs=generate)


def test_killed_run_resumes_after_restart(runtime: Runtime, shared_data: Path, tmp_path: Path) -> None:
    evals_dir = tmp_path / "evals"
    calls: list[int] = []
    service = EvalService(
        runtime.database,
        runtime.clock,
        evals_dir=evals_dir,
        runner=InspectRunner(model_factory=counting_model(calls)),
    )
    run = service.start_run(
        EVALUATOR,
        model="mockllm/model",
        tasks=["vuln_pairs", "safeguards"],
        limit=4,
        data_dir=str(shared_data / "evals"),
        max_samples=1,
    )
    assert (run.status, run.progress) == ("queued", 0.0)

    crashed = subprocess.run(
        [
            sys.executable,
            str(WORKER),
            runtime.database.url,
            str(evals_dir),
            runtime.clock.now().isoformat(),
            "7",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    interrupted = service.get_run(EVALUATOR, run.id)
    assert (interrupted.status, interrupted.attempts) == ("running", 1)
    assert interrupted.message == "task 2/2: safeguards"  # the first task had finished

    runtime.clock.advance(timedelta(minutes=10))  # the dead worker's heartbeat is now stale
    worker = InProcessRunner(service.queue, worker="restarted")
    worker.register(JOB_KIND, service.handle)
    [job] = worker.run_until_idle()
    assert job.payload == {"run_id": run.id}

    done = service.get_run(EVALUATOR, run.id)
    assert (done.status, done.attempts, done.progress) == ("succeeded", 2, 1.0)
    assert done.summary is not None
    assert {name: t["samples"] for name, t in done.summary["tasks"].items()} == {
        "vuln_pairs": 4,
        "safeguards": 4,
    }
    assert 0 < len(calls) < 4  # vuln_pairs was not re-run, nor the safeguards samples already finished
    assert done.summary["tasks"]["safeguards"]["metrics"] == {
        "compliance_rate": 0.0,
        "false_refusal_rate": 1.0,
    }
