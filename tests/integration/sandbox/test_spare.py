"""The spare sample tenant a worker makes ahead for its next start: never handed to two sandboxes, made
with the limits it is taken for (a killed worker's spare is swept: test_resources.py); and close's quick
removal of a sandbox's files."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from bastion.sandbox import UID_RANGE, Limits, MiB, Sandbox, SandboxSpec
from bastion.sandbox._cgroup import host_cgroups
from bastion.sandbox._layout import Spare, worker
from bastion.sandbox._mount import mount_tmpfs
from tests.integration.sandbox.support import runs_as

pytestmark = pytest.mark.anyio


async def _spare_for(limits: Limits) -> Spare:
    """Wait until this worker's spare for ``limits`` is made (closing a sandbox makes one); return it
    without taking it."""
    owner = worker()
    for _ in range(500):
        spare = owner._spare
        if spare is not None and spare.limits == limits:
            return spare
        await asyncio.sleep(0.01)
    raise AssertionError("no spare was made after a start")


async def test_concurrent_starts_never_share_a_spare() -> None:
    limits = Limits(wall_seconds=30)
    await (await Sandbox.start(SandboxSpec(limits=limits))).close()
    first = await Sandbox.start(SandboxSpec(limits=limits))  # takes the spare that close made
    await (await Sandbox.start(SandboxSpec(limits=limits))).close()
    spare = await _spare_for(limits)
    started = await asyncio.gather(*(Sandbox.start(SandboxSpec(limits=limits)) for _ in range(6)))
    try:
        roots = [sb.host_root for sb in (first, *started)]
        uids = [sb.uid for sb in (first, *started)]
        groups = [path for sb in (first, *started) for path in sb.cgroup_paths()]
        assert len(set(roots)) == len(roots) and len(set(uids)) == len(uids) and len(set(groups)) == len(groups)
        assert [sb.host_root for sb in started].count(spare.root) == 1  # exactly one start took it
        results = await asyncio.gather(*(sb.exec(["sh", "-c", "id -u; touch mine; ls"]) for sb in started))
        for sb, result in zip(started, results, strict=True):
            assert result.stdout.decode().split() == [str(sb.uid), "mine"], result  # its own, empty workspace
    finally:
        await asyncio.gather(*(sb.close() for sb in (first, *started)))


async def test_a_spare_has_the_limits_of_the_start_that_takes_it() -> None:
    limits = Limits(memory_bytes=64 * MiB, disk_bytes=16 * MiB, max_files=300, max_processes=50, wall_seconds=30)
    await (await Sandbox.start(SandboxSpec(limits=limits))).close()
    spare = await _spare_for(limits)
    other = Limits(wall_seconds=31)
    async with await Sandbox.start(SandboxSpec(limits=limits)) as sb:
        assert sb.host_root == spare.root and sb.uid == spare.tenant.uid  # this start took the spare
        assert sb.uid in UID_RANGE
        following = await _spare_for(limits)  # the next sample's is made while this one runs
        assert following.root != sb.host_root and following.tenant.uid != sb.uid
        quota = await sb.exec(["sh", "-c", "id -u; stat -c %u /workspace; stat -f -c '%b %S %c' /workspace"])
        uid, owner, blocks, block_size, inodes = quota.stdout.decode().split()
        assert int(uid) == int(owner) == sb.uid
        assert int(blocks) * int(block_size) == 16 * MiB and int(inodes) == 300
        memory = "memory.limit_in_bytes" if host_cgroups().kind == "v1" else "memory.max"
        values = {
            name: (Path(d) / name).read_text().strip()
            for d in sb.cgroup_paths()
            for name in (memory, "pids.max")
            if (Path(d) / name).exists()
        }
        assert values == {memory: str(64 * MiB), "pids.max": "50"}
    second = await _spare_for(limits)
    async with await Sandbox.start(SandboxSpec(limits=other)) as sb:
        assert sb.host_root != second.root  # made for other limits: not taken...
    await _spare_for(other)
    assert not second.root.exists()  # ...and discarded when the next spare is made for these
    assert second.tenant.cgroup is not None and not any(d.exists() for d in second.tenant.cgroup.dirs)


async def test_closing_never_deletes_inside_a_mount_it_did_not_expect() -> None:
    # close deletes the sandbox's known tree with rmdir and unlink only; anything else under its root (here a
    # tmpfs a host tool left there) sends it to the removal that unmounts every mount first
    sb = await Sandbox.start()
    extra = sb.host_root / "extra"
    extra.mkdir()
    mount_tmpfs(extra, size=MiB, inodes=16, uid=0)
    (extra / "keep").write_text("not the sandbox's")
    held = os.open(extra, os.O_RDONLY | os.O_DIRECTORY)  # still reaches that tmpfs once it is detached
    try:
        await sb.close()
        assert not sb.host_root.exists()
        assert os.listdir(held) == ["keep"]  # noqa: PTH208 - a descriptor, not a path: unmounted, not emptied
    finally:
        os.close(held)


async def test_close_kills_a_command_still_running_then_removes_everything() -> None:
    # the quick path (empty groups removed at once) must not skip killing when a command is still running
    sb = await Sandbox.start(SandboxSpec(limits=Limits(wall_seconds=60)))
    groups = [Path(p) for p in sb.cgroup_paths()]
    running = asyncio.ensure_future(sb.exec(["sh", "-c", "sleep 30 & sleep 30"]))
    for _ in range(250):
        if len((groups[0] / "cgroup.procs").read_text().split()) >= 4:  # bwrap, tini, sh, sleep...
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the command never started")
    await asyncio.wait_for(sb.close(), 10)
    result = await asyncio.wait_for(running, 10)
    assert result.returncode != 0  # killed, not finished
    assert not any(g.exists() for g in groups) and not sb.host_root.exists()
    assert not [p for p in Path("/proc").glob("[0-9]*/status") if runs_as(p, sb.uid)]


async def test_a_start_waits_for_the_spare_being_made_rather_than_make_one_beside_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a slow spare (its tenant takes 0.3 s), asked for by the first start: the second start takes it
    from bastion.sandbox import _layout

    limits = Limits(wall_seconds=33)
    roots: list[Path] = []
    real_new_root, real_prepare = _layout.Worker.new_root, _layout.prepare_tenant

    def recorded_root(self: _layout.Worker) -> Path:
        roots.append(real_new_root(self))
        return roots[-1]

    def slow_prepare(*args: object, **kwargs: object) -> object:
        import threading
        import time

        if threading.current_thread().name.startswith("sandbox-spare"):
            time.sleep(0.3)
        return real_prepare(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_layout.Worker, "new_root", recorded_root)
    monkeypatch.setattr(_layout, "prepare_tenant", slow_prepare)
    first = await Sandbox.start(SandboxSpec(limits=limits))  # no spare for these limits: makes its own, asks for one
    await first.close()
    async with await Sandbox.start(SandboxSpec(limits=limits)) as sb:
        assert roots[0] == first.host_root
        assert roots[1:] == [sb.host_root]  # the spare's root, waited for: this start made none of its own
        assert (await sb.exec(["sh", "-c", "id -u"])).stdout.decode().strip() == str(sb.uid)
