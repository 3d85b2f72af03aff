"""Run one spawned sandbox process to completion: admit it, feed stdin, cap output, enforce wall time.

On cgroup v1 the chain moves itself into the sandbox's cgroups (see ``_argv``) and there is nothing to
admit. On cgroup v2, admission: the host chain starts outside the sandbox's cgroups, and bubblewrap
reads its arguments from a pipe. While the root setup step, ``capsh`` and bubblewrap start, the worker moves the
chain's process into the tenant's cgroups (a move waits for the kernel's cgroup lock, which takes an
RCU grace period: milliseconds, more on a busy host, and now overlapping those steps instead of
preceding them), and only then writes bubblewrap's arguments: bubblewrap clones nothing before it has
them, so every process of the sandbox starts inside the cgroups. The worker reaps the chain itself
(never a background child watcher) and only after admission is over, so the pid it writes names its
own child: a pid is not reused before it is reaped.

A timeout or a cancellation kills the process tree: the sandbox's init (tini) is pid 1 of a private pid
namespace, and when pid 1 dies the kernel kills and reaps every other process in that namespace.
bubblewrap itself waits for that init, so no process of the sandbox is left for the host's pid 1 to
reap (an unreaped zombie would still count against the sandbox's process limits).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import os
import select
import signal
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bastion.sandbox._errors import SandboxFailed
from bastion.sandbox._netns import PrivateNetwork
from bastion.sandbox._netns import threads as netns_threads

_CHUNK = 64 * 1024
_REAP_SECONDS = 5.0
# The helpers (sh, capsh, bwrap; nsenter for a connection) are started with this environment, never the
# host's. No LANG: each of them would load the locale files on every command; the command's own environment
# is set by bwrap.
HOST_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}


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


class _Sink(asyncio.Protocol):
    """The write end of a command's stdin: done once everything written was flushed, or the pipe broke."""

    def __init__(self, done: asyncio.Future[None]) -> None:
        self.done = done

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def _feed(stdin: IO[bytes] | None, data: bytes | None) -> None:
    if stdin is None:
        return
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    transport, _ = await loop.connect_write_pipe(lambda: _Sink(done), stdin)
    try:
        if data:
            transport.write(data)
        transport.close()  # flushes what is buffered, then reports connection_lost (also on a broken pipe)
        await done
    finally:
        transport.abort()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


@dataclass(frozen=True, slots=True)
class Admission:
    """What the worker does for a spawned chain before bubblewrap may start: move it into the tenant's
    cgroups (``procs_files``), then write bubblewrap's arguments (``args``) to the pipe ``args_fd``."""

    args: bytes
    args_fd: int
    procs_files: tuple[str, ...] = ()


class Child:
    """A spawned host chain that only this object reaps, when its pidfd reports the exit: until then
    its pid cannot name another process."""

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self._popen = popen
        self._pidfd = os.pidfd_open(popen.pid)  # not reaped yet, so the pid is still our child's
        loop = asyncio.get_running_loop()
        self._exited: asyncio.Future[None] = loop.create_future()
        loop.add_reader(self._pidfd, self._on_exit)
        self._readers: list[asyncio.ReadTransport] = []
        self.stdout: asyncio.StreamReader | None = None
        self.stderr: asyncio.StreamReader | None = None
        self.stdin: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        return self._popen.pid

    @property
    def returncode(self) -> int | None:
        if self._popen.returncode is None and self._exited.done():
            self._reap()
        return self._popen.returncode

    def _on_exit(self) -> None:
        asyncio.get_running_loop().remove_reader(self._pidfd)
        if not self._exited.done():
            self._exited.set_result(None)

    def _reap(self) -> None:
        self._popen.wait()  # it has exited: this returns at once
        os.close(self._pidfd)

    def exited(self) -> bool:
        """Whether the chain has exited (it may not be reaped yet); safe from any thread."""
        return bool(select.select([self._pidfd], [], [], 0)[0])

    def kill(self) -> None:
        if self._popen.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    async def wait(self) -> int:
        await asyncio.shield(self._exited)
        returncode = self.returncode
        assert returncode is not None
        return returncode

    async def _connect(self, stdin: bool, capture: bool) -> None:
        loop = asyncio.get_running_loop()
        self.stdin = self._popen.stdin if stdin else None
        if capture:
            streams = []
            for pipe in (self._popen.stdout, self._popen.stderr):
                reader = asyncio.StreamReader(limit=_CHUNK)
                transport, _ = await loop.connect_read_pipe(
                    functools.partial(asyncio.StreamReaderProtocol, reader), pipe
                )
                self._readers.append(transport)
                streams.append(reader)
            self.stdout, self.stderr = streams

    def close_pipes(self) -> None:
        for transport in self._readers:
            transport.close()
        for pipe in (self._popen.stdin, self._popen.stdout, self._popen.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


_ADMITTERS: dict[int, concurrent.futures.ThreadPoolExecutor] = {}


def _admitters() -> concurrent.futures.ThreadPoolExecutor:
    """Threads of this process for admissions, apart from the event loop's default executor: a cgroup
    move waits for the kernel's global cgroup lock, and many commands starting at once must not take
    every thread that file transfers and the rest use (rebuilt after a fork, which keeps no thread)."""
    pid = os.getpid()
    if pid not in _ADMITTERS:
        _ADMITTERS[pid] = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="sandbox-admission")
    return _ADMITTERS[pid]


def _admit(child: Child, admission: Admission) -> None:
    """Runs in a thread (a cgroup move may wait for an RCU grace period); the caller reaps nothing meanwhile."""
    try:
        for path in admission.procs_files:
            try:
                with Path(path).open("w") as procs:
                    procs.write(str(child.pid))
            except OSError as e:
                if child.exited():
                    return  # the chain failed before bubblewrap started: its exit status and stderr say why
                raise SandboxFailed(
                    "could not move the command into its sandbox's cgroup",
                    details={"cgroup": path, "error": str(e)},
                ) from e
        view = memoryview(admission.args)
        while view:
            view = view[os.write(admission.args_fd, view) :]
    except BrokenPipeError:
        pass  # as above: the chain ended before it read its arguments
    finally:
        os.close(admission.args_fd)


async def kill_tree(proc: Child) -> None:
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


async def _started(
    start: Callable[[], subprocess.Popen[bytes]], network: PrivateNetwork, pass_fds: Sequence[int]
) -> subprocess.Popen[bytes]:
    """``start()`` inside ``network``, on one of its threads; ``pass_fds`` are closed once the chain has its
    copies (on a cancellation, only once the thread is done with them)."""

    def close_passed() -> None:
        for fd in pass_fds:
            os.close(fd)

    future = asyncio.get_running_loop().run_in_executor(netns_threads(), network.start_inside, start)
    try:
        popen = await asyncio.shield(future)
    except asyncio.CancelledError:
        future.add_done_callback(functools.partial(_abandon, close_passed))
        raise
    except BaseException:
        close_passed()
        raise
    close_passed()
    return popen


def _abandon(close_passed: Callable[[], None], future: asyncio.Future[subprocess.Popen[bytes]]) -> None:
    """A start whose caller was cancelled: once the thread is done, kill and reap what it started."""
    close_passed()
    if not future.cancelled() and future.exception() is None:
        with future.result() as popen:  # closes its pipes and reaps it
            popen.kill()


async def spawn(
    argv: Sequence[str],
    *,
    admission: Admission | None,
    stdin: bool,
    pass_fds: Sequence[int] = (),
    stdout: int = subprocess.PIPE,
    network: PrivateNetwork,
) -> Child:
    """Start ``argv`` with the fixed host environment, in ``/``, in a session of its own, inside ``network``
    (the sandbox's network namespace, see ``_netns``), and admit it (:class:`Admission`, if any);
    ``pass_fds`` (bubblewrap's seccomp file, its arguments' file or the read end of their pipe) are
    handed over and closed here, and so is the write end of that pipe."""

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603 - a fixed argv built by _argv, no shell
            argv,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.PIPE if stdout == subprocess.PIPE else stdout,
            env=HOST_ENV,
            cwd="/",
            pass_fds=tuple(pass_fds),
            start_new_session=True,
        )

    try:
        popen = await _started(start, network, pass_fds)
    except BaseException:
        if admission is not None:
            os.close(admission.args_fd)
        raise
    try:
        child = Child(popen)
    except BaseException:  # no pidfd (a kernel before 5.3)
        with popen:  # closes its pipes and reaps it
            popen.kill()
        if admission is not None:  # bubblewrap never got its arguments, so nothing ran
            os.close(admission.args_fd)
        raise
    admitted = (
        asyncio.get_running_loop().run_in_executor(_admitters(), _admit, child, admission)
        if admission is not None
        else None
    )
    try:
        if admitted is not None:
            await asyncio.shield(admitted)
        await child._connect(stdin, capture=stdout == subprocess.PIPE)
    except BaseException:
        child.kill()
        if admitted is not None:
            await asyncio.gather(admitted, return_exceptions=True)  # its pid stays ours until the thread is done
        await child.wait()
        child.close_pipes()
        raise
    return child


async def run_captured(
    argv: Sequence[str],
    *,
    admission: Admission | None,
    input_bytes: bytes | None,
    timeout: float,
    max_output: int,
    pass_fds: Sequence[int] = (),
    network: PrivateNetwork,
) -> CommandResult:
    proc = await spawn(argv, admission=admission, stdin=input_bytes is not None, pass_fds=pass_fds, network=network)
    out, err = _Capture(max_output), _Capture(max_output)
    tasks = [asyncio.create_task(out.drain(proc.stdout)), asyncio.create_task(err.drain(proc.stderr))]
    if proc.stdin is not None:
        tasks.append(asyncio.create_task(_feed(proc.stdin, input_bytes)))
    timed_out = False
    try:
        try:
            async with asyncio.timeout(timeout):  # no task of its own, unlike wait_for
                await proc.wait()
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
        proc.close_pipes()
    return CommandResult(
        returncode=None if timed_out else proc.returncode,
        stdout=out.value(),
        stderr=err.value(),
        stdout_truncated=out.truncated,
        stderr_truncated=err.truncated,
        timed_out=timed_out,
    )
