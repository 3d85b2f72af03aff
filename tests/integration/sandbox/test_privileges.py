"""Nothing privileged runs where model-controlled files or environment reach it (issue 7, item 1), and the
kernel's attack surface is cut down: no new namespaces, no mounts, seccomp denials (item 2).

The item-1 attack: model code compiles a library into ``/workspace``; a caller then runs a command with
``LD_PRELOAD`` or ``LD_LIBRARY_PATH`` pointing at it. If any process that loads it holds a capability, its
constructor opens the host's root filesystem with ``open_by_handle_at`` on a mount it can see, reads a
root-only host file and appends to a root-owned one. The control: the library *does* load into the
unprivileged command (it prints a marker), so "no leak" means isolation, not a library that never ran.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from bastion.evals.sandbox import BastionSandboxConfig, BastionSandboxEnvironment
from bastion.sandbox import Limits, Sandbox, SandboxSpec, host_tools

pytestmark = pytest.mark.anyio

PROBE_C = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct handle { unsigned int bytes; int type; unsigned char id[8]; };

__attribute__((constructor)) static void probe(void) {
    char caps[64] = "?", line[256], exe[256] = "";
    FILE *status = fopen("/proc/self/status", "r");
    while (status && fgets(line, sizeof line, status))
        if (!strncmp(line, "CapEff:", 7)) sscanf(line + 7, "%63s", caps);
    if (status) fclose(status);
    if (readlink("/proc/self/exe", exe, sizeof exe - 1) < 0) strcpy(exe, "?");
    fprintf(stderr, "PROBE-LOADED euid=%d capeff=%s exe=%s\n", (int)geteuid(), caps, exe);
    const char *secret = getenv("PROBE_SECRET"), *target = getenv("PROBE_TARGET");
    const char *mounts[] = {"/usr", "/workspace", "/etc", "/tmp", "/"};
    for (unsigned i = 0; secret && target && i < sizeof mounts / sizeof *mounts; i++) {
        int mount_fd = open(mounts[i], O_RDONLY | O_DIRECTORY);
        struct handle root_inode = {8, 1, {2, 0, 0, 0, 0, 0, 0, 0}};  /* ext4 root: inode 2, generation 0 */
        int root = open_by_handle_at(mount_fd, (struct file_handle *)&root_inode, O_RDONLY | O_DIRECTORY);
        if (root < 0) continue;
        char buf[128] = "";
        int s = openat(root, secret, O_RDONLY);
        if (s >= 0 && read(s, buf, sizeof buf - 1) > 0) fprintf(stderr, "PROBE-LEAK %s\n", buf);
        int t = openat(root, target, O_WRONLY | O_APPEND);
        if (t >= 0 && write(t, "pwned\n", 6) == 6) fprintf(stderr, "PROBE-APPENDED via %s\n", mounts[i]);
    }
}
"""

STUB = "void {name}(void) {{ _exit(0); }}\n"
OBJECT = "char {name}[256];\n"
UND = re.compile(r"^\S+\s+(?P<flags>.{7})\s+\*UND\*\s+\S+\s+(?P<version>\(\S+\)|Base)\s+(?P<name>\S+)$")


def _shadow_sources(binaries: list[str]) -> tuple[str, str, list[str]]:
    """Stubs and a version script so a fake library satisfies every non-libc symbol ``binaries`` import
    (they are linked BIND_NOW, so a fake without them would never get as far as its constructor)."""
    nodes: dict[str, set[tuple[str, bool]]] = {}
    sonames: set[str] = set()
    for binary in binaries:
        headers = subprocess.run(["objdump", "-p", binary], capture_output=True, text=True, check=True).stdout
        if "INTERP" not in headers:
            continue  # statically linked (tini-static): no dynamic loader runs, so nothing can be preloaded
        dump = subprocess.run(["objdump", "-T", "-p", binary], capture_output=True, text=True, check=True).stdout
        sonames |= set(re.findall(r"NEEDED\s+(\S+)", dump))
        for line in dump.splitlines():
            m = UND.match(line.strip())
            if not m or "w" in m["flags"] or m["version"].startswith("(GLIBC"):
                continue
            node = m["version"].strip("()") if m["version"] != "Base" else "PROBE_BASE"
            nodes.setdefault(node, set()).add((m["name"], "F" in m["flags"]))
    definitions = [(STUB if function else OBJECT).format(name=name) for s in nodes.values() for name, function in s]
    code = PROBE_C + "".join(definitions)
    script = "".join(f"{node} {{ global: {'; '.join(n for n, _ in sorted(s))}; }};\n" for node, s in nodes.items())
    libs = sorted(s for s in sonames if not s.startswith(("libc.so", "ld-linux")))
    return code, script or "PROBE_BASE { global: *; };\n", libs


def _build_script(libs: list[str]) -> str:
    lines = ["set -e", "mkdir -p lib", "gcc -shared -fPIC -o lib/libprobe.so probe.c"]
    lines += [f"gcc -shared -fPIC -Wl,--version-script=probe.map -Wl,-soname,{so} -o lib/{so} probe.c" for so in libs]
    return "\n".join(lines) + "\n"


@pytest.fixture
def host_victims(tmp_path: Path) -> tuple[Path, Path]:
    secret = tmp_path / "root-only.txt"
    secret.write_text("HOST-ROOT-ONLY-SECRET-7f3a")
    secret.chmod(0o600)
    target = tmp_path / "root-owned.log"
    target.write_text("original\n")
    target.chmod(0o644)
    return secret, target


Runner = Callable[[list[str], dict[str, str]], Awaitable[str]]


@pytest.fixture(params=["python-api", "inspect-provider"])
async def runner(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Sandbox, Runner]]:
    if request.param == "python-api":
        sandbox = await Sandbox.start(SandboxSpec(limits=Limits(wall_seconds=120)))

        async def run_api(cmd: list[str], env: dict[str, str]) -> str:
            result = await sandbox.exec(cmd, env=env)
            return (result.stdout + result.stderr).decode(errors="replace")

        try:
            yield sandbox, run_api
        finally:
            await sandbox.close()
        return
    config = BastionSandboxConfig(wall_seconds=120)
    envs = await BastionSandboxEnvironment.sample_init("privileges", config, {})
    environment = envs["default"].as_type(BastionSandboxEnvironment)

    async def run_inspect(cmd: list[str], env: dict[str, str]) -> str:
        result = await environment.exec(cmd, env=env)
        return result.stdout + result.stderr

    try:
        yield environment.sandbox, run_inspect
    finally:
        await BastionSandboxEnvironment.sample_cleanup("privileges", config, envs, interrupted=False)


@pytest.mark.parametrize("variable", ["LD_PRELOAD", "LD_LIBRARY_PATH"])
async def test_a_workspace_library_loads_only_into_the_unprivileged_command(
    variable: str, runner: tuple[Sandbox, Runner], host_victims: tuple[Path, Path]
) -> None:
    sandbox, run = runner
    secret, target = host_victims
    tools = host_tools()
    # every binary of the chain, and prlimit, which the control command runs inside
    helpers = [tools.bwrap, tools.capsh, tools.nsenter, tools.sh, tools.tini, "/usr/bin/prlimit"]
    code, version_script, libs = _shadow_sources(helpers)
    assert "libsmartcols.so.1" in libs  # prlimit's library: the control command below loads it
    await sandbox.write_file("probe.c", code)
    await sandbox.write_file("probe.map", version_script)
    built = await sandbox.exec(["sh", "-c", _build_script(libs)], timeout=120)
    assert built.returncode == 0, built.stderr.decode()

    value = "/workspace/lib/libprobe.so" if variable == "LD_PRELOAD" else "/workspace/lib"
    env = {variable: value, "PROBE_SECRET": str(secret)[1:], "PROBE_TARGET": str(target)[1:]}
    output = await run(["prlimit", "--version"], env)

    loaded = re.findall(r"PROBE-LOADED euid=(\d+) capeff=(\w+) exe=(\S+)", output)
    assert loaded, output  # control: the library did run, inside the command we asked for
    assert ("/usr/bin/prlimit" in {exe for _, _, exe in loaded}) or variable == "LD_PRELOAD", output
    assert all(int(euid) == sandbox.uid and caps == "0000000000000000" for euid, caps, _ in loaded), output
    assert "PROBE-LEAK" not in output and "HOST-ROOT-ONLY-SECRET" not in output
    assert "PROBE-APPENDED" not in output
    assert target.read_text() == "original\n"


FIELDS = "Name|Uid|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp"
STATUS_ALL = f"for f in /proc/[0-9]*/status; do grep -E '^({FIELDS}):' $f; done"


async def test_no_process_in_the_sandbox_holds_a_capability_or_uid_0(sandbox: Sandbox) -> None:
    result = await sandbox.exec(["sh", "-c", STATUS_ALL + "; echo done"])
    text = result.stdout.decode()
    assert text.endswith("done\n")
    names = re.findall(r"^Name:\s+(\S+)", text, re.M)
    assert "sh" in names and {"tini", "tini-static"} & set(names)  # the probe saw the sandbox's init, and itself
    for field in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        values = re.findall(rf"^{field}:\s+(\w+)", text, re.M)
        assert values and set(values) == {"0000000000000000"}, (field, text)
    uids = {int(u) for line in re.findall(r"^Uid:\s+(.+)$", text, re.M) for u in line.split()}
    assert uids == {sandbox.uid}
    # no_new_privs and the seccomp filter (mode 2) on every one of them, the sandbox's init included
    processes = len(names)
    assert re.findall(r"^NoNewPrivs:\s+(\d)", text, re.M) == ["1"] * processes, text
    assert re.findall(r"^Seccomp:\s+(\d)", text, re.M) == ["2"] * processes, text


SYSCALL_PROBE = r"""
import ctypes, errno, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR = {  # x86_64
    "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155, "open_by_handle_at": 304,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "bpf": 321,
    "perf_event_open": 298, "keyctl": 250, "add_key": 248, "request_key": 249, "userfaultfd": 323,
    "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
    "delete_module": 176, "fsopen": 430, "fsmount": 432, "move_mount": 429, "open_tree": 428,
    "fspick": 433, "mount_setattr": 442, "clone3": 435, "getpid": 39,
}
P = ctypes.c_char_p
CALLS = {  # arguments that do nothing on a host that allows the call (bad fds, missing names, bad flags)
    "unshare": (0x10000000,), "setns": (-1, 0), "mount": (P(b"none"), P(b"/nonexistent-bastion"), P(b"tmpfs"), 0, 0),
    "umount2": (P(b"/nonexistent-bastion"), 0), "pivot_root": (P(b"/nonexistent-a"), P(b"/nonexistent-b")),
    "open_by_handle_at": (-1, 0, 0), "io_uring_setup": (1, ctypes.create_string_buffer(120)),
    "io_uring_enter": (-1, 0, 0, 0, 0, 0), "io_uring_register": (-1, 0, 0, 0), "bpf": (-1, 0, 0),
    "perf_event_open": (0, 0, -1, -1, 0), "keyctl": (-1, 0, 0, 0, 0), "add_key": (P(b"nosuchtype"), 0, 0, 0, 0),
    "request_key": (P(b"nosuchtype"), P(b"x"), 0, 0), "userfaultfd": (-1,), "kexec_load": (0, 0, 0, -1),
    "kexec_file_load": (-1, -1, 0, 0, -1), "init_module": (0, 0, P(b"")), "finit_module": (-1, P(b""), 0),
    "delete_module": (P(b"bastion_no_such_module"), os.O_NONBLOCK), "fsopen": (P(b"nosuchfs"), 0),
    "fsmount": (-1, 0, 0), "move_mount": (-1, P(b""), -1, P(b""), 0), "open_tree": (-1, P(b"/nonexistent-bastion"), 0),
    "fspick": (-1, P(b"/nonexistent-bastion"), 0), "mount_setattr": (-1, P(b""), 0, 0, 0), "clone3": (0, 0),
    "getpid": (),
}
out = {}
for name in sys.argv[1:]:
    ctypes.set_errno(0)
    ret = libc.syscall(NR[name], *CALLS[name])
    out[name] = "ok" if ret >= 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
    if name == "io_uring_setup" and ret >= 0:
        os.close(ret)
print(json.dumps(out))
"""

DENIED = [
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "open_by_handle_at",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "bpf",
    "perf_event_open",
    "keyctl",
    "add_key",
    "request_key",
    "userfaultfd",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "fsopen",
    "fsmount",
    "move_mount",
    "open_tree",
    "fspick",
    "mount_setattr",
    "unshare",
]  # fmt: skip; unshare last: on the host it succeeds, and the probe then runs in a new user namespace


async def test_seccomp_denies_each_listed_syscall_that_the_host_allows(sandbox: Sandbox) -> None:
    # control: on the host (root, no filter) none of these probes is refused with EPERM; each reaches the
    # kernel and fails on its deliberately bad argument (or, for io_uring_setup and unshare, succeeds)
    host = subprocess.run(
        [sys.executable, "-c", SYSCALL_PROBE, *DENIED, "clone3", "getpid"], capture_output=True, check=True, text=True
    )
    on_host = json.loads(host.stdout)
    assert on_host["io_uring_setup"] == "ok" and on_host["getpid"] == "ok"
    assert not {name for name, answer in on_host.items() if answer == "EPERM"}, on_host
    await sandbox.write_file("probe.py", SYSCALL_PROBE)
    result = await sandbox.exec(["python3", "probe.py", *DENIED, "clone3", "getpid"])
    inside = json.loads(result.stdout)
    assert {name: inside[name] for name in DENIED} == dict.fromkeys(DENIED, "EPERM")
    assert inside["clone3"] == "ENOSYS"  # so that glibc falls back to clone(2), whose flags the filter can see
    assert inside["getpid"] == "ok"


NAMESPACES = {"user": 0x10000000, "mount": 0x00020000, "pid": 0x20000000, "net": 0x40000000, "ipc": 0x08000000}
CLONE_PROBE = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
flags = int(sys.argv[1]) | 17  # | SIGCHLD
pid = libc.syscall(56, flags, 0, 0, 0, 0)  # clone(flags, NULL stack): a fork into the new namespaces
if pid == 0:
    os._exit(0)
if pid > 0:
    os.waitpid(pid, 0)
    print("created")
else:
    print("refused", os.strerror(ctypes.get_errno()))
"""


@pytest.mark.parametrize("namespace", sorted(NAMESPACES))
async def test_clone_into_a_new_namespace_is_refused(sandbox: Sandbox, namespace: str) -> None:
    control = await sandbox.exec(["python3", "-c", CLONE_PROBE, "0"])
    result = await sandbox.exec(["python3", "-c", CLONE_PROBE, str(NAMESPACES[namespace])])
    assert control.stdout == b"created\n"  # a plain clone (fork) works
    assert result.stdout.startswith(b"refused"), result.stdout


async def test_unshare_user_namespace_and_mount_are_refused(sandbox: Sandbox) -> None:
    # control: the host's unshare can make a user namespace with a mount namespace (so the tool works)
    host = subprocess.run(["unshare", "-Urm", "id", "-u"], capture_output=True, text=True, check=False)
    assert host.stdout.strip() == "0", host.stderr
    result = await sandbox.exec(
        ["sh", "-c", "unshare -Urm id -u; echo rc=$?; mkdir -p m; mount -t tmpfs none m; echo rc=$?"]
    )
    out = result.stdout.decode()
    assert "rc=0" not in out and not out.startswith("0\n"), out
    assert out.count("rc=") == 2


PTRACE_OWN = r"""
import ctypes, os, signal, time
libc = ctypes.CDLL(None, use_errno=True)
child = os.fork()
if child == 0:
    time.sleep(30); os._exit(0)
ok = libc.ptrace(16, child, 0, 0)  # PTRACE_ATTACH
os.waitpid(child, 0)
print("attached" if ok == 0 else "refused")
libc.ptrace(17, child, 0, 0)  # PTRACE_DETACH
os.kill(child, signal.SIGKILL)
"""


async def test_ptrace_of_its_own_processes_still_works(sandbox: Sandbox) -> None:
    # debugging one's own exploit (gdb, strace) is legitimate; the pid namespace bounds what can be named
    result = await sandbox.exec(["python3", "-c", PTRACE_OWN])
    assert result.stdout == b"attached\n", result.stderr


@pytest.fixture(params=["2", "1"], ids=["paranoid-2", "paranoid-1"])
def perf_event_paranoid(request: pytest.FixtureRequest) -> Iterator[str]:
    """The host's perf_event_paranoid for the test: at 1 (with kptr_restrict 0) the kernel itself shows every
    user real addresses in /proc/kallsyms, and the sandbox has to hide them."""
    setting = Path("/proc/sys/kernel/perf_event_paranoid")
    before = setting.read_text()
    setting.write_text(request.param)
    try:
        yield request.param
    finally:
        setting.write_text(before)


def kptr_restrict() -> int:
    return int(Path("/proc/sys/kernel/kptr_restrict").read_text())


async def test_kernel_addresses_are_hidden_and_dev_is_read_only(sandbox: Sandbox, perf_event_paranoid: str) -> None:
    # control: on this host, /proc/kallsyms shows root real kernel addresses (a KASLR bypass if shown inside)
    first = Path("/proc/kallsyms").read_text().split("\n", 1)[0].split()[0]
    assert int(first, 16) != 0
    # control: the sandbox's uid, on the host, sees them too at paranoid 1, and zeros at 2
    as_user = subprocess.run(
        ["head", "-n", "1", "/proc/kallsyms"],
        user=sandbox.uid,
        group=sandbox.uid,
        extra_groups=[],
        capture_output=True,
        check=True,
    )
    assert (first.encode() in as_user.stdout) == (perf_event_paranoid == "1" and kptr_restrict() == 0)
    result = await sandbox.exec(["sh", "-c", "head -n 1 /proc/kallsyms; touch /dev/x; echo ok > /dev/null && echo ok"])
    assert first.encode() not in result.stdout
    assert b"Read-only file system" in result.stderr  # bwrap's /dev holds device nodes, not the sandbox's files
    assert result.stdout.endswith(b"ok\n")  # control: the devices still work


def _host_processes_of(uid: int) -> dict[int, str]:
    """Live host processes running as ``uid``: pid -> name."""
    found = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^Uid:\s+{uid}\s", text, re.M) and not re.search(r"^State:\s+Z", text, re.M):
            found[int(status.parent.name)] = re.findall(r"^Name:\s+(\S+)", text, re.M)[0]
    return found


async def test_every_process_of_a_command_is_in_the_sandbox_cgroups_and_under_its_rlimits(sandbox: Sandbox) -> None:
    # The worker moves each command's chain into the tenant's cgroups itself, and bubblewrap gets its
    # arguments (so clones anything) only afterwards: its monitor, tini, the command and the command's
    # children are all in the sandbox's group on every hierarchy (memory, pids and cpu on v1).
    groups = sandbox.cgroup_paths()
    assert groups, "this host offers cgroups (v1 or v2): the sandbox must use them"
    running = asyncio.ensure_future(
        sandbox.exec(["sh", "-c", "cat /proc/self/limits > limits; sleep 3 & sleep 3"], timeout=20)
    )
    seen: dict[int, str] = {}
    for _ in range(250):
        seen = _host_processes_of(sandbox.uid)
        if sorted(seen.values()).count("sleep") == 2:
            break
        await asyncio.sleep(0.02)
    members = [set(map(int, Path(group, "cgroup.procs").read_text().split())) for group in groups]
    result = await running
    assert result.returncode == 0, result
    names = {"tini" if name == "tini-static" else name for name in seen.values()}
    assert {"bwrap", "tini", "sh"} <= names and sorted(seen.values()).count("sleep") == 2, seen
    for group, inside in zip(groups, members, strict=True):
        assert set(seen) <= inside, (group, seen, inside)

    # and the rlimits the root setup step sets reached the command
    rows = {
        line[:26].strip(): line[26:].split()[:2] for line in (await sandbox.read_file("limits")).decode().splitlines()
    }
    spec = sandbox.spec.limits
    assert rows["Max cpu time"] == [str(spec.cpu_seconds), str(spec.cpu_seconds + 1)]
    assert rows["Max address space"] == [str(spec.address_space)] * 2
    assert rows["Max processes"] == [str(spec.max_processes)] * 2
    assert rows["Max file size"] == [str(spec.max_file_bytes)] * 2
    assert rows["Max core file size"] == ["0", "0"]


async def test_the_chain_on_the_host_holds_no_capability_once_it_runs_as_the_sandbox_uid(sandbox: Sandbox) -> None:
    """What runs as the sandbox uid in the host's own user namespace (bubblewrap, after the privilege drop)
    holds no capability in any set, has no supplementary group and cannot gain privileges: whichever tool
    drops them (setpriv, capsh), keeping a permitted set across the uid change would show here."""
    running = asyncio.ensure_future(sandbox.exec(["sleep", "3"], timeout=20))
    host_userns = Path("/proc/self/ns/user").readlink()
    outside: dict[int, str] = {}
    for _ in range(250):
        for pid in _host_processes_of(sandbox.uid):
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/ns/user").readlink() == host_userns:
                    outside[pid] = Path(f"/proc/{pid}/status").read_text()
        if outside and "sleep" in _host_processes_of(sandbox.uid).values():
            break
        await asyncio.sleep(0.02)
    assert (await running).returncode == 0
    assert outside, "bubblewrap runs as the sandbox uid in the host's user namespace"
    for pid, status in outside.items():
        for field in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            assert re.search(rf"^{field}:\s+0000000000000000$", status, re.M), (pid, field, status)
        assert re.search(r"^NoNewPrivs:\s+1$", status, re.M), (pid, status)
        assert re.search(r"^Groups:\s*$", status, re.M), (pid, status)
        assert re.search(rf"^Gid:\s+{sandbox.uid}\s+{sandbox.uid}\s+{sandbox.uid}\s+{sandbox.uid}$", status, re.M)


HOLD_PTY = "import os, pty, time; m, s = pty.openpty(); print(os.ttyname(s), flush=True); time.sleep(4)"


async def test_dev_holds_the_usual_devices_and_ptys_that_no_other_sandbox_sees() -> None:
    async with await Sandbox.start() as mine, await Sandbox.start() as other:
        listing = await mine.exec(["sh", "-c", "ls /dev; stat -f -c '%b %c' /dev; echo x > /dev/null && echo ok"])
        *names, _, inodes, ok = listing.stdout.decode().split()
        expected = [
            "core",
            "fd",
            "full",
            "null",
            "ptmx",
            "pts",
            "random",
            "shm",
            "stderr",
            "stdin",
            "stdout",
            "tty",
            "urandom",
            "zero",
        ]
        assert names == expected
        assert ok == "ok" and int(inodes) <= 64  # a tiny filesystem of its own, not the host's or the worker's
        holder = asyncio.create_task(mine.exec(["python3", "-c", HOLD_PTY], timeout=30))
        for _ in range(100):  # another command of the same sandbox sees the pty appear
            if (await mine.exec(["ls", "/dev/pts"])).stdout.split() == [b"0", b"ptmx"]:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the pty never showed in the sandbox's own /dev/pts")
        assert (await other.exec(["ls", "/dev/pts"])).stdout.split() == [b"ptmx"]
        assert (await holder).stdout == b"/dev/pts/0\n"
