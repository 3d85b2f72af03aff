"""Benchmark the bastion sandbox against Inspect's ``local`` provider.

1. start-and-exec latency: sample_init + one ``exec(["true"])`` + sample_cleanup, per provider
   (median, p90, p99 over N runs);
2. samples per second of a real ``inspect_ai.eval`` run (``mockllm/model`` scripted to call the bash
   tool once per sample, then answer) at concurrency 1, 8 and 32.

Run: .venv/bin/python bench/bench_sandbox.py [--runs 200] [--samples 64]
Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from typing import Any

from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageTool, ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import includes
from inspect_ai.solver import generate, use_tools
from inspect_ai.tool import bash
from inspect_ai.util._sandbox.registry import registry_find_sandboxenv

import bastion.evals._registry  # noqa: F401 - registers "bastion"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _latency(provider: str, runs: int) -> list[float]:
    cls: Any = registry_find_sandboxenv(provider)
    await cls.task_init("bench", None)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        envs = await cls.sample_init("bench", None, {})
        result = await envs["default"].exec(["true"])
        await cls.sample_cleanup("bench", None, envs, False)
        times.append((time.perf_counter() - start) * 1000)
        assert result.success
    await cls.task_cleanup("bench", None, True)
    return times


async def _warm_exec(provider: str, runs: int) -> list[float]:
    cls: Any = registry_find_sandboxenv(provider)
    envs = await cls.sample_init("bench", None, {})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await envs["default"].exec(["true"])
        times.append((time.perf_counter() - start) * 1000)
    await cls.sample_cleanup("bench", None, envs, False)
    return times


def _scripted(messages: list[Any], *_: Any) -> ModelOutput:
    if isinstance(messages[-1], ChatMessageTool):
        output = ModelOutput.from_content("mockllm/model", f"ANSWER {messages[-1].text}")
    else:
        output = ModelOutput.for_tool_call("mockllm/model", "bash", {"command": "echo ok; id -un"})
    output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return output


def _samples_per_second(provider: str, samples: int, concurrency: int) -> float:
    task = Task(
        dataset=[Sample(input="go", target="ok") for _ in range(samples)],
        solver=[use_tools(bash(timeout=30)), generate()],
        scorer=includes(),
        sandbox=provider,
    )
    model = get_model("mockllm/model", custom_outputs=_scripted)
    with tempfile.TemporaryDirectory() as logs:
        start = time.perf_counter()
        [log] = inspect_eval(
            task,
            model=model,
            display="none",
            log_dir=logs,
            max_samples=concurrency,
            max_sandboxes=concurrency,
            max_connections=concurrency,
        )
        elapsed = time.perf_counter() - start
    assert log.status == "success", log.error
    assert log.results is not None and log.results.scores[0].metrics["accuracy"].value == 1.0
    return samples / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--latency-only", action="store_true")
    args = parser.parse_args()
    print("| provider | measure | median ms | p90 ms | p99 ms |")
    print("|---|---|---|---|---|")
    for provider in ("bastion", "local"):
        for label, probe in (("start+exec+cleanup", _latency), ("exec in a started sandbox", _warm_exec)):
            t = asyncio.run(probe(provider, args.runs))
            print(f"| {provider} | {label} | {statistics.median(t):.1f} | {_pct(t, 0.9):.1f} | {_pct(t, 0.99):.1f} |")
    if args.latency_only:
        return
    print()
    print(f"| provider | concurrency | samples/s ({args.samples} samples, 1 bash call each) |")
    print("|---|---|---|")
    for provider in ("bastion", "local"):
        for concurrency in (1, 8, 32):
            rate = _samples_per_second(provider, args.samples, concurrency)
            print(f"| {provider} | {concurrency} | {rate:.1f} |")


if __name__ == "__main__":
    main()
