"""What runs one command: the privileged host chain, and bubblewrap's own arguments (passed by fd)."""

from __future__ import annotations

import pytest

from bastion.sandbox import Limits, SandboxSpecInvalid, SandboxToolMissing
from bastion.sandbox import _host as host
from bastion.sandbox._argv import SETUP, TenantPaths, bwrap_args, host_argv, resolve_cwd
from bastion.sandbox._etc import passwd_text
from bastion.sandbox._host import HostLayout, HostTools

TOOLS = HostTools(bwrap="/b/bwrap", capsh="/b/capsh", nsenter="/b/nsenter", sh="/b/sh", tini="/b/tini")
LAYOUT = HostLayout(system=(("/usr", None), ("/bin", "usr/bin")))
PATHS = TenantPaths(
    work="/h/work",
    tmp="/h/tmp",
    shm="/h/shm",
    dev="/h/dev",
    passwd="/h/passwd",
    group="/h/group",
    etc="/h/etc",
)


def _host(**kw: object) -> list[str]:
    args: dict[str, object] = {"uid": 4242, "limits": Limits(), "args_fd": 9, "cmd": ["echo", "hi"]} | kw
    return host_argv(TOOLS, **args)  # type: ignore[arg-type]


def _bwrap(**kw: object) -> list[str]:
    args: dict[str, object] = {"uid": 4242, "seccomp_fd": 8} | kw
    return bwrap_args(LAYOUT, PATHS, **args)  # type: ignore[arg-type]


def _pairs(argv: list[str], flag: str) -> list[tuple[str, str]]:
    return [(argv[i + 1], argv[i + 2]) for i, a in enumerate(argv) if a == flag]


def test_privileged_steps_run_on_the_host_in_order_then_bwrap_unprivileged() -> None:
    argv = _host(cgroup_procs=["/cg/memory/x/cgroup.procs", "/cg/pids/x/cgroup.procs"], netns="/h/netns")
    assert argv[:3] == ["/b/sh", "-c", SETUP]
    order = [argv.index(t) for t in ("/cg/pids/x/cgroup.procs", "/b/nsenter", "/b/capsh", "--shell=/b/bwrap")]
    assert order == sorted(order)
    assert "--net=/h/netns" in argv
    capsh = argv[argv.index("/b/capsh") : argv.index("--shell=/b/bwrap")]
    assert capsh[1] == "--quiet"  # only honoured as the first argument
    # in this order: the bounding set while still root, the other sets, groups, gid, then the uid
    drop = ["--drop=all", "--inh=", "--noamb", "--groups=", "--gid=4242", "--uid=4242", "--no-new-privs"]
    assert capsh[2:] == drop
    tail = ["--shell=/b/bwrap", "--", "--args", "9", "--", "/b/tini", "--", "echo", "hi"]
    assert argv[argv.index("--shell=/b/bwrap") :] == tail


def test_without_cgroups_or_a_shared_network_the_setup_only_sets_limits() -> None:
    argv = _host()
    assert argv[3:6] == ["sandbox-setup", "--", "120"]
    assert "/b/nsenter" not in argv


def test_limits_are_set_before_the_uid_switch_in_the_units_ulimit_takes() -> None:
    argv = _host(limits=Limits(cpu_seconds=3, memory_bytes=64 << 20, max_processes=9, max_file_bytes=1000))
    dashes = argv.index("--")
    assert argv[dashes + 1 : dashes + 5] == ["3", str(64 << 10), "9", "2"]  # s, KiB, processes, 512-byte blocks
    assert argv.index("/b/capsh") == dashes + 5


def test_the_setup_script_sets_the_limits_it_is_given() -> None:
    import subprocess

    limits = Limits(cpu_seconds=3, memory_bytes=64 << 20, max_processes=9, max_file_bytes=1000)
    argv = host_argv(TOOLS, uid=0, limits=limits, args_fd=0, cmd=["x"])
    setup = ["/bin/sh", "-c", SETUP, *argv[3 : argv.index("/b/capsh")], "cat", "/proc/self/limits"]
    out = subprocess.run(setup, capture_output=True, text=True, check=True).stdout
    rows = {line[:26].strip(): line[26:].split()[:2] for line in out.splitlines()[1:]}
    assert rows["Max cpu time"] == ["3", "4"]
    assert rows["Max address space"] == [str(64 << 20)] * 2
    assert rows["Max processes"] == ["9", "9"]
    assert rows["Max file size"] == ["1024", "1024"]
    assert rows["Max core file size"] == ["0", "0"]


def test_bwrap_makes_its_own_user_namespace_refuses_more_and_installs_seccomp() -> None:
    args = _bwrap()
    assert args[:5] == ["--unshare-user", "--uid", "4242", "--gid", "4242"]
    assert "--disable-userns" in args
    assert args[args.index("--seccomp") + 1] == "8"
    assert "--as-pid-1" in args  # tini is pid 1 and bwrap waits for it
    assert "--cap-add" not in args


def test_system_is_read_only_etc_is_generated_and_only_the_tmpfs_dirs_are_writable() -> None:
    args = _bwrap()
    binds = _pairs(args, "--ro-bind")
    assert ("/usr", "/usr") in binds and ("usr/bin", "/bin") in _pairs(args, "--symlink")
    assert ("/h/etc", "/etc") in binds and ("/h/passwd", "/etc/passwd") in binds
    assert not [source for source, _ in binds if source.startswith("/etc")]  # nothing of the host's /etc
    assert sorted(_pairs(args, "--bind")) == [("/h/shm", "/dev/shm"), ("/h/tmp", "/tmp"), ("/h/work", "/workspace")]
    assert ("../tmp", "/var/tmp") in _pairs(args, "--symlink")  # the same private directory as /tmp
    assert args[-2:] == ["--remount-ro", "/"]


def test_the_command_keeps_the_network_namespace_it_was_started_in() -> None:
    # the sandbox's own (the worker forks the chain inside it, see _netns), never the host's: bwrap makes none
    assert not [a for a in _bwrap() if a.startswith("--unshare-net") or a in ("--share-net", "--unshare-all")]


@pytest.mark.parametrize("files", [(), ("/proc/kallsyms",), ("/proc/kallsyms", "/proc/modules")])
def test_files_that_would_show_kernel_addresses_are_covered_after_proc_is_mounted(files: tuple[str, ...]) -> None:
    args = _bwrap(kernel_address_files=files)
    covered = [target for source, target in _pairs(args, "--ro-bind") if source == "/dev/null"]
    assert covered == list(files)
    assert all(args.index(path) > args.index("--proc") for path in files)


@pytest.mark.parametrize(
    ("restrict", "paranoid", "shown"),
    [("0", "1", True), ("0", "-1", True), ("0", "2", False), ("1", "1", False), ("2", "-1", False), (None, "2", True)],
)
def test_kernel_addresses_count_as_shown_unless_the_host_settings_hide_them(
    restrict: str | None, paranoid: str, shown: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = {"kptr_restrict": restrict, "perf_event_paranoid": paranoid}
    monkeypatch.setattr(host, "_sysctl", lambda name: None if settings[name] is None else int(settings[name]))
    monkeypatch.setattr(host.Path, "exists", lambda path: str(path) == "/proc/kallsyms")
    assert host.kernel_address_files() == (("/proc/kallsyms",) if shown else ())


def test_environment_is_cleared_then_set_from_an_allowlist_plus_the_callers_only_inside_bwrap() -> None:
    env = {"TOKEN": "abc", "HOME": "/elsewhere", "LD_PRELOAD": "/workspace/x.so"}
    args = _bwrap(env=env)
    values = dict(_pairs(args, "--setenv"))
    assert "--clearenv" in args
    assert values["TOKEN"] == "abc" and values["HOME"] == "/elsewhere"
    assert set(values) == {"PATH", "HOME", "USER", "LOGNAME", "LANG", "TMPDIR", "TOKEN", "LD_PRELOAD"}
    host = _host()
    assert not any(v in " ".join(host) for v in env.values())  # nothing of the caller's reaches the host chain


@pytest.mark.parametrize(
    ("cwd", "expected"), [(None, "/workspace"), ("", "/workspace"), ("sub/dir", "/workspace/sub/dir"), ("/usr", "/usr")]
)
def test_cwd_is_relative_to_the_work_dir(cwd: str | None, expected: str) -> None:
    assert resolve_cwd(cwd) == expected
    args = _bwrap(cwd=cwd)
    assert args[args.index("--chdir") + 1] == expected


def test_passwd_names_the_sandbox_user_with_its_uid() -> None:
    assert "sandbox:x:4242:4242:sandbox:/workspace:/bin/bash" in passwd_text(4242, "/workspace").splitlines()


def test_missing_bubblewrap_is_an_operational_error_naming_the_package(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(host, "_SYSTEM_PATH", str(tmp_path))
    with pytest.raises(SandboxToolMissing) as info:
        host.host_tools.__wrapped__()
    assert info.value.code == "sandbox_tool_missing"
    assert info.value.hint == "install it, e.g. `apt-get install -y bubblewrap`"


def test_the_address_space_limit_may_exceed_memory_but_never_falls_below_it() -> None:
    argv = _host(limits=Limits(memory_bytes=64 << 20, address_space_bytes=1 << 40))
    dashes = argv.index("--")
    assert argv[dashes + 2] == str(1 << 30)  # KiB: the address space, not the memory
    with pytest.raises(SandboxSpecInvalid, match="address_space_bytes"):
        Limits(memory_bytes=64 << 20, address_space_bytes=32 << 20)
