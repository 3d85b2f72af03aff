"""A private network namespace (only ``lo``, up) that outlives the process that created it.

bwrap creates it (``--unshare-net`` brings ``lo`` up) around a short-lived holder; we open
``/proc/<holder>/ns/net`` and keep that file descriptor, then let the holder go. Later commands
join the namespace with ``nsenter --net=/proc/self/fd/N`` (the descriptor is passed to them), so
no pid can be reused against us and nothing has to keep running. Closing the descriptor (and the
exit of every process inside) lets the kernel free the namespace.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Iterable

from bastion.sandbox._errors import SandboxFailed
from bastion.sandbox._host import HostLayout, HostTools
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


def _create(tools: HostTools, layout: HostLayout) -> int:
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
        return os.open(f"/proc/{child}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(read_end)
        if holder.poll() is None:
            holder.communicate(b"\n", timeout=5)


class PrivateNetwork:
    """Owns the descriptor of one private network namespace."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    @classmethod
    async def create(cls, tools: HostTools, layout: HostLayout) -> PrivateNetwork:
        return cls(await asyncio.to_thread(_create, tools, layout))

    @property
    def fd(self) -> int:
        if self._fd is None:
            raise SandboxFailed("the private network was already closed")
        return self._fd

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
