"""A real Inspect eval, scripted with ``mockllm/model``, whose bash tool runs in the bastion sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageTool, ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import includes
from inspect_ai.solver import generate, use_tools
from inspect_ai.tool import bash
from inspect_ai.util import SandboxEnvironmentType

from bastion.evals.sandbox import BastionSandboxConfig


def _scripted(command: str) -> Any:
    """Turn 1: call bash with ``command``; turn 2: answer with what the tool printed."""

    def respond(messages: list[Any], *_: Any) -> ModelOutput:
        last = messages[-1]
        if isinstance(last, ChatMessageTool):
            output = ModelOutput.from_content(model="mockllm/model", content=f"ANSWER {last.text}")
        else:
            output = ModelOutput.for_tool_call("mockllm/model", "bash", {"command": command})
        # set usage so mockllm does not count tokens with tiktoken (which downloads its encodings)
        output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return output

    return respond


def _run(sandbox: SandboxEnvironmentType, command: str, target: str, tmp_path: Path) -> str:
    task = Task(
        dataset=[Sample(input="go", target=target, files={"note.txt": "from-sample-files"})],
        solver=[use_tools(bash(timeout=30)), generate()],
        scorer=includes(),
        sandbox=sandbox,
    )
    model = get_model("mockllm/model", custom_outputs=_scripted(command))
    [log] = inspect_eval(task, model=model, display="none", log_dir=str(tmp_path), log_format="json")
    assert log.status == "success", log.error
    assert log.samples is not None
    [sample] = log.samples
    assert sample.scores is not None
    assert sample.scores["includes"].value == "C", sample.output.completion
    return sample.output.completion


def test_eval_runs_its_tools_in_the_bastion_sandbox(tmp_path: Path) -> None:
    config = BastionSandboxConfig(files={"config.txt": "from-config-files"}, env={"TASK_FLAG": "set"})
    answer = _run(
        ("bastion", config),
        "cat note.txt config.txt; echo; id -un; pwd; echo $TASK_FLAG; ls /work 2>&1",
        "from-sample-files",
        tmp_path,
    )
    assert "from-sample-filesfrom-config-files" in answer
    assert "\nsandbox\n/workspace\nset\n" in answer
    assert "No such file or directory" in answer  # the host's /work is not there


def test_plain_name_resolves_through_the_entry_point(tmp_path: Path) -> None:
    answer = _run("bastion", "id -un", "sandbox", tmp_path)
    assert answer.strip().endswith("sandbox")
