"""Admission of a spawned chain: the worker moves it into the tenant's cgroups, and only then hands
bubblewrap its arguments (bubblewrap clones nothing before it has read them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bastion.sandbox import SandboxFailed
from bastion.sandbox._process import Admission, _admit


class _Chain:
    def __init__(self, pid: int, *, exited: bool = False) -> None:
        self.pid = pid
        self._exited = exited

    def exited(self) -> bool:
        return self._exited


def _read_all(fd: int) -> bytes:
    data = b""
    while chunk := os.read(fd, 65536):
        data += chunk
    os.close(fd)
    return data


def test_the_chain_joins_every_group_then_gets_its_arguments(tmp_path: Path) -> None:
    groups = [tmp_path / name / "cgroup.procs" for name in ("memory", "pids", "cpu")]
    for procs in groups:
        procs.parent.mkdir()
        procs.touch()
    read_end, write_end = os.pipe()
    args = b"--unshare-user\0" * 10_000  # larger than a pipe's buffer: written while bubblewrap reads
    admission = Admission(args=args, args_fd=write_end, procs_files=tuple(map(str, groups)))
    reader = os.fork()
    if reader == 0:  # stands in for bubblewrap reading its arguments
        os.close(write_end)
        os._exit(0 if _read_all(read_end) == args else 1)
    os.close(read_end)
    _admit(_Chain(4242), admission)  # type: ignore[arg-type]
    assert os.waitpid(reader, 0)[1] == 0
    assert [procs.read_text() for procs in groups] == ["4242"] * 3


def test_a_chain_that_cannot_join_its_group_never_gets_its_arguments(tmp_path: Path) -> None:
    joined = tmp_path / "memory" / "cgroup.procs"
    joined.parent.mkdir()
    joined.touch()
    read_end, write_end = os.pipe()
    missing = tmp_path / "pids-removed" / "cgroup.procs"  # e.g. the sandbox is being closed
    admission = Admission(args=b"--unshare-user\0", args_fd=write_end, procs_files=(str(joined), str(missing)))
    with pytest.raises(SandboxFailed, match="cgroup"):
        _admit(_Chain(4242), admission)  # type: ignore[arg-type]
    assert _read_all(read_end) == b""  # bubblewrap reads end-of-file: it stops without cloning anything


def test_a_chain_that_already_failed_is_left_to_report_its_own_error(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    missing = tmp_path / "gone" / "cgroup.procs"
    admission = Admission(args=b"--unshare-user\0", args_fd=write_end, procs_files=(str(missing),))
    _admit(_Chain(4242, exited=True), admission)  # type: ignore[arg-type]  # no SandboxFailed: its stderr says why
    assert _read_all(read_end) == b""
