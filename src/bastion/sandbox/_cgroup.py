"""One cgroup per sandbox tenant (the sample, each target service): memory, processes and CPU per sandbox.

Which hierarchy is used is decided once per process:

* ``v2``: the unified hierarchy, in the cgroup named by ``BASTION_SANDBOX_CGROUP`` (a cgroup delegated to
  the worker, e.g. by systemd's ``Delegate=yes``, with the worker's own processes in a leaf below it: v2
  lets only a cgroup without processes give controllers to its children), else in the worker's own
  cgroup if that can offer ``memory``, ``pids`` and ``cpu`` to its children (the root cgroup can).
  Limits: ``memory.max``, ``memory.swap.max=0``, ``pids.max``, ``cpu.max``; killing uses ``cgroup.kill``.
* ``v1``: the legacy controllers, when ``memory`` and ``pids`` are mounted (``cpu`` is used when
  present). Limits: ``memory.limit_in_bytes`` and ``memory.memsw.limit_in_bytes``, ``pids.max``,
  ``cpu.cfs_quota_us``; killing SIGKILLs every member, round after round, until none is left. (Each
  round kills every process there is, so one forked meanwhile dies in the next; ``pids.max`` bounds
  them, and killing a command's ``tini`` kills its whole pid namespace at once. Joining a freezer
  group too would cost every command another cgroup migration.)
* ``none``: neither; the sandbox falls back to per-process rlimits and pid namespaces (README).

Groups are created directly below the worker's own cgroup, as ``bastion-<worker>-<sandbox>-<tenant>``,
so the limits of whatever runs the worker still cover its sandboxes, each tenant weighs as much as one
task against the rest of the host in CPU scheduling (a group per worker would squeeze all of its
sandboxes into the share of one), and a sweep can tell a dead worker's groups by name. The worker
moves each command's chain into its group before bubblewrap starts anything (see ``_process``): every
process of a tenant, and nothing else, is in it, so killing it never depends on uids.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bastion.sandbox._errors import SandboxFailed
from bastion.sandbox._spec import Limits

_PERIOD_US = 100_000
_KILL_ROUNDS = 50
_V1_REQUIRED = ("memory", "pids")
_V1_OPTIONAL = ("cpu",)
_V2_CONTROLLERS = ("memory", "pids", "cpu")
GROUP_PREFIX = "bastion-"
DELEGATED_ENV = "BASTION_SANDBOX_CGROUP"
_GROUP_NAME = re.compile(r"^bastion-(w\d+-\d+)-")


def _write(path: Path, value: str) -> None:
    with path.open("w") as f:
        f.write(value)


def _members(directory: Path) -> list[int]:
    try:
        return [int(p) for p in (directory / "cgroup.procs").read_text().split()]
    except OSError:
        return []


@dataclass(frozen=True, slots=True)
class Cgroup:
    """The group of one tenant: one directory per hierarchy (v1) or one directory (v2)."""

    kind: Literal["v1", "v2"]
    dirs: tuple[Path, ...]

    @property
    def procs_files(self) -> tuple[str, ...]:
        return tuple(str(d / "cgroup.procs") for d in self.dirs)

    @property
    def joins_itself_cheaply(self) -> bool:
        """Whether a single-threaded process moves itself in without the kernel's global lock: on v1 a
        thread that writes ``0`` (itself) to ``tasks`` skips ``cgroup_threadgroup_rwsem``, whose write side
        waits for an RCU grace period (milliseconds, tens of them on a busy host); any move of another
        process, and every move on v2 (``cgroup.procs`` moves a whole process), takes it."""
        return self.kind == "v1"

    @property
    def join_files(self) -> tuple[str, ...]:
        """The files a process writes ``0`` to in order to move itself into the group: ``tasks`` on v1
        (the thread itself: the chain's setup step is single-threaded, so that is the whole process),
        ``cgroup.procs`` on v2."""
        name = "tasks" if self.kind == "v1" else "cgroup.procs"
        return tuple(str(d / name) for d in self.dirs)

    def _find(self, controller_file: str) -> Path | None:
        return next((d for d in self.dirs if (d / controller_file).exists()), None)

    def memory_peak(self) -> int | None:
        name = "memory.peak" if self.kind == "v2" else "memory.max_usage_in_bytes"
        found = self._find(name)
        return int((found / name).read_text()) if found else None

    def members(self) -> set[int]:
        return {pid for d in self.dirs for pid in _members(d)}

    async def kill(self) -> None:
        """SIGKILL every process in the group, including ones forked while killing, until it is empty.

        v2 has ``cgroup.kill`` (Linux 5.14+), or else ``cgroup.freeze`` to stop forks while killing."""
        if not self.members():
            return
        kill_file, freeze_file = self._find("cgroup.kill"), self._find("cgroup.freeze")
        for _ in range(_KILL_ROUNDS):
            if kill_file is not None:
                _write(kill_file / "cgroup.kill", "1")
            else:
                if freeze_file is not None:
                    _write(freeze_file / "cgroup.freeze", "1")
                try:
                    for pid in self.members():
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
                finally:
                    if freeze_file is not None:
                        _write(freeze_file / "cgroup.freeze", "0")
            await asyncio.sleep(0.01)
            if not self.members():
                return

    async def remove(self) -> None:
        await self.kill()
        for directory in self.dirs:
            await _rmdir(directory)

    def remove_if_empty(self) -> bool:
        """Remove the group's directories if no process is in them (the kernel refuses to remove a group
        that has one, so this needs no look at its members); False if one remains (then :meth:`remove`)."""
        for directory in self.dirs:
            try:
                directory.rmdir()
            except FileNotFoundError:
                continue
            except OSError:
                return False
        return True


async def _rmdir(directory: Path) -> None:
    for _ in range(100):  # a killed task leaves its group a moment after it is reaped
        try:
            directory.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            await asyncio.sleep(0.01)


class CgroupHost:
    """The hierarchy this host offers and the worker's own place in it."""

    def __init__(self, kind: Literal["v1", "v2", "none"], parents: tuple[Path, ...]) -> None:
        self.kind = kind
        self.parents = parents
        self._files: tuple[tuple[str, ...], ...] | None = None  # per parent: the limit files its groups have

    def create(self, worker: str, name: str, limits: Limits) -> Cgroup | None:
        if self.kind == "none":
            return None
        dirs = []
        for parent in self.parents:
            group = parent / f"{GROUP_PREFIX}{worker}-{name}"
            group.mkdir()
            dirs.append(group)
        cgroup = Cgroup(self.kind, tuple(dirs))
        if self._files is None:
            self._files = tuple(_limit_files(d, cgroup.kind) for d in cgroup.dirs)
        _apply_limits(cgroup, limits, self._files)
        return cgroup

    async def sweep(self, is_dead: Callable[[str], bool]) -> int:
        """Kill and remove the groups of dead workers; returns how many groups went."""
        if self.kind == "none":
            return 0
        swept = 0
        for parent in self.parents:
            for entry in os.scandir(parent):
                match = _GROUP_NAME.match(entry.name)
                if match and entry.is_dir() and is_dead(match[1]):
                    with contextlib.suppress(OSError):  # gone already: another worker swept it
                        await Cgroup(self.kind, (Path(entry.path),)).remove()
                        swept += 1
        return swept


def _enable_controllers(directory: Path) -> None:
    wanted = " ".join(f"+{c}" for c in _V2_CONTROLLERS)
    if set(_V2_CONTROLLERS) - set((directory / "cgroup.subtree_control").read_text().split()):
        _write(directory / "cgroup.subtree_control", wanted)


def _limit_values(limits: Limits) -> dict[str, str]:
    """Every limit file either hierarchy may have, and its value (only those present are written)."""
    quota = max(1000, int(limits.cpus * _PERIOD_US))
    return {
        "memory.max": str(limits.memory_bytes),
        "memory.swap.max": "0",
        "cpu.max": f"{quota} {_PERIOD_US}",
        "memory.limit_in_bytes": str(limits.memory_bytes),
        "memory.memsw.limit_in_bytes": str(limits.memory_bytes),
        "pids.max": str(limits.max_processes),
        "cpu.cfs_period_us": str(_PERIOD_US),
        "cpu.cfs_quota_us": str(quota),
    }


# v2 needs these (and memory.swap.max where swap is accounted); each file of v1 is written where its
# controller put it (memsw only with swap accounting), memory before memory+swap, the period before the quota
_V2_FILES = ("memory.max", "pids.max", "cpu.max")
_V1_FILES = (
    "memory.limit_in_bytes",
    "memory.memsw.limit_in_bytes",
    "pids.max",
    "cpu.cfs_period_us",
    "cpu.cfs_quota_us",
)


def _limit_files(directory: Path, kind: Literal["v1", "v2"]) -> tuple[str, ...]:
    """The limit files a new group in this hierarchy has (the same for every group below one parent)."""
    if kind == "v2":
        return (*_V2_FILES, *(f for f in ("memory.swap.max",) if (directory / f).exists()))
    return tuple(name for name in _V1_FILES if (directory / name).exists())


def _apply_limits(cgroup: Cgroup, limits: Limits, files: tuple[tuple[str, ...], ...]) -> None:
    values = _limit_values(limits)
    for directory, names in zip(cgroup.dirs, files, strict=True):
        for name in names:
            _write(directory / name, values[name])


def _mounts() -> tuple[Path | None, dict[str, Path]]:
    unified, legacy = None, {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        before, _, after = line.partition(" - ")
        fstype, _source, options = [*after.split(), "", "", ""][:3]
        root, point = before.split()[3:5]
        if fstype == "cgroup2" and root == "/":
            unified = Path(point)
        elif fstype == "cgroup" and root == "/":
            for controller in options.split(","):
                if controller in _V1_REQUIRED + _V1_OPTIONAL:
                    legacy[controller] = Path(point)
    return unified, legacy


def _membership() -> dict[str, str]:
    """Controller (``""`` for v2) -> this process's cgroup path."""
    own = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            own[controller] = path
    return own


def _usable_v2(unified: Path, own: str) -> Path | None:
    directory = unified / own.lstrip("/")
    try:
        offered = set((directory / "cgroup.controllers").read_text().split())
        if set(_V2_CONTROLLERS) - offered:
            return None
        _enable_controllers(directory)
    except OSError:
        return None  # not delegated to us (e.g. the worker itself sits in that group)
    return directory


@functools.cache
def host_cgroups() -> CgroupHost:
    unified, legacy = _mounts()
    own = _membership()
    delegated = os.environ.get(DELEGATED_ENV)
    if delegated:
        directory = _usable_v2(unified, delegated) if unified is not None else None
        if directory is None:
            raise SandboxFailed(
                f"{DELEGATED_ENV}={delegated} is not a cgroup v2 group that can give memory, pids and cpu "
                "to its children",
                hint="name a delegated cgroup (relative to the cgroup2 mount) that holds no process itself, "
                "or unset the variable to use the worker's own cgroup or cgroup v1",
            )
        return CgroupHost("v2", (directory,))
    if unified is not None and "" in own and (directory := _usable_v2(unified, own[""])):
        return CgroupHost("v2", (directory,))
    if all(c in legacy and c in own for c in _V1_REQUIRED):
        controllers = [c for c in _V1_REQUIRED + _V1_OPTIONAL if c in legacy and c in own]
        parents = tuple(legacy[c] / own[c].lstrip("/") for c in controllers)
        if all(os.access(p, os.W_OK) for p in parents):
            return CgroupHost("v1", parents)
    return CgroupHost("none", ())
