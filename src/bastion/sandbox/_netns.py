"""A private network namespace per sandbox (only ``lo``, up), held by a descriptor of the worker.

The worker makes it itself, on a thread: the thread leaves for a new network namespace (a network
namespace belongs to a thread, so the others stay where they are), brings ``lo`` up (the kernel gives
it 127.0.0.1 and ::1), opens the namespace and goes back. No process has to run inside to keep it: the
descriptor does. Closing it (or the worker's death, which closes it) lets the kernel free the namespace
once the last process in it has gone, so nothing is left to sweep.

Every command and target service of the sandbox starts in it (:func:`start_inside`): a spawning thread
joins the namespace, forks the host chain, which keeps the namespace it was forked in, and goes back;
bubblewrap never makes one of its own. So a command starts without the cost of a new namespace, and
the commands and services of one sandbox share ``lo`` and nothing else. A shell someone else starts
(``connection()``) joins it with ``nsenter`` through ``/proc/<worker>/fd/<fd>``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import fcntl
import os
import socket
import struct
import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

from bastion.sandbox._errors import SandboxFailed
from bastion.sandbox._mount import libc

_T = TypeVar("_T")
_LISTEN = "0A"
_CLONE_NEWNET = 0x40000000
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1
_IFREQ = "16sh22x"  # struct ifreq: the name, then ifr_flags in the union
_OWN = "/proc/thread-self/ns/net"


def listening_ports(proc_net_tcp: Iterable[str]) -> set[int]:
    """TCP ports in LISTEN state, parsed from the text of ``/proc/net/tcp`` and ``/proc/net/tcp6``."""
    ports: set[int] = set()
    for text in proc_net_tcp:
        for line in text.splitlines()[1:]:
            fields = line.split()
            if len(fields) > 3 and fields[3] == _LISTEN and ":" in fields[1]:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _call(function: Callable[..., int], *args: int) -> None:
    if function(*args) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _join(fd: int) -> None:
    _call(libc().setns, fd, _CLONE_NEWNET)


def _open_with_lo_up() -> int:
    """A descriptor of this thread's (new) network namespace, after bringing its ``lo`` up."""
    namespace = os.open(_OWN, os.O_RDONLY | os.O_CLOEXEC)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            request = struct.pack(_IFREQ, b"lo", 0)
            _, flags = struct.unpack(_IFREQ, fcntl.ioctl(probe, _SIOCGIFFLAGS, request))
            fcntl.ioctl(probe, _SIOCSIFFLAGS, struct.pack(_IFREQ, b"lo", flags | _IFF_UP))
    except BaseException:
        os.close(namespace)
        raise
    return namespace


def _away(work: Callable[[], _T], target: int | None) -> _T:
    """Run ``work`` on this thread in the namespace ``target`` (in a new one if None), then go back."""
    home = os.open(_OWN, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if target is None:
            _call(libc().unshare, _CLONE_NEWNET)
        else:
            _join(target)
        try:
            return work()
        finally:
            _join(home)  # we hold the namespace and CAP_SYS_ADMIN: this does not fail in practice
    finally:
        os.close(home)


_THREADS: dict[int, concurrent.futures.ThreadPoolExecutor] = {}


def threads() -> concurrent.futures.ThreadPoolExecutor:
    """The only threads that change their network namespace: every job joins the namespace it needs
    first, so none depends on where the previous one left its thread (rebuilt after a fork)."""
    pid = os.getpid()
    if pid not in _THREADS:
        _THREADS[pid] = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="sandbox-netns")
    return _THREADS[pid]


class PrivateNetwork:
    """Owns one private network namespace through a descriptor (close-on-exec: no child inherits it)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        # held while a thread is inside: the descriptor is never closed (and its number never reused, by
        # another sandbox's namespace say) between reading it and joining
        self._lock = threading.Lock()

    @classmethod
    def create(cls) -> PrivateNetwork:
        """Blocking (about half a millisecond, mostly the kernel's); run it on :func:`threads`."""
        try:
            holder = _away(_open_with_lo_up, None)
        except OSError as e:
            raise SandboxFailed("could not create a private network namespace", details={"error": str(e)}) from e
        return cls(holder)

    def start_inside(self, start: Callable[[], _T]) -> _T:
        """Run ``start`` (it forks the host chain) on this thread inside the namespace; blocking, so run
        it on :func:`threads`."""
        with self._lock:
            if self._fd < 0:
                raise SandboxFailed("the sandbox's network namespace is closed")
            return _away(start, self._fd)

    def proc_path(self) -> str:
        """A path another process of this host's root may open to join the namespace while we hold it."""
        return f"/proc/{os.getpid()}/fd/{self._fd}"

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                fd, self._fd = self._fd, -1
                os.close(fd)


async def new_network() -> PrivateNetwork:
    """:meth:`PrivateNetwork.create` on one of :func:`threads`; on a cancellation the namespace being made is
    closed as soon as it exists."""
    future = asyncio.get_running_loop().run_in_executor(threads(), PrivateNetwork.create)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        future.add_done_callback(_close_made)
        raise


def _close_made(future: asyncio.Future[PrivateNetwork]) -> None:
    if not future.cancelled() and future.exception() is None:
        future.result().close()
