"""The bubblewrap command line: what is mounted, shared, limited, and who the command runs as."""

from __future__ import annotations

import pytest

from bastion.sandbox import Limits, SandboxToolMissing
from bastion.sandbox import _host as host
from bastion.sandbox._argv import Mounts, bwrap_argv, passwd_text, resolve_cwd
from bastion.sandbox._host import HostLayout, HostTools

TOOLS = HostTools(bwrap="/b/bwrap", prlimit="/b/prlimit", setpriv="/b/setpriv", nsenter="/b/nsenter")
LAYOUT = HostLayout(
    system=(("/usr", None), ("/bin", "usr/bin"), ("/etc", None)),
    masked_files=("/etc/shadow",),
    masked_dirs=("/etc/ssl/private",),
)
MOUNTS = Mounts(work="/h/work", tmp="/h/tmp", passwd="/h/passwd", group="/h/group", empty_file="/h/empty")


def _argv(**kw: object) -> list[str]:
    args: dict[str, object] = {"uid": 4242, "limits": Limits(), "cmd": ["echo", "hi"]} | kw
    return bwrap_argv(TOOLS, LAYOUT, MOUNTS, **args)  # type: ignore[arg-type]


def _pairs(argv: list[str], flag: str) -> list[tuple[str, str]]:
    return [(argv[i + 1], argv[i + 2]) for i, a in enumerate(argv) if a == flag]


def test_system_is_read_only_and_only_the_sandbox_dirs_are_writable() -> None:
    argv = _argv()
    assert ("/usr", "/usr") in _pairs(argv, "--ro-bind")
    assert ("usr/bin", "/bin") in _pairs(argv, "--symlink")
    assert sorted(_pairs(argv, "--bind")) == [("/h/tmp", "/tmp"), ("/h/tmp", "/var/tmp"), ("/h/work", "/workspace")]
    assert ("/h/empty", "/etc/shadow") in _pairs(argv, "--ro-bind")
    assert ("/h/passwd", "/etc/passwd") in _pairs(argv, "--ro-bind")


def test_without_a_shared_network_each_command_gets_its_own() -> None:
    argv = _argv()
    assert argv[0] == "/b/bwrap"
    assert "--unshare-net" in argv
    shared = _argv(netns_fd=7)
    assert shared[:3] == ["/b/nsenter", "--net=/proc/self/fd/7", "--"]
    assert "--unshare-net" not in shared


def test_limits_and_the_uid_switch_wrap_the_command() -> None:
    argv = _argv(limits=Limits(cpu_seconds=3, memory_bytes=64 << 20, max_processes=9, max_file_bytes=1000))
    tail = argv[argv.index("/b/prlimit") :]
    assert tail[1:7] == ["--cpu=3:4", f"--as={64 << 20}", "--nproc=9", "--fsize=1000", "--core=0", "--"]
    assert "--reuid=4242" in tail and "--no-new-privs" in tail and "--bounding-set=-all" in tail
    assert tail[-2:] == ["echo", "hi"]


def test_environment_is_cleared_then_set_from_an_allowlist_plus_the_callers() -> None:
    argv = _argv(env={"TOKEN": "abc", "HOME": "/elsewhere"})
    env = dict(_pairs(argv, "--setenv"))
    assert "--clearenv" in argv
    assert env["TOKEN"] == "abc" and env["HOME"] == "/elsewhere"
    assert set(env) == {"PATH", "HOME", "USER", "LOGNAME", "LANG", "TMPDIR", "TOKEN"}


@pytest.mark.parametrize(
    ("cwd", "expected"), [(None, "/workspace"), ("", "/workspace"), ("sub/dir", "/workspace/sub/dir"), ("/usr", "/usr")]
)
def test_cwd_is_relative_to_the_work_dir(cwd: str | None, expected: str) -> None:
    assert resolve_cwd(cwd) == expected
    argv = _argv(cwd=cwd)
    assert argv[argv.index("--chdir") + 1] == expected


def test_passwd_names_the_sandbox_user_with_its_uid() -> None:
    assert "sandbox:x:4242:4242:sandbox:/workspace:/bin/bash" in passwd_text(4242, "/workspace").splitlines()


def test_missing_bubblewrap_is_an_operational_error_naming_the_package(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(host, "_SYSTEM_PATH", str(tmp_path))
    with pytest.raises(SandboxToolMissing) as info:
        host.host_tools.__wrapped__()
    assert info.value.code == "sandbox_tool_missing"
    assert info.value.hint == "install it, e.g. `apt-get install -y bubblewrap`"
