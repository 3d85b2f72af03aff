"""The host side of sandboxes: a state directory per worker process, a root per sandbox, a tmpfs per tenant.

Layout (root-owned; under ``/run/bastion-sandbox`` or the given state directory). Directories on the
way to what a sandbox mounts are 0711: bubblewrap resolves its bind sources as the sandbox uid, which
may traverse them but not list them (the sandbox directories carry a random token)::

    <state>/uids/<uid> -> w<pid>-<start>        lock of a uid taken by a worker (see _uids)
    <state>/w<pid>-<start>/  (tmpfs)            one worker's share
        meta/                                   etc/: the minimal /etc skeleton, built once per worker;
                                                <sandbox>-<tenant>.passwd, .group: identity files
        s<n>-<token>/                           one sandbox (its network namespace is a descriptor: _netns)
            <tenant>/fs/  (tmpfs: size, inodes) work/, tmp/, shm/, opt/ of the sample or one service (and a
                                                service's output log, which it does not mount)
            <tenant>/dev/  (tmpfs, read-only)   its /dev: device nodes, links, pts/ (a devpts of its own)

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
import concurrent.futures
import contextlib
import functools
import itertools
import os
import re
import secrets
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bastion.sandbox._argv import WORKDIR, TenantPaths
from bastion.sandbox._cgroup import Cgroup, CgroupHost
from bastion.sandbox._dev import make_dev, remove_dev
from bastion.sandbox._errors import SandboxFailed
from bastion.sandbox._etc import build_etc, group_text, passwd_text
from bastion.sandbox._mount import mount_tmpfs, mounts_under, unmount
from bastion.sandbox._netns import PrivateNetwork
from bastion.sandbox._netns import threads as netns_threads
from bastion.sandbox._spec import Limits
from bastion.sandbox._uids import UidPool

_WORKER_NAME = re.compile(r"^w(\d+)-(\d+)$")
_WORKER_BYTES = 256 * 1024 * 1024  # directories, identity files, /etc (services' logs are on their own tmpfs)
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


@dataclass(frozen=True, slots=True)
class Spare:
    """A sandbox root with its sample tenant made ahead (tmpfs, identity files, cgroup with its limits, a
    locked uid) and its network namespace, for the next start with the same limits on the same cgroup
    host; no process has run in it."""

    limits: Limits
    cgroups: CgroupHost
    root: Path
    tenant: Tenant
    network: PrivateNetwork


@dataclass(slots=True)
class Worker:
    """This process's share of the state directory.

    It keeps at most one :class:`Spare`, made on a thread of its own when a sandbox starts (while its
    commands run, which mostly wait for their processes) and again when one closes if it was taken, so
    that the next start with the same limits only takes it. Taking happens under a lock and empties
    the slot, so no spare goes to two sandboxes. A spare lives in the worker's directory and its cgroups
    carry the worker's name, so a killed worker's spare is swept with the rest of its leftovers."""

    name: str
    state: Path
    directory: Path
    meta: Path
    uids: UidPool
    counter: itertools.count[int]
    _spare: Spare | None = None
    _spare_lock: threading.Lock = field(default_factory=threading.Lock)
    _spare_maker: concurrent.futures.ThreadPoolExecutor | None = None
    # the spare being made (or last made): for which limits and cgroup host, and its maker's future
    _spare_making: tuple[Limits, CgroupHost, concurrent.futures.Future[None]] | None = None

    def spare_pending(self) -> bool:
        """Whether a spare is being made now."""
        return self._spare_making is not None and not self._spare_making[2].done()

    def new_root(self) -> Path:
        root = self.directory / f"s{next(self.counter)}-{secrets.token_hex(8)}"
        root.mkdir()
        root.chmod(0o711)
        return root

    def take_spare(self, limits: Limits, cgroups: CgroupHost) -> Spare | None:
        """The spare made for these limits on this cgroup host, now the caller's alone; or None."""
        with self._spare_lock:
            spare = self._spare
            if spare is None or spare.limits != limits or spare.cgroups is not cgroups:
                return None
            self._spare = None
        return spare

    def prepare_spare(self, limits: Limits, cgroups: CgroupHost) -> None:
        """Start making a spare for these limits in the background, unless one is there or being made (a
        spare for other limits is discarded first: one at a time, so their number is bounded)."""
        with self._spare_lock:
            if self.spare_pending() or (
                self._spare is not None and self._spare.limits == limits and self._spare.cgroups is cgroups
            ):
                return
            if self._spare_maker is None:
                self._spare_maker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="sandbox-spare")
            try:
                making = self._spare_maker.submit(self._make_spare, limits, cgroups, self._spare)
            except RuntimeError:  # the interpreter is shutting down: no new threads; the exit hook removes the rest
                return
            self._spare, self._spare_making = None, (limits, cgroups, making)

    async def take_spare_soon(self, limits: Limits, cgroups: CgroupHost) -> Spare | None:
        """As :meth:`take_spare`, but a spare for these limits that is being made is waited for: it was
        started earlier (by a start or a close), so most of it is done, and making another one beside it
        would only compete with it for the CPU. (Several starts may wait for one; the others make their
        own.)"""
        spare = self.take_spare(limits, cgroups)
        if spare is not None:
            return spare
        with self._spare_lock:
            making = self._spare_making
        if making is None:
            return None
        made_for, made_on, future = making
        if made_for != limits or made_on is not cgroups or future.done():
            return None
        with contextlib.suppress(Exception):
            await asyncio.shield(asyncio.wrap_future(future))
        return self.take_spare(limits, cgroups)

    def _make_spare(self, limits: Limits, cgroups: CgroupHost, stale: Spare | None) -> None:
        try:
            if stale is not None:
                self.discard(stale)
            root = self.new_root()
            try:
                uid = self.uids.allocate()
            except BaseException:
                remove_root(root)
                raise
            network: PrivateNetwork | None = None
            try:
                network = netns_threads().submit(PrivateNetwork.create).result()
                tenant = prepare_tenant(self, root, "sample", uid=uid, home=WORKDIR, limits=limits, cgroups=cgroups)
            except BaseException:
                if network is not None:
                    network.close()
                remove_root(root)
                self.uids.release(uid)
                raise
            with self._spare_lock:
                self._spare = Spare(limits, cgroups, root, tenant, network)
        except (OSError, SandboxFailed):  # a start without a spare makes its own tenant, and reports what fails
            pass

    def discard(self, spare: Spare) -> None:
        """Remove an unused spare: its cgroups (empty: nothing ever ran there), files and mounts; free its uid."""
        if spare.tenant.cgroup is not None:
            for directory in spare.tenant.cgroup.dirs:
                with contextlib.suppress(OSError):
                    directory.rmdir()
        spare.network.close()
        remove_sandbox_files(spare.root, [spare.tenant])
        self.uids.release(spare.tenant.uid)


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
    """At a normal exit, remove the worker's spare, directory and uid locks (the cgroups of sandboxes left
    open go with the next sweep on the host). A forked child inherits this hook but is another worker: it
    does nothing. (A spare being made is finished first: the interpreter joins that thread before this.)"""
    if os.getpid() != pid:
        return
    with owner._spare_lock:
        spare, owner._spare = owner._spare, None
    if spare is not None and spare.tenant.cgroup is not None:
        for directory in spare.tenant.cgroup.dirs:
            with contextlib.suppress(OSError):
                directory.rmdir()
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


def _write_identity(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, text.encode())
        os.fchmod(fd, 0o644)  # whatever the umask
    finally:
        os.close(fd)


def prepare_tenant(
    owner: Worker, root: Path, name: str, *, uid: int, home: str, limits: Limits, cgroups: CgroupHost
) -> Tenant:
    """Mount ``root/name/fs`` (a tmpfs of ``limits.tmpfs_bytes`` and ``limits.max_files``, owned by ``uid``)
    with ``work``, ``tmp`` and ``shm`` in it, make ``root/name/dev`` (``_dev``), write the identity files,
    create the cgroup. (Plain ``os`` calls on string paths: this runs for every sandbox, and pathlib costs
    more than the syscalls.)"""
    base = f"{root}/{name}"
    os.mkdir(base)  # noqa: PTH102 - see the docstring
    os.chmod(base, 0o711)  # noqa: PTH101, S103 - traversable (bubblewrap resolves binds as the uid), not listable
    fs = f"{base}/fs"
    os.mkdir(fs, 0o700)  # noqa: PTH102
    mount_tmpfs(Path(fs), size=limits.tmpfs_bytes, inodes=limits.max_files, uid=uid)
    for sub, mode in (("work", 0o700), ("tmp", 0o1777), ("shm", 0o1777), ("opt", 0o755)):
        path = f"{fs}/{sub}"
        os.mkdir(path)  # noqa: PTH102
        os.chown(path, uid, uid)
        os.chmod(path, mode)  # noqa: PTH101
    make_dev(f"{base}/dev")
    passwd, group = f"{owner.meta}/{root.name}-{name}.passwd", f"{owner.meta}/{root.name}-{name}.group"
    _write_identity(passwd, passwd_text(uid, home))
    _write_identity(group, group_text(uid))
    paths = TenantPaths(
        work=f"{fs}/work",
        tmp=f"{fs}/tmp",  # noqa: S108 - the tenant's own tmpfs
        shm=f"{fs}/shm",
        dev=f"{base}/dev",
        opt=f"{fs}/opt",
        passwd=passwd,
        group=group,
        etc=f"{owner.meta}/etc",
        work_inside=home,
    )
    cgroup = cgroups.create(owner.name, f"{root.name}-{name}", limits)
    return Tenant(name=name, uid=uid, fs=Path(fs), paths=paths, cgroup=cgroup)


def remove_root(root: Path) -> None:
    """Detach every mount under ``root`` (deepest first), then delete it."""
    for point in mounts_under(root):
        unmount(point)
    shutil.rmtree(root, ignore_errors=True)


def remove_sandbox_files(root: Path, tenants: Sequence[Tenant]) -> None:
    """Unmount the tenants' tmpfs and ``/dev`` (``_dev``) and delete the sandbox's files: its identity files
    and the known shape of ``root`` (a directory per tenant holding the emptied mount points ``fs`` and
    ``dev``). Only ``rmdir`` and ``unlink`` are used, which never descend into anything (on a mount point
    they fail), so anything unexpected (another mount, a directory) falls back to :func:`remove_root`,
    which looks up every mount under ``root`` first. Blocking: run it off the loop."""
    for tenant in tenants:
        with contextlib.suppress(SandboxFailed):  # then rmdir refuses, and remove_root tries again
            unmount(tenant.fs)
        with contextlib.suppress(SandboxFailed, OSError):  # likewise
            remove_dev(tenant.paths.dev)
        for identity in (tenant.paths.passwd, tenant.paths.group):
            Path(identity).unlink(missing_ok=True)
    try:
        for tenant in tenants:
            tenant.fs.rmdir()
            tenant.fs.parent.rmdir()
        with os.scandir(root) as entries:
            for entry in entries:
                Path(entry.path).unlink()  # a directory (or a mount point) refuses: see the fallback
        root.rmdir()
    except FileNotFoundError:
        if root.exists():
            remove_root(root)
    except OSError:
        remove_root(root)


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
