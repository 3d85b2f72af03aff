"""Sandbox uids: a documented reserved range, checked against the host before use, locked across workers.

Every sandbox (and each of its target services) runs as a uid of its own from :data:`UID_RANGE`. A
candidate is skipped when the host's user or group database names it or a running process uses it,
and taken with an exclusive lock (a symlink in the shared state directory naming the owning worker),
so two workers on one host never share one. A worker keeps the uids it has checked in a small pool
and reuses them once their sandbox is closed (by then nothing runs as them: see ``_cgroup``).
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import secrets
import threading
from pathlib import Path

from bastion.sandbox._errors import SandboxFailed

# 2^16 uids above systemd's container range (524288-1879048191) and below 2^31, where some tools
# start treating uids as negative. Keep host accounts and subuid ranges out of it.
UID_RANGE = range(1_900_000_000, 1_900_000_000 + 65_536)
_BATCH = 16
_TRIES = 1_000


def _candidate() -> int:
    return UID_RANGE.start + secrets.randbelow(len(UID_RANGE))


def _named_on_host(uid: int) -> bool:
    for lookup in (pwd.getpwuid, grp.getgrgid):
        try:
            lookup(uid)
        except KeyError:
            continue
        return True
    return False


def uids_of_running_processes() -> set[int]:
    """The owners of every process on the host (the owner of ``/proc/<pid>`` is its effective uid)."""
    owners = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                owners.add(entry.stat(follow_symlinks=False).st_uid)
    return owners


class UidPool:
    """Hands out checked, locked uids; ``locks`` is the directory shared by every worker on the host."""

    def __init__(self, locks: Path, owner: str) -> None:
        self.locks = locks
        self._owner = owner
        self._free: list[int] = []
        self._lock = threading.Lock()  # a worker's spare sandbox is made on a thread of its own

    def allocate(self) -> int:
        with self._lock:
            if not self._free:
                self._refill()
            return self._free.pop(0)

    def release(self, uid: int) -> None:
        with self._lock:
            self._free.append(uid)

    def _refill(self) -> None:
        running = uids_of_running_processes()
        for _ in range(_TRIES):
            uid = _candidate()
            if uid not in UID_RANGE or uid in running or uid in self._free or _named_on_host(uid):
                continue
            try:
                (self.locks / str(uid)).symlink_to(self._owner)
            except FileExistsError:
                continue
            self._free.append(uid)
            if len(self._free) >= _BATCH:
                return
        if not self._free:
            raise SandboxFailed(
                f"no free sandbox uid in {UID_RANGE.start}-{UID_RANGE.stop - 1}",
                hint="stale locks are swept when their worker is gone; check the sandbox state directory",
            )
