"""Run as a separate process by test_resources.py: a worker that starts a sandbox (with a target service,
files and a running command), closes another (which makes a spare tenant for the next start), prints
where its state lives as one JSON line, and waits to be SIGKILLed."""

from __future__ import annotations

import asyncio
import json
import sys

from bastion.sandbox import NetworkMode, Sandbox, SandboxSpec, ServiceSpec
from bastion.sandbox._layout import worker


async def main() -> None:
    service = ServiceSpec(name="target", command=("sleep", "300"), files={"flag.txt": b"bastion{leftover}"})
    sandbox = await Sandbox.start(SandboxSpec(network=NetworkMode.LOOPBACK, services=(service,)))
    await (await Sandbox.start()).close()  # closing one makes the spare for the next start
    await sandbox.write_file("notes.txt", "work in progress")
    running = asyncio.create_task(sandbox.exec(["sleep", "300"]))
    await asyncio.sleep(0.2)
    while (spare := worker()._spare) is None:
        await asyncio.sleep(0.01)
    spare_cgroups = [str(d) for d in spare.tenant.cgroup.dirs] if spare.tenant.cgroup else []
    state = {"root": str(sandbox.host_root), "cgroups": sandbox.cgroup_paths()}
    print(json.dumps({**state, "spare": str(spare.root), "spare_cgroups": spare_cgroups}), flush=True)
    await running


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(1)
