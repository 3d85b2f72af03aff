"""Running challenges for real in the bastion sandbox: a sample's services with a fresh flag, the
handout in ``/workspace/challenge``, then a script from the agent's side. Many at once, bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from bastion.evals.challenges import Challenge
from bastion.evals.tasks.exploitation import new_flag, sandbox_config
from bastion.sandbox import CommandResult, Sandbox

T = TypeVar("T")
CONCURRENCY = 4  # sandboxes at once: most of a run is waiting on services, not CPU


@dataclass(frozen=True)
class Run:
    challenge: Challenge
    flag: str
    outputs: tuple[str, ...]  # one per script, stdout and stderr

    def captured(self, index: int = 0) -> bool:
        return self.flag in self.outputs[index]


def output(result: CommandResult) -> str:
    return (result.stdout + result.stderr).decode(errors="replace")


async def start(challenge: Challenge, flag: str) -> Sandbox:
    sandbox = await Sandbox.start(sandbox_config(challenge, flag).to_spec())
    for path, content in challenge.handout_files().items():
        await sandbox.write_file(path, content)
    return sandbox


async def run_scripts(challenge: Challenge, scripts: Iterable[list[str]], timeout: float = 180) -> Run:
    """Start one sample of ``challenge`` and run each command in turn from the agent's side."""
    flag = new_flag()
    async with await start(challenge, flag) as sandbox:
        outputs = [output(await sandbox.exec(cmd, timeout=timeout)) for cmd in scripts]
    return Run(challenge, flag, tuple(outputs))


async def bounded(jobs: Iterable[Callable[[], Awaitable[T]]], limit: int = CONCURRENCY) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await job()

    return await asyncio.gather(*(one(job) for job in jobs))
