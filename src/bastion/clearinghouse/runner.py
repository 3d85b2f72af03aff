"""Running a reproducer against a target in ``bastion.sandbox``, with no network.

One run, in a fresh sandbox: the target is unpacked in ``/workspace/target`` (archives are unpacked *inside*
the sandbox, so a hostile archive can only hurt the sandbox), a patch is applied (``patch -p1``), the target is
built, the reproducer's files are written to ``/workspace`` and its command runs there; optionally the target's
own tests run last. Each step's exit status and the tail of its output are kept: they are the evidence.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bastion.clearinghouse.schemas import SignalKind
from bastion.clearinghouse.signals import Observation, Run, observe
from bastion.clearinghouse.stored import Reproducer, Target
from bastion.sandbox import GiB, Limits, Sandbox, SandboxSpec

TARGET_DIR = "/workspace/target"
TAIL = 4000
PLAIN = Limits(cpu_seconds=300, wall_seconds=600.0)
# Sanitizers reserve terabytes of address space: reproducers that expect a sanitizer report or a crash get an
# address space ASan can live with, while what they touch stays capped by the sandbox's memory (its cgroup).
SANITIZER_FRIENDLY = Limits(cpu_seconds=300, address_space_bytes=64 * 1024 * GiB, wall_seconds=600.0)
_UNPACK = {
    ".zip": ["python3", "-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])"],
    ".tar": ["tar", "-xf"],
    ".tar.gz": ["tar", "-xzf"],
    ".tgz": ["tar", "-xzf"],
    ".tar.bz2": ["tar", "-xjf"],
    ".tar.xz": ["tar", "-xJf"],
    ".whl": ["python3", "-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])"],
}


class Stage(StrEnum):
    """How far a run got."""

    RAN = "ran"  # the reproducer ran (its signal was or was not seen)
    NO_TARGET = "no_target"  # the target could not be unpacked (or was not fetched)
    PATCH_FAILED = "patch_failed"
    BUILD_FAILED = "build_failed"
    NOT_RUNNABLE = "not_runnable"  # the reproducer's command does not exist or cannot be executed


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    argv: tuple[str, ...]
    returncode: int | None
    timed_out: bool
    stdout: str
    stderr: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "argv": list(self.argv),
            "returncode": self.returncode,
            "timed_out": self.timed_out,
            "stdout": self.stdout,
            "stderr": self.stderr,
        }


@dataclass(frozen=True, slots=True)
class Outcome:
    stage: Stage
    observation: Observation | None = None
    tests_passed: bool | None = None
    steps: tuple[Step, ...] = field(default_factory=tuple)
    note: str = ""

    @property
    def triggered(self) -> bool:
        return self.stage is Stage.RAN and self.observation is not None and self.observation.seen

    def evidence(self) -> str:
        """The log kept as evidence: every step, its exit status and its output's tail."""
        lines = [f"stage: {self.stage.value}"]
        if self.observation is not None:
            lines.append(f"signal seen: {self.observation.seen} ({self.observation.what})")
        for step in self.steps:
            lines += [
                f"\n$ {' '.join(step.argv)}    # {step.name}",
                f"exit: {'timed out' if step.timed_out else step.returncode}",
                step.stdout,
                step.stderr,
            ]
        return "\n".join(lines)


def _tail(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    return text if len(text) <= TAIL else "...\n" + text[-TAIL:]


def _archive_command(name: str) -> list[str] | None:
    lowered = name.lower()
    for suffix in sorted(_UNPACK, key=len, reverse=True):
        if lowered.endswith(suffix):
            return _UNPACK[suffix]
    return None


async def _exec(sandbox: Sandbox, steps: list[Step], name: str, argv: tuple[str, ...], **kwargs: Any) -> Step:
    result = await sandbox.exec(list(argv), **kwargs)
    step = Step(name, argv, result.returncode, result.timed_out, _tail(result.stdout), _tail(result.stderr))
    steps.append(step)
    return step


async def _place_target(sandbox: Sandbox, target: Target, steps: list[Step]) -> str | None:
    """Put the target in /workspace/target; the reason when it cannot."""
    if not target.files:
        return target.unavailable or "the target was not available (a purl target needs network to fetch it)"
    await _exec(sandbox, steps, "prepare", ("mkdir", "-p", TARGET_DIR))
    for name, content in target.files:
        unpack = _archive_command(name) if target.kind.value != "files" else None
        if unpack is None:
            await sandbox.write_file(f"target/{name}", content)
            continue
        await sandbox.write_file(f".target/{name}", content)
        argv = (*unpack, f"/workspace/.target/{name}", TARGET_DIR) if unpack[0] == "python3" else (
            *unpack, f"/workspace/.target/{name}", "-C", TARGET_DIR
        )  # fmt: skip
        step = await _exec(sandbox, steps, "unpack target", argv)
        if step.returncode != 0:
            return f"the target archive {name} could not be unpacked"
    return None


async def run_once(
    reproducer: Reproducer,
    target: Target | None,
    *,
    patch: bytes | None = None,
    run_tests: bool = False,
    limits: Limits | None = None,
) -> Outcome:
    """One sandboxed run; see the module's docstring for the steps."""
    if limits is None:
        sanitizers = reproducer.signal.kind in (SignalKind.SANITIZER, SignalKind.CRASH)
        limits = SANITIZER_FRIENDLY if sanitizers else PLAIN
    sandbox = await Sandbox.start(SandboxSpec(limits=limits))
    steps: list[Step] = []
    try:
        if target is not None:
            problem = await _place_target(sandbox, target, steps)
            if problem:
                return Outcome(Stage.NO_TARGET, steps=tuple(steps), note=problem)
            if patch is not None:
                await sandbox.write_file(".patch/candidate.patch", patch)
                argv = (
                    "patch",
                    "-p1",
                    "--batch",
                    "--forward",
                    "-d",
                    TARGET_DIR,
                    "-i",
                    "/workspace/.patch/candidate.patch",
                )
                if (await _exec(sandbox, steps, "apply patch", argv)).returncode != 0:
                    return Outcome(Stage.PATCH_FAILED, steps=tuple(steps), note="the patch does not apply")
            if target.build:
                step = await _exec(sandbox, steps, "build", target.build, cwd=TARGET_DIR)
                if step.returncode != 0:
                    return Outcome(Stage.BUILD_FAILED, steps=tuple(steps), note="the target does not build")
        for name, content in reproducer.files:
            await sandbox.write_file(name, content)
        run = await sandbox.exec(list(reproducer.command), cwd="/workspace", timeout=reproducer.timeout_seconds)
        steps.append(
            Step("reproducer", reproducer.command, run.returncode, run.timed_out, _tail(run.stdout), _tail(run.stderr))
        )
        if run.not_found or run.not_executable:
            return Outcome(Stage.NOT_RUNNABLE, steps=tuple(steps), note="the reproducer's command cannot be run")
        observation = observe(
            reproducer.signal,
            Run(
                run.returncode,
                run.stdout.decode("utf-8", "replace"),
                run.stderr.decode("utf-8", "replace"),
                run.timed_out,
            ),
        )
        tests: bool | None = None
        if run_tests and target is not None and target.test:
            tests = (await _exec(sandbox, steps, "target tests", target.test, cwd=TARGET_DIR)).returncode == 0
        return Outcome(Stage.RAN, observation, tests, tuple(steps))
    finally:
        await sandbox.close()


def run_blocking(
    reproducer: Reproducer, target: Target | None, *, patch: bytes | None = None, run_tests: bool = False
) -> Outcome:
    """``run_once`` from synchronous code (job handlers)."""
    return asyncio.run(run_once(reproducer, target, patch=patch, run_tests=run_tests))
