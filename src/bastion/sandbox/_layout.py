"""The host side of sandboxes: a state directory per worker process, a root per sandbox, a tmpfs per tenant.

Layout (root-owned; under ``/run/bastion-sandbox`` or the given state directory). Directories on the
way to what a sandbox mounts are 0711: bubblewrap resolves its bind sources as the sandbox uid, which
may traverse them but not list them (the sandbox directories carry a random token)::

    <state>/uids/<uid> -> w<pid>-<start>        lock of a uid taken by a worker (see _uids)
    <state>/w<pid>-<start>/  (tmpfs)            one worker's share
        meta/                                   etc/: the minimal /etc skeleton, built once per worker;
                                                <sandbox>-<tenant>.passwd, .group: identity files
        s<n>-<token>/                           one sandbox
            netns                               its private network namespace, bind-mounted (loopback)
            <tenant>/fs/  (tmpfs: size, inodes) work/, tmp/, shm/ of the sample or one service

A worker's share is a tmpfs of its own, so that the directories and files made and removed for every
sandbox never touch the host's disk: on a journaling filesystem a ``rmdir`` can wait milliseconds for
the journal.

Everything a sandbox mounts lives on a tmpfs, so its ``/proc/self/mountinfo`` shows paths inside those
(``/etc``, ``/work``), never the host's.

A worker is named by its pid *and* start time, so a reused pid cannot pass for it. Starting a sandbox
sweeps what dead workers left (a SIGKILL skips every cleanup): their mounts, directories, uid locks
and cgroups.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import itertools
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from bastion.sandbox._argv import TenantPaths
from bastion.sandbox._cgroup import Cgroup, CgroupHost
from bastion.sandbox._errors import SandboxFailed
from bastion.sandbox._etc import build_etc, group_text, passwd_text
from bastion.sandbox._mount import mount_tmpfs, mounts_under, unmount
from bastion.sandbox._spec import Limits
from bastion.sandbox._uids import UidPool

_WORKER_NAME = re.compile(r"^w(\d+)-(\d+)$")
_WORKER_BYTES = 256 * 1024 * 1024  # directories, identity files, /etc, target services' logs
_WORKER_FILES = 65_536


def default_state_dir() -> Path:
    run = Path("/run")
    return run / "bastion-sandbox" if run.is_dir() else Path("/var/tmp/bastion-sandbox")  # noqa: S108


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def is_dead(worker: str) -> bool:
    """Whether the worker named ``w<pid>-<start>`` is gone (a live process with that pid started later)."""
    match = _WORKER_NAME.match(worker)
    if match is None:
        return False  # not ours: leave it alone
    return start_time(int(match[1])) != int(match[2])


def _private_dir(path: Path, mode: int = 0o711) -> Path:
    path.mkdir(mode=mode, parents=True, exist_ok=True)
    info = path.lstat()
    if path.is_dir() and not path.is_symlink() and info.st_uid == 0:
        path.chmod(mode)  # mkdir's mode passed through the umask
        info = path.lstat()
    if not path.is_dir() or path.is_symlink() or info.st_uid != 0 or info.st_mode & 0o7777 != mode:
        raise SandboxFailed(
            f"the sandbox state directory {path} is not a root-owned directory with mode {mode:o}",
            hint="remove it (or fix its owner and mode) and start again",
        )
    return path


@dataclass(slots=True)
class Worker:
    """This process's share of the state directory."""

    name: str
    state: Path
    directory: Path
    meta: Path
    uids: UidPool
    counter: itertools.count[int]

    def new_root(self) -> Path:
        root = self.directory / f"s{next(self.counter)}-{secrets.token_hex(8)}"
        root.mkdir()
        root.chmod(0o711)
        return root


_workers: dict[tuple[int, Path], Worker] = {}


def worker(state: Path | None = None) -> Worker:
    """This process's worker state (rebuilt after a fork: the child is another worker)."""
    state = state or default_state_dir()
    key = (os.getpid(), state)
    if key not in _workers:
        _private_dir(state)
        name = f"w{os.getpid()}-{start_time(os.getpid())}"
        directory = _private_dir(state / name)
        mount_tmpfs(directory, size=_WORKER_BYTES, inodes=_WORKER_FILES, uid=0, mode=0o711)
        meta = _private_dir(directory / "meta")
        build_etc(meta / "etc")
        pool = UidPool(_private_dir(state / "uids", 0o700), name)
        _workers[key] = Worker(name, state, directory, meta, pool, itertools.count())
        atexit.register(_leave, _workers[key], os.getpid())
    return _workers[key]


def _leave(owner: Worker, pid: int) -> None:
    """At a normal exit, remove the worker's directory and uid locks (its empty cgroups go with the
    next sweep on the host). A forked child inherits this hook but is another worker: it does nothing."""
    if os.getpid() != pid:
        return
    with contextlib.suppress(OSError, SandboxFailed):
        for lock in os.scandir(owner.uids.locks):
            with contextlib.suppress(OSError):
                if str(Path(lock.path).readlink()) == owner.name:
                    Path(lock.path).unlink()
        remove_root(owner.directory)


@dataclass(frozen=True, slots=True)
class Tenant:
    """One identity in a sandbox (the sample, or one target service): its uid, tmpfs and cgroup."""

    name: str
    uid: int
    fs: Path
    paths: TenantPaths
    cgroup: Cgroup | None

    async def release(self) -> None:
        if self.cgroup is not None:
            await self.cgroup.remove()
        await asyncio.to_thread(unmount, self.fs)
        for identity in (self.paths.passwd, self.paths.group):
            Path(identity).unlink(missing_ok=True)


def prepare_tenant(
    owner: Worker, root: Path, name: str, *, uid: int, home: str, limits: Limits, cgroups: CgroupHost
) -> Tenant:
    """Mount ``root/name/fs`` (a tmpfs of ``limits.tmpfs_bytes`` and ``limits.max_files``, owned by ``uid``)
    with ``work``, ``tmp`` and ``shm`` in it, write the identity files, create the cgroup."""
    base = root / name
    base.mkdir()
    base.chmod(0o711)
    fs = base / "fs"
    fs.mkdir(mode=0o700)
    mount_tmpfs(fs, size=limits.tmpfs_bytes, inodes=limits.max_files, uid=uid)
    for sub, mode in (("work", 0o700), ("tmp", 0o1777), ("shm", 0o1777), ("opt", 0o755)):
        (fs / sub).mkdir()
        os.chown(fs / sub, uid, uid)
        (fs / sub).chmod(mode)
    passwd, group = owner.meta / f"{root.name}-{name}.passwd", owner.meta / f"{root.name}-{name}.group"
    passwd.write_text(passwd_text(uid, home))
    group.write_text(group_text(uid))
    for identity in (passwd, group):
        identity.chmod(0o644)
    paths = TenantPaths(
        work=str(fs / "work"),
        tmp=str(fs / "tmp"),
        shm=str(fs / "shm"),
        opt=str(fs / "opt"),
        passwd=str(passwd),
        group=str(group),
        etc=str(owner.meta / "etc"),
        work_inside=home,
    )
    cgroup = cgroups.create(owner.name, f"{root.name}-{name}", limits)
    return Tenant(name=name, uid=uid, fs=fs, paths=paths, cgroup=cgroup)


def remove_root(root: Path) -> None:
    """Detach every mount under ``root`` (deepest first), then delete it."""
    for point in mounts_under(root):
        unmount(point)
    shutil.rmtree(root, ignore_errors=True)


async def sweep(state: Path, cgroups: CgroupHost) -> int:
    """Remove what dead workers left under ``state`` and in the cgroup tree; returns how many workers.

    Cheap when there is nothing to sweep (it runs before every start): each worker named in the state
    directory or the cgroup tree is looked up once, and uid locks are only scanned once a dead worker's
    directory has been found (its locks are removed before its directory)."""
    dead = functools.cache(is_dead)
    swept = 0
    with contextlib.suppress(FileNotFoundError):  # another worker may be sweeping the same leftovers
        for entry in os.scandir(state):
            if entry.is_dir(follow_symlinks=False) and dead(entry.name):
                with contextlib.suppress(OSError):
                    for lock in os.scandir(state / "uids"):
                        with contextlib.suppress(OSError):
                            if dead(str(Path(lock.path).readlink())):
                                Path(lock.path).unlink()
                with contextlib.suppress(OSError, SandboxFailed):
                    await asyncio.to_thread(remove_root, Path(entry.path))
                    swept += 1
    await cgroups.sweep(dead)
    return swept
