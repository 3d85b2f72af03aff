"""The sandbox's host-side directory: one private root per sandbox, removed on close."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import tempfile
from pathlib import Path

from bastion.sandbox._argv import Mounts, group_text, passwd_text

_UID_LOW, _UID_HIGH = 1 << 20, (1 << 31) - 2
_in_use: set[int] = set()


def allocate_uid() -> int:
    """A fresh unprivileged uid for one sandbox. A private uid per sandbox makes RLIMIT_NPROC count
    only that sandbox's processes and lets ``close`` find every process it owns."""
    while True:
        uid = _UID_LOW + secrets.randbelow(_UID_HIGH - _UID_LOW)
        if uid not in _in_use:
            _in_use.add(uid)
            return uid


def release_uid(uid: int) -> None:
    _in_use.discard(uid)


def make_root(parent: Path | None) -> Path:
    root = Path(tempfile.mkdtemp(prefix="bastion-sandbox-", dir=parent))
    (root / "empty").write_bytes(b"")
    return root


def prepare(root: Path, name: str, uid: int, work_inside: str) -> Mounts:
    """Create ``root/name/{work,tmp,opt}`` owned by ``uid`` and the passwd/group files naming it."""
    base = root / name
    base.mkdir(mode=0o700)
    for sub in ("work", "tmp", "opt"):
        (base / sub).mkdir(mode=0o700)
        os.chown(base / sub, uid, uid)
    (base / "passwd").write_text(passwd_text(uid, work_inside))
    (base / "group").write_text(group_text(uid))
    return Mounts(
        work=str(base / "work"),
        tmp=str(base / "tmp"),
        opt=str(base / "opt"),
        passwd=str(base / "passwd"),
        group=str(base / "group"),
        empty_file=str(root / "empty"),
        work_inside=work_inside,
    )


def pids_of_uid(uid: int) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_uid == uid:
                    pids.append(int(entry.name))
    return pids


def kill_uid(uid: int) -> int:
    """SIGKILL every host process running as ``uid`` (a safety net: normally there are none)."""
    pids = pids_of_uid(uid)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return len(pids)
