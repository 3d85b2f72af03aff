"""Target services: long-running processes in the sandbox's private network, with their own files."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bastion.sandbox._errors import ServiceNotReady
from bastion.sandbox._layout import Tenant
from bastion.sandbox._netns import PrivateNetwork, listening_ports
from bastion.sandbox._process import Admission, Child, _children, kill_tree, spawn
from bastion.sandbox._spec import ServiceSpec

_POLL_SECONDS = 0.02


@dataclass(slots=True)
class RunningService:
    spec: ServiceSpec
    uid: int
    process: Child
    log: Path

    def log_tail(self, limit: int = 2000) -> str:
        try:
            return self.log.read_bytes()[-limit:].decode(errors="replace")
        except OSError:
            return ""

    async def stop(self) -> None:
        if self.process.returncode is None:
            await kill_tree(self.process)


def _ports_now(pid: int) -> set[int]:
    texts = []
    for name in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            texts.append(Path(f"/proc/{pid}/net/{name}").read_text())
    return listening_ports(texts)


async def start_service(
    spec: ServiceSpec,
    *,
    tenant: Tenant,
    argv: Sequence[str],
    pass_fds: Sequence[int],
    admission: Admission | None,
    network: PrivateNetwork,
    log: Path,
) -> RunningService:
    """Write the service's files (into its fresh tmpfs, before anything of the sandbox has run), start
    ``argv`` in the sandbox's ``network`` and wait until its port listens (read from its pid's view of
    /proc/net/tcp)."""
    work = Path(tenant.paths.work)
    for rel, content in spec.files.items():
        target = work / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    for path in (work, *work.rglob("*")):
        os.chown(path, tenant.uid, tenant.uid, follow_symlinks=False)
    log_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)  # it may print the flag
    try:
        process = await spawn(argv, admission=admission, stdin=False, pass_fds=pass_fds, stdout=log_fd, network=network)
    finally:
        os.close(log_fd)
    running = RunningService(spec=spec, uid=tenant.uid, process=process, log=log)
    if spec.port is None:
        return running
    loop = asyncio.get_running_loop()
    deadline = loop.time() + spec.ready_seconds
    while loop.time() < deadline and process.returncode is None:
        children = _children(process.pid)
        if children and spec.port in _ports_now(children[0]):
            return running
        await asyncio.sleep(_POLL_SECONDS)
    await running.stop()
    raise ServiceNotReady(
        f"service {spec.name!r} did not listen on port {spec.port} within {spec.ready_seconds} s",
        hint="check the service command; its output is in details.log",
        details={"service": spec.name, "port": spec.port, "log": running.log_tail()},
    )
