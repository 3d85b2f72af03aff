"""Run one spawned sandbox process to completion: feed stdin, cap output, enforce wall time.

A timeout or a cancellation kills the process tree: the sandbox's init (tini) is pid 1 of a private pid
namespace, and when pid 1 dies the kernel kills and reaps every other process in that namespace.
bubblewrap itself waits for that init, so no process of the sandbox is left for the host's pid 1 to
reap (an unreaped zombie would still count against the sandbox's process limits).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 64 * 1024
_REAP_SECONDS = 5.0
# The helpers (nsenter, bwrap) are started with this environment, never the host's.
HOST_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What one command did. ``returncode`` is ``None`` when the wall timeout killed it; a command
    killed by a signal reports ``128 + signal`` (137 for SIGKILL, 152 for the CPU limit's SIGXCPU)."""

    returncode: int | None
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    timed_out: bool = False

    @property
    def success(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def truncated(self) -> bool:
        return self.stdout_truncated or self.stderr_truncated

    @property
    def not_executable(self) -> bool:
        """The command was found but could not be executed (not a program, or no execute bit)."""
        return self.returncode == 126 and self.stderr.startswith(_EXEC_FAILED)

    @property
    def not_found(self) -> bool:
        """No program of that name exists on the sandbox's PATH."""
        return self.returncode == 127 and self.stderr.startswith(_EXEC_FAILED)


_EXEC_FAILED = b"[FATAL tini ("  # the sandbox's init could not exec the command (127: not found, 126: not executable)


class _Capture:
    """Keeps the first ``limit`` bytes of a stream and drains (and counts) the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.chunks: list[bytes] = []
        self.kept = 0
        self.truncated = False

    async def drain(self, stream: asyncio.StreamReader | None) -> None:
        if stream is None:
            return
        while chunk := await stream.read(_CHUNK):
            room = self.limit - self.kept
            if len(chunk) > room:
                self.truncated = True
                chunk = chunk[: max(room, 0)]
            if chunk:
                self.chunks.append(chunk)
                self.kept += len(chunk)

    def value(self) -> bytes:
        return b"".join(self.chunks)


async def _feed(stdin: asyncio.StreamWriter | None, data: bytes | None) -> None:
    if stdin is None:
        return
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        if data:
            stdin.write(data)
            await stdin.drain()
        stdin.close()
        await stdin.wait_closed()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


async def kill_tree(proc: asyncio.subprocess.Process) -> None:
    """Kill the sandbox's pid 1 and let bwrap reap it: pid 1 is only reaped once the kernel has
    killed every other process of its pid namespace, so when this returns none is left."""
    children = _children(proc.pid)
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    if children:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), _REAP_SECONDS)
    if proc.returncode is None:  # pid 1 not started yet, or bwrap stuck: --die-with-parent does the rest
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


def data_fd(data: bytes) -> int:
    """A memory file holding ``data``, positioned at its start (bubblewrap reads it to the end)."""
    fd = os.memfd_create("bastion-sandbox", os.MFD_CLOEXEC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd


async def spawn(
    argv: Sequence[str], *, stdin: bool, pass_fds: Sequence[int] = (), stdout: int = asyncio.subprocess.PIPE
) -> asyncio.subprocess.Process:
    """Start ``argv`` with the fixed host environment, in ``/``, in a session of its own; ``pass_fds``
    (bubblewrap's argument and seccomp files) are handed over and closed here."""
    try:
        return await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=stdout,
            stderr=asyncio.subprocess.PIPE if stdout == asyncio.subprocess.PIPE else stdout,
            env=HOST_ENV,
            cwd="/",
            pass_fds=tuple(pass_fds),
            start_new_session=True,
        )
    finally:
        for fd in pass_fds:
            os.close(fd)


async def run_captured(
    argv: Sequence[str],
    *,
    input_bytes: bytes | None,
    timeout: float,
    max_output: int,
    pass_fds: Sequence[int] = (),
) -> CommandResult:
    proc = await spawn(argv, stdin=input_bytes is not None, pass_fds=pass_fds)
    out, err = _Capture(max_output), _Capture(max_output)
    tasks = [
        asyncio.create_task(out.drain(proc.stdout)),
        asyncio.create_task(err.drain(proc.stderr)),
        asyncio.create_task(_feed(proc.stdin, input_bytes)),
    ]
    timed_out = False
    try:
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            timed_out = True
            await kill_tree(proc)
        # Every process that could hold the pipes is gone now, so both reach EOF promptly.
        await asyncio.gather(tasks[0], tasks[1])
    finally:
        if proc.returncode is None:
            await kill_tree(proc)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return CommandResult(
        returncode=None if timed_out else proc.returncode,
        stdout=out.value(),
        stderr=err.value(),
        stdout_truncated=out.truncated,
        stderr_truncated=err.truncated,
        timed_out=timed_out,
    )
