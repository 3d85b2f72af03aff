"""Escape tests: each would fail if an isolation property of the sandbox broke.

Where a probe could fail for a boring reason (a typo, a missing tool), a control run shows the same
probe succeeding when the thing it reaches is actually reachable.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bastion.sandbox import Limits, MiB, NetworkMode, Sandbox, SandboxFailed, SandboxSpec, ServiceSpec
from bastion.sandbox._layout import worker
from bastion.sandbox._netns import PrivateNetwork

pytestmark = pytest.mark.anyio

CONNECT = (
    "import socket, sys\n"
    "s = socket.socket(); s.settimeout(2)\n"
    "try:\n    s.connect(('127.0.0.1', int(sys.argv[1]))); print('connected')\n"
    "except OSError as e:\n    print('refused', e)\n"
)


@pytest.fixture
def host_listener() -> Iterator[tuple[socket.socket, int]]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    try:
        yield server, server.getsockname()[1]
    finally:
        server.close()


def _accepted(server: socket.socket) -> bool:
    try:
        conn, _ = server.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def _uids_alive(uid: int) -> list[int]:
    alive = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if int(fields.get("Uid", "0").split()[0]) == uid:
            alive.append(int(status.parent.name))
    return alive


@pytest.mark.parametrize("network", [NetworkMode.NONE, NetworkMode.LOOPBACK])
async def test_host_loopback_listener_is_unreachable(network: NetworkMode, host_listener) -> None:
    server, port = host_listener
    # control: the same probe, run on the host, reaches the listener (so "refused" below means isolation)
    control = subprocess.run([sys.executable, "-c", CONNECT, str(port)], capture_output=True, check=True, timeout=30)
    assert control.stdout == b"connected\n"
    assert _accepted(server)
    async with await Sandbox.start(SandboxSpec(network=network)) as sb:
        result = await sb.exec(["python3", "-c", CONNECT, str(port)])
    assert result.stdout.startswith(b"refused"), result.stdout
    assert not _accepted(server)


NETNS_PROBE = (
    "readlink /proc/self/ns/net; tail -n +3 /proc/net/dev | cut -d: -f1; echo routes; tail -n +2 /proc/net/route"
)


@pytest.mark.parametrize("network", [NetworkMode.NONE, NetworkMode.LOOPBACK])
async def test_commands_run_in_a_network_namespace_of_their_own_with_only_loopback(network: NetworkMode) -> None:
    host_netns = str(Path("/proc/self/ns/net").readlink())
    # control: the same probe on the host reports the host's namespace
    host = subprocess.run(["/bin/sh", "-c", NETNS_PROBE], capture_output=True, check=True, text=True, timeout=30)
    assert host.stdout.split()[0] == host_netns
    async with await Sandbox.start(SandboxSpec(network=network)) as sb:
        result = await sb.exec(["/bin/sh", "-c", NETNS_PROBE])
    netns, *interfaces = result.stdout.decode().split()
    assert netns.startswith("net:[") and netns != host_netns
    assert interfaces == ["lo", "routes"]  # no other interface, and no route anywhere


LISTEN = (
    "import socket, sys\n"
    "s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(4); s.settimeout(8)\n"
    "print('listening', flush=True)\n"
    "try:\n    s.accept(); print('accepted')\n"
    "except OSError as e:\n    print('no one came', e)\n"
)


async def _until_listening(sb: Sandbox, port: int) -> None:
    for _ in range(100):
        probe = await sb.exec(["sh", "-c", f"grep -c ':{port:04X} 00000000:0000 0A' /proc/net/tcp || true"])
        if probe.stdout.strip() not in (b"", b"0"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the listener never came up")


@pytest.mark.parametrize("network", [NetworkMode.NONE, NetworkMode.LOOPBACK])
async def test_a_sandboxs_commands_share_its_loopback_and_no_other_sandbox_reaches_it(network: NetworkMode) -> None:
    spec = SandboxSpec(network=network)
    async with await Sandbox.start(spec) as mine, await Sandbox.start(spec) as other:
        listener = asyncio.create_task(mine.exec(["python3", "-c", LISTEN, "8123"], timeout=30))
        await _until_listening(mine, 8123)  # seen from another command of the same sandbox
        stranger = await other.exec(["python3", "-c", CONNECT, "8123"])
        assert stranger.stdout.startswith(b"refused"), stranger.stdout
        neighbour = await mine.exec(["python3", "-c", CONNECT, "8123"])  # control: same sandbox, same loopback
        assert neighbour.stdout == b"connected\n"
        assert (await listener).stdout == b"listening\naccepted\n"
        namespaces = [(await sb.exec(["readlink", "/proc/self/ns/net"])).stdout for sb in (mine, mine, other)]
        assert namespaces[0] == namespaces[1] != namespaces[2]


def _worker_network_namespaces() -> set[str]:
    """What each thread of this process, and each descriptor it holds, says about network namespaces, once
    no spare is being made (making one puts a thread in a new namespace for a moment)."""
    for _ in range(500):
        if not worker().spare_pending():
            break
        time.sleep(0.01)
    seen = set()
    for task in Path("/proc/self/task").iterdir():
        seen.add("thread " + str((task / "ns/net").readlink()))
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        if target.startswith("net:["):
            seen.add("descriptor " + target)
    return seen


async def test_the_worker_returns_to_its_own_network_and_closing_lets_the_sandboxs_go() -> None:
    own = "thread " + str(Path("/proc/self/ns/net").readlink())
    async with await Sandbox.start() as sb:
        inside = (await sb.exec(["readlink", "/proc/self/ns/net"])).stdout.decode().strip()
        assert inside.startswith("net:[") and "thread " + inside != own
        held = _worker_network_namespaces()
        assert "descriptor " + inside in held  # kept by the worker, not by a process inside
        assert {entry for entry in held if entry.startswith("thread ")} == {own}  # no thread left inside
    after = _worker_network_namespaces()
    assert "descriptor " + inside not in after
    assert {entry for entry in after if entry.startswith("thread ")} == {own}


async def test_sample_reaches_its_own_service_and_only_over_loopback(host_listener) -> None:
    server, host_port = host_listener
    service = ServiceSpec(
        name="target", command=("python3", "-m", "http.server", "8099"), port=8099, files={"flag": b"F{1}"}
    )
    spec = SandboxSpec(network=NetworkMode.LOOPBACK, services=(service,))
    async with await Sandbox.start(spec) as sb:
        own = await sb.exec(["python3", "-c", CONNECT, "8099"])
        host = await sb.exec(["python3", "-c", CONNECT, str(host_port)])
        files = await sb.exec(["cat", "/service/flag"])
        fetched = await sb.exec(
            [
                "python3",
                "-c",
                "import urllib.request as u; print(u.urlopen('http://127.0.0.1:8099/flag').read())",
            ]
        )
    assert own.stdout == b"connected\n"
    assert host.stdout.startswith(b"refused")
    assert not _accepted(server)
    assert files.returncode != 0  # the service's own files are not in the sample's view
    assert fetched.stdout == b"b'F{1}'\n"  # ...but it serves them over the private loopback


async def test_writes_outside_the_work_dir_do_not_reach_the_host(sandbox: Sandbox, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("original")
    passwd_hash = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    script = f"mkdir -p {tmp_path}; echo pwned > {victim}; echo pwned >> /etc/passwd; touch /usr/bin/pwned /x"
    result = await sandbox.exec(["sh", "-c", script])
    # The write landed in the sandbox's private /tmp; '..' resolves in the sandbox's view too.
    assert await sandbox.read_file(f"../..{victim}") == b"pwned\n"
    for escape in ("../../etc/passwd", "/usr/bin/pwned"):
        with pytest.raises(PermissionError):
            await sandbox.write_file(escape, "pwned")
    assert b"Read-only file system" in result.stderr
    assert victim.read_text() == "original"
    assert hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest() == passwd_hash
    assert not Path("/usr/bin/pwned").exists()
    assert not Path("/x").exists()


async def test_host_secrets_are_not_readable(sandbox: Sandbox, tmp_path: Path) -> None:
    data_dir = tmp_path / "bastion-data"
    data_dir.mkdir()
    (data_dir / "bastion.db").write_text("SQLITE-SECRET-ROWS")
    (data_dir / "secret.key").write_text("sk-model-api-key-123")
    link_script = f"ln -s {data_dir}/secret.key link; cat {data_dir}/bastion.db {data_dir}/secret.key link"
    result = await sandbox.exec(["sh", "-c", link_script])
    listing = await sandbox.exec(["sh", "-c", "ls /root /home /work /srv /var/lib 2>&1; cat /etc/shadow"])
    own_opt = await sandbox.exec(["sh", "-c", "ls -A /opt"])  # the sandbox's own, empty: not the host's
    assert b"SECRET" not in result.stdout and b"sk-model" not in result.stdout
    assert b"No such file or directory" in result.stderr
    with pytest.raises(FileNotFoundError):
        await sandbox.read_file("link")  # a symlink to a host path resolves in the sandbox's view
    with pytest.raises(FileNotFoundError):
        await sandbox.read_file(str(data_dir / "secret.key"))
    assert listing.stdout.count(b"No such file or directory") == 5
    assert (own_opt.returncode, own_opt.stdout) == (0, b"")
    assert b"root:" not in listing.stdout  # /etc/shadow is masked (and unreadable to the sandbox uid)


async def test_host_environment_is_not_inherited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-host-secret-42")
    monkeypatch.setenv("BASTION_SECRET_KEY", "host-secret-key-43")
    async with await Sandbox.start() as sb:
        result = await sb.exec(["sh", "-c", "env; cat /proc/*/environ 2>/dev/null"], env={"MINE": "visible"})
    assert b"MINE=visible" in result.stdout
    assert b"sk-host-secret-42" not in result.stdout
    assert b"host-secret-key-43" not in result.stdout


FORK_LOOP = "i=0; while [ $i -lt 64 ]; do sleep 30 & i=$((i+1)); echo $i; done; echo all-started"


async def test_process_limit_caps_a_fork_loop() -> None:
    async with await Sandbox.start(SandboxSpec(limits=Limits(max_processes=16, wall_seconds=20))) as capped:
        result = await capped.exec(["sh", "-c", FORK_LOOP])
    async with await Sandbox.start(SandboxSpec(limits=Limits(max_processes=256, wall_seconds=20))) as roomy:
        control = await roomy.exec(["sh", "-c", FORK_LOOP])
    started = result.stdout.split()
    assert b"all-started" not in started
    assert len(started) < 16
    assert b"fork" in result.stderr.lower()
    assert control.stdout.split()[-1] == b"all-started"


async def test_memory_limit_stops_a_memory_hog() -> None:
    hog = "b = bytearray({size}); print('allocated', len(b))"
    async with await Sandbox.start(SandboxSpec(limits=Limits(memory_bytes=256 * MiB))) as sb:
        big = await sb.exec(["python3", "-c", hog.format(size=1024 * MiB)])
        small = await sb.exec(["python3", "-c", hog.format(size=32 * MiB)])
    assert big.returncode != 0
    assert b"allocated" not in big.stdout
    assert b"MemoryError" in big.stderr
    assert small.stdout == f"allocated {32 * MiB}\n".encode()


async def test_cpu_limit_kills_a_spinning_process() -> None:
    async with await Sandbox.start(SandboxSpec(limits=Limits(cpu_seconds=1, wall_seconds=30))) as sb:
        result = await sb.exec(["sh", "-c", "while :; do :; done"])
    assert not result.timed_out
    assert result.returncode in (128 + 9, 128 + 24)  # SIGKILL or SIGXCPU from RLIMIT_CPU


async def test_wall_timeout_kills_the_whole_process_tree(sandbox: Sandbox) -> None:
    result = await sandbox.exec(["sh", "-c", "sleep 300 & (sleep 300 &) ; sleep 300; :"], timeout=1)
    assert result.timed_out
    assert result.returncode is None
    assert _uids_alive(sandbox.uid) == []


async def test_huge_output_is_truncated_at_the_limit() -> None:
    async with await Sandbox.start(SandboxSpec(limits=Limits(max_output_bytes=1 * MiB))) as sb:
        result = await sb.exec(["sh", "-c", "head -c 50000000 /dev/zero; echo done >&2"])
    assert result.returncode == 0
    assert result.stdout_truncated and not result.stderr_truncated
    assert len(result.stdout) == 1 * MiB
    assert result.stderr == b"done\n"


async def test_commands_run_as_an_unprivileged_uid_without_capabilities(sandbox: Sandbox) -> None:
    result = await sandbox.exec(["sh", "-c", "id -u; grep CapEff /proc/self/status; touch /newfile"])
    uid, caps = result.stdout.split(b"\n")[:2]
    assert int(uid) == sandbox.uid != 0
    assert caps.split()[-1] == b"0000000000000000"
    assert b"Read-only file system" in result.stderr  # the sandbox's own root is read-only


async def test_nothing_outlives_close() -> None:
    sb = await Sandbox.start(
        SandboxSpec(network=NetworkMode.LOOPBACK, services=(ServiceSpec(name="svc", command=("sleep", "300")),))
    )
    work = sb.work_dir
    await sb.write_file("f.txt", "x")
    await sb.close()
    assert _uids_alive(sb.uid) == []
    assert not work.exists()


def test_closing_a_network_waits_for_a_command_being_started_inside_it() -> None:
    # else the descriptor's number could be reused (by the next sandbox's namespace) between being read and joined
    network = PrivateNetwork.create()
    entered, release, seen = threading.Event(), threading.Event(), []

    def start() -> None:
        entered.set()
        release.wait(10)
        seen.append(str(Path("/proc/thread-self/ns/net").readlink()))

    starter = threading.Thread(target=network.start_inside, args=(start,))
    starter.start()
    assert entered.wait(10)
    closer = threading.Thread(target=network.close)
    closer.start()
    closer.join(0.3)
    assert closer.is_alive()  # still waiting for the start
    release.set()
    starter.join(10)
    closer.join(10)
    assert not closer.is_alive()
    assert seen and seen[0] != str(Path("/proc/self/ns/net").readlink())  # it ran inside, not in the host's
    with pytest.raises(SandboxFailed):
        network.start_inside(lambda: None)
