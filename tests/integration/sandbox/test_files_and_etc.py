"""The file API accepts regular files only and has its own timeout (issue 7, item 5); the sandbox has a
minimal /etc of its own and no command line inside shows env values or host paths (item 6)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bastion.evals.sandbox import BastionSandboxConfig, BastionSandboxEnvironment
from bastion.sandbox import Limits, NotARegularFile, Sandbox, SandboxSpec, SandboxSpecInvalid

pytestmark = pytest.mark.anyio

SPECIAL = "mkfifo fifo; ln -s /dev/zero zero; ln -s fifo fifo-link; mkdir dir; echo hi > plain; ln -s plain plain-link"


@pytest.fixture
async def special() -> Sandbox:  # type: ignore[misc]
    # a short wall limit: a read that followed a FIFO or /dev/zero would run into it
    sb = await Sandbox.start(SandboxSpec(limits=Limits(wall_seconds=5)))
    await sb.exec(["sh", "-c", SPECIAL])
    try:
        yield sb
    finally:
        await sb.close()


@pytest.mark.parametrize("path", ["fifo", "fifo-link", "zero", "/dev/zero", "/dev/null", "/dev/urandom"])
async def test_read_file_refuses_what_is_not_a_regular_file(special: Sandbox, path: str) -> None:
    with pytest.raises(NotARegularFile) as raised:
        await special.read_file(path)
    assert raised.value.code == "sandbox_not_a_regular_file"
    assert path in raised.value.message


@pytest.mark.parametrize("path", ["fifo", "fifo-link", "zero", "/dev/null"])
async def test_write_file_refuses_what_is_not_a_regular_file(special: Sandbox, path: str) -> None:
    with pytest.raises(NotARegularFile):
        await special.write_file(path, b"data")


async def test_regular_files_and_links_to_them_still_work(special: Sandbox) -> None:
    assert await special.read_file("plain-link") == b"hi\n"
    await special.write_file("plain-link", "changed\n")
    assert await special.read_file("plain") == b"changed\n"
    with pytest.raises(IsADirectoryError):
        await special.read_file("dir")


async def test_inspect_read_file_refuses_a_fifo_too(special: Sandbox) -> None:
    environment = BastionSandboxEnvironment(special)
    with pytest.raises(NotARegularFile):
        await environment.read_file("fifo")


async def test_file_calls_have_their_own_timeout_not_the_wall_limit() -> None:
    async with await Sandbox.start(SandboxSpec(limits=Limits(wall_seconds=600, file_seconds=0.001))) as sb:
        with pytest.raises(TimeoutError, match="file_seconds"):
            await sb.write_file("x.txt", "data")
        assert (await sb.exec(["true"])).success  # commands keep the wall limit
    async with await Sandbox.start(SandboxSpec(limits=Limits(file_seconds=30))) as roomy:
        await roomy.write_file("x.txt", "data")
        assert await roomy.read_file("x.txt") == b"data"


def test_the_file_timeout_is_validated_and_configurable() -> None:
    with pytest.raises(SandboxSpecInvalid, match="file_seconds"):
        Limits(file_seconds=0)
    assert BastionSandboxConfig(file_seconds=7.5).to_spec().limits.file_seconds == 7.5


HOST_ONLY = [
    "passwd-", "group-", "shadow", "gshadow", "machine-id", "ssh", "postgresql", "redis", "rabbitmq", "cron.d",
    "systemd", "apt", "sudoers", "fstab", "environment", "hostname", "adduser.conf", "login.defs", "pam.d",
    "security", "default", "init.d", "subuid", "subgid",
]  # fmt: skip


async def test_etc_is_minimal_and_generated(sandbox: Sandbox) -> None:
    listing = await sandbox.exec(["sh", "-c", "ls -A /etc"])
    inside = set(listing.stdout.decode().split())
    on_host = {name for name in HOST_ONLY if Path("/etc", name).exists()}
    assert {"passwd-", "machine-id", "hostname"} <= on_host  # control: these exist on this host
    assert inside & (on_host - {"hostname"}) == set(), inside
    hostname = await sandbox.exec(["cat", "/etc/hostname"])
    passwd = await sandbox.exec(["cat", "/etc/passwd"])
    assert hostname.stdout == b"sandbox\n"
    users = [line.split(":")[0] for line in passwd.stdout.decode().splitlines()]
    assert users == ["root", "sandbox", "nobody"]
    assert inside >= {"passwd", "group", "hosts", "nsswitch.conf", "ld.so.cache"}


async def test_command_lines_and_mounts_inside_show_no_env_values_nor_host_paths() -> None:
    async with await Sandbox.start(SandboxSpec(env={"TASK_TOKEN": "tok-task-5e1"})) as sb:
        result = await sb.exec(
            ["sh", "-c", "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done"],
            env={"CALL_TOKEN": "tok-call-77b"},
        )
        mounts = await sb.exec(["cat", "/proc/self/mountinfo"])
        state = str(sb.host_root.parent.parent)
    text = result.stdout.decode()
    assert re.search(r"tini", text), text  # control: the sandbox's init is listed
    assert "tok-task-5e1" not in text and "tok-call-77b" not in text
    assert state not in text and "/proc/self/fd" not in text
    assert " /etc " in mounts.stdout.decode()  # control: the mount table is readable...
    assert state not in mounts.stdout.decode()  # ...and names no host path
