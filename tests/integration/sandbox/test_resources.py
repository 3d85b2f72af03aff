"""Per-sandbox resources (issue 7, items 3, 4, 7 and 8): memory through cgroups (memfd included), a size-
and inode-limited workspace and /tmp, a writable /dev/shm, uids from a reserved range that are checked
before use, and leftovers of a SIGKILLed worker swept by the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bastion.sandbox import UID_RANGE, Limits, MiB, NetworkMode, Sandbox, SandboxSpec, ServiceSpec, sweep_leftovers
from bastion.sandbox import _uids as uids
from tests.integration.sandbox.support import runs_as

pytestmark = pytest.mark.anyio

MEMFD_HOG = """
import os, sys
fd = os.memfd_create("hog")
chunk = b"x" * (1 << 20)
for i in range(int(sys.argv[1])):
    os.write(fd, chunk)
print("held", int(sys.argv[1]), "MiB", flush=True)
"""


async def test_memfd_pages_count_against_the_sandbox_memory_limit() -> None:
    async with await Sandbox.start(SandboxSpec(limits=Limits(memory_bytes=64 * MiB, wall_seconds=60))) as sb:
        control = await sb.exec(["python3", "-c", MEMFD_HOG, "16"])
        hog = await sb.exec(["python3", "-c", MEMFD_HOG, "256"])  # four times the limit
        peak = sb.memory_peak_bytes()
    assert control.stdout == b"held 16 MiB\n"  # the probe works when it stays within the limit
    assert hog.returncode != 0 and b"held" not in hog.stdout, hog
    assert peak is not None and peak <= 64 * MiB  # the host never held more than the limit for it


async def test_the_memory_limit_holds_across_processes_of_one_sandbox() -> None:
    # three processes of 40 MiB each are within a 96 MiB per-process address-space limit, but not all
    # within a 96 MiB sandbox: at least one of them must be killed
    each = "import time; b = bytearray(40 << 20); time.sleep(3)"
    script = f'p=""; for i in 1 2 3; do python3 -c "{each}" & p="$p $!"; done; for i in $p; do wait $i; echo $?; done'
    async with await Sandbox.start(SandboxSpec(limits=Limits(memory_bytes=96 * MiB, wall_seconds=60))) as sb:
        result = await sb.exec(["sh", "-c", script])
        peak = sb.memory_peak_bytes()
    codes = result.stdout.split()
    assert len(codes) == 3 and codes.count(b"0") < 3, result
    assert b"137" in codes  # killed by the sandbox's OOM killer, not refused an allocation
    assert peak is not None and peak <= 96 * MiB


@pytest.mark.parametrize("directory", ["/workspace", "/tmp", "/var/tmp", "/dev/shm"])
async def test_writable_directories_have_a_size_quota(directory: str) -> None:
    async with await Sandbox.start(SandboxSpec(limits=Limits(disk_bytes=16 * MiB))) as sb:
        result = await sb.exec(["sh", "-c", f"head -c 64M /dev/zero > {directory}/big; stat -c %s {directory}/big"])
        small = await sb.exec(["sh", "-c", f"rm {directory}/big; head -c 1M /dev/zero > {directory}/ok && echo ok"])
    assert b"No space left on device" in result.stderr
    assert int(result.stdout) <= 16 * MiB
    assert small.stdout == b"ok\n"  # control: the quota frees up again and small files fit


async def test_a_full_disk_leaves_the_sandbox_memory_to_run() -> None:
    # tmpfs pages are memory: with 64 MiB of memory the disk gets 32 MiB, so filling it is ENOSPC, not an
    # out-of-memory sandbox where every later command is killed
    async with await Sandbox.start(SandboxSpec(limits=Limits(memory_bytes=64 * MiB, disk_bytes=1024 * MiB))) as sb:
        fill = await sb.exec(["sh", "-c", "head -c 200M /dev/zero > big; stat -c %s big"])
        after = await sb.exec(["python3", "-c", "print('still running')"])
    assert b"No space left on device" in fill.stderr
    assert int(fill.stdout) <= 32 * MiB
    assert after.stdout == b"still running\n"


async def test_the_workspace_has_an_inode_quota() -> None:
    script = "i=0; while [ $i -lt 2000 ]; do true > f$i || break; i=$((i+1)); done; echo $i"
    async with await Sandbox.start(SandboxSpec(limits=Limits(max_files=300))) as sb:
        result = await sb.exec(["sh", "-c", script])
    assert b"No space left on device" in result.stderr
    assert int(result.stdout) < 300


async def test_dev_shm_is_private_and_multiprocessing_locks_work(sandbox: Sandbox) -> None:
    lock = "import multiprocessing as m; l = m.Lock(); l.acquire(); l.release(); print('locked')"
    result = await sandbox.exec(["python3", "-c", lock])
    owner = await sandbox.exec(["sh", "-c", "touch /dev/shm/mine && stat -c %u /dev/shm/mine"])
    assert result.stdout == b"locked\n", result.stderr
    assert int(owner.stdout) == sandbox.uid


@pytest.fixture
def host_process_as() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        proc.kill()
        proc.wait()


def _run_as(uid: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "sleep", "60"])
    for _ in range(500):  # until setpriv has switched to the uid (and exec'd sleep)
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{proc.pid}/status").read_text()
            if f"Uid:\t{uid}\t" in status and "Name:\tsleep" in status:
                return proc
        time.sleep(0.01)
    raise AssertionError(f"the host process never ran as uid {uid}")


def test_sandbox_uids_are_reserved_and_checked_against_running_processes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, host_process_as: list[subprocess.Popen[bytes]]
) -> None:
    taken = UID_RANGE.start + 17
    host_process_as.append(_run_as(taken))
    locked_by_another_worker = taken + 1
    (tmp_path / str(locked_by_another_worker)).symlink_to("w1-1")
    candidates = itertools.chain([taken, locked_by_another_worker, taken + 2], itertools.count(taken + 3))
    monkeypatch.setattr(uids, "_candidate", lambda: next(candidates))
    monkeypatch.setattr(uids, "_named_on_host", lambda uid: uid == taken + 3)
    pool = uids.UidPool(tmp_path, "w2-2")
    assert pool.allocate() == taken + 2  # skipped: a host process runs as it; another worker holds it
    assert (tmp_path / str(taken + 2)).readlink() == Path("w2-2")
    assert pool.allocate() == taken + 4  # skipped: the host's passwd or group names it
    assert host_process_as[0].poll() is None


async def test_live_sandboxes_get_uids_from_the_reserved_range(sandbox: Sandbox) -> None:
    assert sandbox.uid in UID_RANGE


async def test_close_kills_through_the_sandbox_not_by_uid(host_process_as: list[subprocess.Popen[bytes]]) -> None:
    sb = await Sandbox.start()
    # a host process that shares the uid (started after allocation, so no check could see it)
    host_process_as.append(_run_as(sb.uid))
    await sb.exec(["sh", "-c", "sleep 30 &"])
    await sb.close()
    assert host_process_as[0].poll() is None


DOOMED = Path(__file__).with_name("doomed_worker.py")


def _mounts_under(path: str) -> list[str]:
    return [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines() if path in line]


async def test_a_killed_workers_leftovers_are_swept_on_start(tmp_path: Path) -> None:
    worker = subprocess.Popen([sys.executable, str(DOOMED)], stdout=subprocess.PIPE, text=True)
    assert worker.stdout is not None
    state = json.loads(worker.stdout.readline())
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    root, spare, cgroups = state["root"], state["spare"], state["cgroups"] + state["spare_cgroups"]
    # what a SIGKILLed worker leaves: its directory, its tmpfs mounts (workspace, service files), its cgroups,
    # and the spare tenant it had made for its next start (a tmpfs and cgroups of their own)
    assert Path(root).is_dir() and _mounts_under(root) and all(Path(c).is_dir() for c in cgroups), state
    assert Path(spare).is_dir() and _mounts_under(spare) and state["spare_cgroups"], state
    async with await Sandbox.start() as alive:  # starting a sandbox sweeps
        assert not Path(root).exists() and not Path(spare).exists()
        await sweep_leftovers()  # an explicit sweep leaves live sandboxes alone
        assert (await alive.exec(["true"])).success
    assert _mounts_under(root) == [] and _mounts_under(spare) == []
    assert not any(Path(c).exists() for c in cgroups)


async def test_on_a_host_without_cgroups_commands_still_run_and_die_with_their_namespace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bastion.sandbox import _sandbox
    from bastion.sandbox._cgroup import CgroupHost

    monkeypatch.setattr(_sandbox, "host_cgroups", lambda: CgroupHost("none", ()))
    async with await Sandbox.start(SandboxSpec(limits=Limits(wall_seconds=20))) as sb:
        assert sb.cgroup_paths() == [] and sb.memory_peak_bytes() is None
        ran = await sb.exec(["sh", "-c", "id -u; grep -c . /proc/self/cgroup"])
        timed_out = await sb.exec(["sh", "-c", "sleep 300 & sleep 300"], timeout=1)
        uid = sb.uid
    assert ran.returncode == 0 and int(ran.stdout.split()[0]) == uid
    assert timed_out.timed_out
    alive = [p for p in Path("/proc").glob("[0-9]*/status") if runs_as(p, uid)]
    assert alive == []  # the command's pid namespace took every process with it


async def test_a_large_address_space_does_not_lift_the_memory_limit() -> None:
    """Reproducers built with sanitizers reserve terabytes (the clearinghouse gives them a 64 TiB address
    space): reserving is allowed, but touching more than the sandbox's memory still gets the process killed."""
    reserve = "import mmap; m = mmap.mmap(-1, 8 << 30); print('reserved 8 GiB')"
    touch = "b = bytearray(160 << 20); print('touched 160 MiB')"
    limits = Limits(memory_bytes=96 * MiB, address_space_bytes=64 << 40, wall_seconds=60)
    async with await Sandbox.start(SandboxSpec(limits=limits)) as sb:
        reserved = await sb.exec(["python3", "-c", reserve])
        touched = await sb.exec(["python3", "-c", touch])
        peak = sb.memory_peak_bytes()
    assert reserved.stdout == b"reserved 8 GiB\n", reserved  # far above memory, within the address space
    assert touched.returncode == 137 and b"touched" not in touched.stdout, touched  # the cgroup still holds
    assert peak is not None and peak <= 96 * MiB


async def test_a_chatty_service_fills_only_its_own_disk_and_other_sandboxes_still_start() -> None:
    """A target service's output is kept for errors, on the service's own tmpfs: 300 MiB of it must count
    against that service's disk limit, not against the worker's share (256 MiB) that every sandbox of the
    worker needs to start."""
    chatty = ServiceSpec(name="chatty", command=("sh", "-c", "head -c 300M /dev/zero; echo done; sleep 300"))
    async with await Sandbox.start(SandboxSpec(network=NetworkMode.LOOPBACK, services=(chatty,))) as noisy:
        share = noisy.host_root.parent
        for _ in range(300):
            logs = [p for p in share.rglob("*.log") if p.is_file() and p.stat().st_size >= 300 << 20]
            if logs:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the 300 MiB of output never all landed: the disk it went to filled up")
        free = os.statvfs(share)
        assert free.f_bavail * free.f_frsize > 200 << 20  # the worker's share did not take the output
        async with await Sandbox.start() as other:
            assert (await other.exec(["true"])).success
