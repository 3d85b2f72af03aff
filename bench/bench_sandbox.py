"""Benchmark the bastion sandbox against Inspect's ``local`` provider.

1. start-and-exec latency: sample_init + one ``exec(["true"])`` + sample_cleanup, per provider
   (median, p90, p99 over N runs), the two providers alternating in blocks of 10 rounds so that both see the
   same machine load; wall time, and CPU time of the worker and its children (which a busy machine
   inflates far less than wall time);
2. where the bastion sandbox's time goes (``--breakdown``): start, exec and close on their own, the
   command chain as ``exec`` runs it, and the chain run with a blocking ``subprocess.run`` whole, with
   parts left out or done as before (a network namespace and bubblewrap's ``--dev`` per command), and
   joining its cgroups through ``cgroup.procs`` (the kernel's global lock) instead of moving itself
   thread by thread (``tasks``, cgroup v1), interleaved;
3. ``--compare-chains``: ``exec`` as it runs now against the chain moved into its cgroups by the
   worker while it starts (as before, and as on cgroup v2), interleaved run by run in one process;
4. ``--rounds N`` only runs N rounds of start + exec + close (for ``perf stat -e task-clock``, which
   counts the CPU of every process involved: run it with N and with 1 and divide the difference);
5. samples per second of a real ``inspect_ai.eval`` run (``mockllm/model`` scripted to call the bash
   tool once per sample, then answer) at concurrency 1, 8 and 32.

Run: .venv/bin/python bench/bench_sandbox.py [--runs 200] [--samples 64] [--latency-only] [--breakdown]
     .venv/bin/python bench/bench_sandbox.py --runs 200 --compare-chains
     perf stat -e task-clock -- .venv/bin/python bench/bench_sandbox.py --rounds 61
Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
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


def _cpu_ms() -> float:
    """CPU time (user + system) of this process and of its children that have been reaped."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return (own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime) * 1000


async def _one_start_exec_cleanup(cls: Any) -> tuple[float, float]:
    start, cpu = time.perf_counter(), _cpu_ms()
    envs = await cls.sample_init("bench", None, {})
    result = await envs["default"].exec(["true"])
    await cls.sample_cleanup("bench", None, envs, False)
    assert result.success
    return (time.perf_counter() - start) * 1000, _cpu_ms() - cpu


BLOCK = 10  # rounds of one provider back to back, before the other provider's block


async def _latency(providers: list[str], runs: int) -> dict[str, tuple[list[float], list[float]]]:
    """Wall and CPU milliseconds per start+exec+cleanup, the providers alternating in blocks of ``BLOCK`` rounds
    back to back (so both see the same machine). Within a block, whatever a provider leaves to run in the
    background after a round (bastion makes the next sample's spare tenant on a thread when a sandbox closes)
    competes with its own next rounds, as in a loop of samples; each block starts with an untimed round, and
    the machine is left idle for 50 ms between blocks, so no provider's background work lands in the other's
    timed rounds."""
    classes: dict[str, Any] = {p: registry_find_sandboxenv(p) for p in providers}
    for cls in classes.values():
        await cls.task_init("bench", None)
    times: dict[str, tuple[list[float], list[float]]] = {p: ([], []) for p in providers}
    for _ in range(-(-runs // BLOCK)):
        for provider, cls in classes.items():
            await _one_start_exec_cleanup(cls)  # untimed: it may find what the idle gap prepared
            for _ in range(BLOCK):
                wall, cpu = await _one_start_exec_cleanup(cls)
                times[provider][0].append(wall)
                times[provider][1].append(cpu)
            await asyncio.sleep(0.05)
    for cls in classes.values():
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


def _without_cgroups(argv: list[str]) -> list[str]:
    return [a for a in argv if not a.endswith(("/cgroup.procs", "/tasks"))]


def _through_procs(argv: list[str]) -> list[str]:
    return [a.removesuffix("/tasks") + "/cgroup.procs" if a.endswith("/tasks") else a for a in argv]


def _with_dev_per_command(args: list[str]) -> list[str]:
    """bubblewrap's --dev (a tmpfs, a bind per device, a devpts) instead of the tenant's prepared /dev, as before."""
    i = args.index("--dev-bind")
    return [*args[:i], "--dev", "/dev", "--remount-ro", "/dev", *args[i + 3 :]]


def _drop(args: list[str], flag: str, values: int) -> list[str]:
    out, i = [], 0
    while i < len(args):
        if args[i] == flag:
            i += 1 + values
            continue
        out.append(args[i])
        i += 1
    return out


async def _breakdown(runs: int) -> dict[str, list[float]]:
    """Phases of one sandbox, then the command chain without one part at a time (all interleaved)."""
    from bastion.sandbox import Sandbox
    from bastion.sandbox._argv import bwrap_args, host_argv
    from bastion.sandbox._host import kernel_address_files
    from bastion.sandbox._process import data_fd, run_captured
    from bastion.sandbox._seccomp import seccomp_program

    times: dict[str, list[float]] = {}

    def note(label: str, began: float) -> None:
        times.setdefault(label, []).append((time.perf_counter() - began) * 1000)

    probe = await Sandbox.start()
    tenant = probe._sample

    def chain(label: str, args_edit: Any = None, host_edit: Any = None) -> None:
        seccomp = data_fd(seccomp_program())
        args = bwrap_args(
            probe._layout, tenant.paths, uid=tenant.uid, seccomp_fd=seccomp, kernel_address_files=kernel_address_files()
        )
        args = args_edit(args) if args_edit else args
        args_fd = data_fd(b"".join(a.encode() + b"\0" for a in args))
        procs = tenant.cgroup.join_files if tenant.cgroup else ()
        argv = host_argv(
            probe._tools, uid=tenant.uid, limits=probe.spec.limits, args_fd=args_fd, cmd=["true"], cgroup_procs=procs
        )
        argv = host_edit(argv) if host_edit else argv
        began = time.perf_counter()
        env = {"PATH": "/usr/bin:/bin"}
        done = probe._network.start_inside(  # in the sandbox's network namespace, as exec forks it
            lambda: subprocess.run(argv, cwd="/", env=env, pass_fds=(seccomp, args_fd), check=False)
        )
        note(label, began)
        os.close(seccomp)
        os.close(args_fd)
        assert done.returncode == 0, argv

    async def admitted() -> None:
        argv, fds, admission = probe._launch(tenant, ["true"], cwd=None, env=None)
        began = time.perf_counter()
        result = await run_captured(
            argv,
            admission=admission,
            input_bytes=None,
            timeout=60,
            max_output=1 << 20,
            pass_fds=fds,
            network=probe._network,
        )
        note("chain as exec runs it", began)
        assert result.returncode == 0, result

    for _ in range(runs):
        began = time.perf_counter()
        sandbox = await Sandbox.start()
        note("Sandbox.start (sweep, tmpfs, cgroup, uid)", began)
        began = time.perf_counter()
        await sandbox.exec(["true"])
        note("exec(['true'])", began)
        began = time.perf_counter()
        await sandbox.close()
        note("close (kill via cgroup, rmdir, unmount)", began)
        await admitted()
        chain("blocking chain: all of it")
        chain("blocking chain: without joining the cgroups", host_edit=_without_cgroups)
        chain("blocking chain: joining through cgroup.procs (global lock)", host_edit=_through_procs)
        chain("blocking chain: without seccomp", args_edit=lambda a: _drop(a, "--seccomp", 1))
        chain("blocking chain: without --disable-userns", args_edit=lambda a: _drop(a, "--disable-userns", 0))
        chain("blocking chain: with a new network namespace per command", args_edit=lambda a: [*a, "--unshare-net"])
        chain("blocking chain: with bubblewrap's --dev per command", args_edit=_with_dev_per_command)
        began = time.perf_counter()
        subprocess.run(["/bin/sh", "-c", "true"], check=True)
        note("for scale: sh -c true", began)
    await probe.close()
    return times


async def _compare_chains(runs: int) -> dict[str, tuple[list[float], list[float]]]:
    """exec(['true']) as it runs now, interleaved with the chain the worker moves into its cgroups while
    it starts (``cgroup.procs`` of another process: the kernel's global lock; bubblewrap's arguments
    through a pipe written after the move), as every exec ran before and as on cgroup v2. Wall and CPU
    ms (worker and reaped children)."""
    from bastion.sandbox import Sandbox
    from bastion.sandbox._argv import host_argv
    from bastion.sandbox._process import Admission, run_captured

    sandbox = await Sandbox.start()
    tenant = sandbox._sample

    async def before() -> None:
        args, seccomp = sandbox._bwrap_args(tenant, ["true"], cwd=None, env=None)
        args_read, args_write = os.pipe()
        argv = host_argv(sandbox._tools, uid=tenant.uid, limits=sandbox.spec.limits, args_fd=args_read, cmd=["true"])
        procs = tenant.cgroup.procs_files if tenant.cgroup else ()
        admission = Admission(args=args, args_fd=args_write, procs_files=procs)
        result = await run_captured(
            argv,
            admission=admission,
            input_bytes=None,
            timeout=60,
            max_output=1 << 20,
            pass_fds=(seccomp, args_read),
            network=sandbox._network,
        )
        assert result.returncode == 0, result

    async def now() -> None:
        assert (await sandbox.exec(["true"])).returncode == 0

    times: dict[str, tuple[list[float], list[float]]] = {"before": ([], []), "now": ([], [])}
    for _ in range(runs):
        for label, run in (("before", before), ("now", now)):
            start, cpu = time.perf_counter(), _cpu_ms()
            await run()
            times[label][0].append((time.perf_counter() - start) * 1000)
            times[label][1].append(_cpu_ms() - cpu)
    await sandbox.close()
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


async def _rounds(count: int) -> None:
    from bastion.sandbox import Sandbox

    for _ in range(count):
        sandbox = await Sandbox.start()
        assert (await sandbox.exec(["true"])).success
        await sandbox.close()


def _row(label: str, times: list[float]) -> str:
    return f"| {label} | {statistics.median(times):.1f} | {_pct(times, 0.9):.1f} | {_pct(times, 0.99):.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--latency-only", action="store_true")
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument("--rounds", type=int, default=0)
    parser.add_argument("--compare-chains", action="store_true")
    args = parser.parse_args()
    if args.rounds:
        asyncio.run(_rounds(args.rounds))
        return
    if args.compare_chains:
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        print("| exec(['true']) in a started sandbox | median ms | p90 ms | p99 ms |")
        print("|---|---|---|---|")
        for label, (wall, cpu) in asyncio.run(_compare_chains(args.runs)).items():
            print(_row(f"{label}, wall", wall))
            print(_row(f"{label}, CPU (worker and children)", cpu))
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        return
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print("| provider, measure | median ms | p90 ms | p99 ms |")
    print("|---|---|---|---|")
    latency = asyncio.run(_latency(["bastion", "local"], args.runs))
    for provider in ("bastion", "local"):
        print(_row(f"{provider}, start+exec+cleanup, wall", latency[provider][0]))
        print(_row(f"{provider}, start+exec+cleanup, CPU (worker and children)", latency[provider][1]))
    for provider in ("bastion", "local"):
        print(_row(f"{provider}, exec in a started sandbox, wall", asyncio.run(_warm_exec(provider, args.runs))))
    for index, measure in enumerate(("wall", "CPU")):
        ratio = statistics.median(latency["bastion"][index]) / statistics.median(latency["local"][index])
        print(f"\nratio of medians, start+exec+cleanup {measure}, bastion / local: {ratio:.1f}")
    if args.breakdown:
        print("\n| bastion, part | median ms | p90 ms | p99 ms |")
        print("|---|---|---|---|")
        for label, times in asyncio.run(_breakdown(max(10, args.runs // 4))).items():
            print(_row(label, times))
    print(f"load average after: {os.getloadavg()[0]:.1f}")
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
