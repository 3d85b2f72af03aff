"""Run as a separate process by test_resources.py: a worker that starts a sandbox (with a target service,
files and a running command), prints where its state lives as one JSON line, and waits to be SIGKILLed."""

from __future__ import annotations

import asyncio
import json
import sys

from bastion.sandbox import NetworkMode, Sandbox, SandboxSpec, ServiceSpec


async def main() -> None:
    service = ServiceSpec(name="target", command=("sleep", "300"), files={"flag.txt": b"bastion{leftover}"})
    sandbox = await Sandbox.start(SandboxSpec(network=NetworkMode.LOOPBACK, services=(service,)))
    await sandbox.write_file("notes.txt", "work in progress")
    running = asyncio.create_task(sandbox.exec(["sleep", "300"]))
    await asyncio.sleep(0.2)
    print(json.dumps({"root": str(sandbox.host_root), "cgroups": sandbox.cgroup_paths()}), flush=True)
    await running


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(1)
