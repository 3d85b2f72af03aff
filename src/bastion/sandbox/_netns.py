"""A private network namespace (only ``lo``, up) that outlives the process that created it.

bwrap creates it (``--unshare-net`` brings ``lo`` up) around a short-lived holder; we bind-mount
``/proc/<holder>/ns/net`` onto a file in the sandbox's root-only host directory (as ``ip netns``
does), then let the holder go. Later commands join it with ``nsenter --net=FILE``, which closes the
file once joined, so no descriptor of it reaches the sandbox, no pid can be reused against us, and
nothing has to keep running. Unmounting the file (and the exit of every process inside) lets the
kernel free the namespace; a dead worker's are unmounted by the sweep.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

from bastion.sandbox._errors import SandboxFailed
from bastion.sandbox._host import HostLayout, HostTools
from bastion.sandbox._mount import MS_BIND, mount, unmount
from bastion.sandbox._process import HOST_ENV

_LISTEN = "0A"


def listening_ports(proc_net_tcp: Iterable[str]) -> set[int]:
    """TCP ports in LISTEN state, parsed from the text of ``/proc/net/tcp`` and ``/proc/net/tcp6``."""
    ports: set[int] = set()
    for text in proc_net_tcp:
        for line in text.splitlines()[1:]:
            fields = line.split()
            if len(fields) > 3 and fields[3] == _LISTEN and ":" in fields[1]:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _read_info(fd: int) -> dict[str, int]:
    data = b""
    while chunk := os.read(fd, 4096):
        data += chunk
    info: dict[str, int] = json.loads(data)
    return info


def _create(tools: HostTools, layout: HostLayout, mount_point: Path) -> None:
    read_end, write_end = os.pipe()
    argv = [tools.bwrap]
    for path, target in layout.system:
        argv += ["--symlink", target, path] if target is not None else ["--ro-bind", path, path]
    argv += ["--unshare-net", "--die-with-parent", "--info-fd", str(write_end)]
    argv += ["--", "/bin/sh", "-c", "read -r _"]  # waits on stdin, which we close once done
    holder = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=HOST_ENV,
        cwd="/",
        pass_fds=(write_end,),
    )
    os.close(write_end)
    try:
        try:
            child = _read_info(read_end)["child-pid"]
        except (ValueError, KeyError) as e:
            holder.kill()
            _, err = holder.communicate()
            raise SandboxFailed(
                "could not create a private network namespace with bubblewrap",
                details={"stderr": err.decode(errors="replace")[-2000:]},
            ) from e
        mount_point.touch(mode=0o600)
        mount(f"/proc/{child}/ns/net", mount_point, None, MS_BIND)
    finally:
        os.close(read_end)
        if holder.poll() is None:
            holder.communicate(b"\n", timeout=5)


class PrivateNetwork:
    """Owns one private network namespace, kept alive by a bind mount at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._open = True

    @classmethod
    async def create(cls, tools: HostTools, layout: HostLayout, path: Path) -> PrivateNetwork:
        await asyncio.to_thread(_create, tools, layout, path)
        return cls(path)

    def close(self) -> None:
        if self._open:
            self._open = False
            unmount(self.path)
