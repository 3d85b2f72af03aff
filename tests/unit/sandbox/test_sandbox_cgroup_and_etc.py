"""Decisions made on files: which cgroup limits are written (v1 and v2 layouts), the minimal /etc, the
seccomp program, and how dead workers are recognised.

The v2 layout is exercised here on a directory tree: this development host has only the v1 controllers,
so the live tests (tests/integration/sandbox) cover v1.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bastion.sandbox import GiB, Limits, MiB, SandboxFailed
from bastion.sandbox._cgroup import CgroupHost, host_cgroups
from bastion.sandbox._etc import build_etc
from bastion.sandbox._layout import is_dead, start_time
from bastion.sandbox._seccomp import seccomp_program

LIMITS = Limits(memory_bytes=256 * MiB, max_processes=64, cpus=1.5, disk_bytes=1 * GiB)


def _controller_files(directory: Path, names: list[str]) -> None:
    for name in names:
        (directory / name).write_text("")


def test_v2_limits_memory_without_swap_processes_and_cpu_bandwidth(tmp_path: Path) -> None:
    parent = tmp_path / "worker-cgroup"
    parent.mkdir()
    (parent / "cgroup.subtree_control").write_text("")

    def fake_mkdir(self: Path, *args: object, **kwargs: object) -> None:
        os.mkdir(self)  # noqa: PTH102
        files = ["cgroup.subtree_control", "memory.max", "memory.swap.max", "pids.max", "cpu.max", "cgroup.procs"]
        _controller_files(self, files)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Path, "mkdir", fake_mkdir)
        group = CgroupHost("v2", (parent,)).create("w1-2", "s0-x-sample", LIMITS)
    assert group is not None
    [directory] = group.dirs
    assert directory == parent / "bastion-w1-2-s0-x-sample"
    assert (directory / "memory.max").read_text() == str(256 * MiB)
    assert (directory / "memory.swap.max").read_text() == "0"
    assert (directory / "pids.max").read_text() == "64"
    assert (directory / "cpu.max").read_text() == "150000 100000"
    assert group.procs_files == (str(directory / "cgroup.procs"),)
    assert group.join_files == group.procs_files and not group.joins_itself_cheaply  # the worker moves the chain


def test_v1_limits_each_controller_in_its_own_hierarchy(tmp_path: Path) -> None:
    roots = {name: tmp_path / name for name in ("memory", "pids", "cpu")}
    files = {
        "memory": ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"],
        "pids": ["pids.max"],
        "cpu": ["cpu.cfs_period_us", "cpu.cfs_quota_us"],
    }
    real_mkdir = Path.mkdir

    def fake_mkdir(self: Path, *args: object, **kwargs: object) -> None:
        real_mkdir(self, exist_ok=True)
        for name, root in roots.items():
            if self.parent == root:
                _controller_files(self, files[name])

    for root in roots.values():
        root.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Path, "mkdir", fake_mkdir)
        group = CgroupHost("v1", tuple(roots.values())).create("w1-2", "s0-x-sample", LIMITS)
    assert group is not None
    memory, pids, cpu = group.dirs
    assert (memory / "memory.limit_in_bytes").read_text() == str(256 * MiB)
    assert (memory / "memory.memsw.limit_in_bytes").read_text() == str(256 * MiB)  # no swap on top
    assert (pids / "pids.max").read_text() == "64"
    assert (cpu / "cpu.cfs_quota_us").read_text() == "150000"
    assert len(group.procs_files) == 3  # a process joins every hierarchy
    # the chain moves itself, thread by thread ("0" written to tasks), which skips the kernel's global lock
    assert group.joins_itself_cheaply and group.join_files == tuple(str(d / "tasks") for d in group.dirs)


def test_no_cgroups_means_no_group() -> None:
    assert CgroupHost("none", ()).create("w1-2", "s0", LIMITS) is None


def test_etc_skeleton_copies_what_programs_need_and_keeps_symlinks_into_the_system(tmp_path: Path) -> None:
    host = tmp_path / "host-etc"
    (host / "ld.so.conf.d").mkdir(parents=True)
    (host / "ld.so.conf.d" / "x86_64.conf").write_text("/usr/lib/x86_64-linux-gnu\n")
    (host / "ld.so.cache").write_bytes(b"cache")
    (host / "machine-id").write_text("secret-id")
    (host / "passwd-").write_text("backup")
    (host / "os-release").symlink_to("../usr/lib/os-release")
    (host / "localtime").symlink_to("/srv/zoneinfo/UTC")  # points outside what the sandbox sees
    etc = tmp_path / "etc"
    build_etc(etc, host)
    assert (etc / "ld.so.cache").read_bytes() == b"cache"
    assert (etc / "ld.so.conf.d" / "x86_64.conf").read_text() == "/usr/lib/x86_64-linux-gnu\n"
    assert (etc / "os-release").readlink() == Path("../usr/lib/os-release")
    assert not (etc / "localtime").exists()
    assert not (etc / "machine-id").exists() and not (etc / "passwd-").exists()
    assert (etc / "hostname").read_text() == "sandbox\n"
    assert (etc / "passwd").read_bytes() == b""  # a placeholder: each sandbox binds its own over it


def test_seccomp_program_is_compiled_once() -> None:
    program = seccomp_program()
    assert len(program) % 8 == 0 and len(program) > 8 * 20  # BPF instructions of 8 bytes
    assert seccomp_program() is program


def test_a_worker_is_recognised_by_pid_and_start_time() -> None:
    me = os.getpid()
    assert not is_dead(f"w{me}-{start_time(me)}")
    assert is_dead(f"w{me}-{(start_time(me) or 0) + 1}")  # same pid, another process: pid reuse
    assert is_dead("w999999999-1")
    assert not is_dead("etc") and not is_dead("uids")  # not a worker's: never swept


def test_a_named_cgroup_that_cannot_hold_sandboxes_is_refused_not_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASTION_SANDBOX_CGROUP", "/no-such-delegated-group")
    with pytest.raises(SandboxFailed, match="BASTION_SANDBOX_CGROUP=/no-such-delegated-group") as raised:
        host_cgroups.__wrapped__()
    assert raised.value.hint is not None and "delegated" in raised.value.hint
