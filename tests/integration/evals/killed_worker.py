"""Run as a separate process by test_resume.py: a worker whose model kills the whole process (SIGKILL)
after N generations, as a crash or an OOM kill would. Usage: killed_worker.py DB_URL EVALS_DIR CLOCK_ISO N"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from inspect_ai.model import ModelOutput, ModelUsage, get_model

from bastion.core.clock import ManualClock
from bastion.db import Database
from bastion.evals.runner import InspectRunner
from bastion.evals.service import JOB_KIND, EvalService
from bastion.jobs.inprocess import InProcessRunner


def main() -> None:
    url, evals_dir, when, kill_after = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    calls = 0

    def generate(*_: Any) -> ModelOutput:
        nonlocal calls
        calls += 1
        if calls > kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        output = ModelOutput.from_content("mockllm/model", '{"answer": "A"} I cannot help with that.')
        output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return output

    runner = InspectRunner(model_factory=lambda name: get_model(name, custom_outputs=generate))
    service = EvalService(Database(url), ManualClock(datetime.fromisoformat(when)), evals_dir=evals_dir, runner=runner)
    worker = InProcessRunner(service.queue, worker="doomed")
    worker.register(JOB_KIND, service.handle)
    worker.run_until_idle()


if __name__ == "__main__":
    main()
