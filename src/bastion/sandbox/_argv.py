"""Pure construction of the command line that runs one command inside bubblewrap.

The chain is ``[nsenter --net=FD --] bwrap <mounts> <namespaces> -- prlimit <limits> -- setpriv
<drop to the sandbox uid> -- CMD``. bwrap runs as root so that ``setpriv`` can switch to the
sandbox's own unprivileged uid: only a non-root real uid makes the kernel enforce RLIMIT_NPROC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bastion.sandbox._host import HostLayout, HostTools
from bastion.sandbox._spec import Limits

WORKDIR = "/workspace"
SERVICE_DIR = "/service"
USER_NAME = "sandbox"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True, slots=True)
class Mounts:
    """Host paths that back one sandbox's writable directories and its generated identity files."""

    work: str
    tmp: str
    passwd: str
    group: str
    empty_file: str
    work_inside: str = WORKDIR
    opt: str | None = None  # a private /opt (Inspect's human agent installs its ``task`` command there)


def passwd_text(uid: int, home: str) -> str:
    return (
        "root:x:0:0:root:/root:/usr/sbin/nologin\n"
        f"{USER_NAME}:x:{uid}:{uid}:sandbox:{home}:/bin/bash\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    )


def group_text(uid: int) -> str:
    return f"root:x:0:\n{USER_NAME}:x:{uid}:\nnogroup:x:65534:\n"


def resolve_cwd(cwd: str | None, work_inside: str = WORKDIR) -> str:
    if cwd is None or cwd == "":
        return work_inside
    return cwd if cwd.startswith("/") else f"{work_inside}/{cwd}"


def base_env(home: str) -> dict[str, str]:
    """The whole environment a sandboxed command starts from (the host's is never passed in)."""
    return {
        "PATH": SYSTEM_PATH,
        "HOME": home,
        "USER": USER_NAME,
        "LOGNAME": USER_NAME,
        "LANG": "C.UTF-8",
        "TMPDIR": "/tmp",  # noqa: S108 - the sandbox's private /tmp, not the host's
    }


def bwrap_argv(
    tools: HostTools,
    layout: HostLayout,
    mounts: Mounts,
    *,
    uid: int,
    limits: Limits,
    cmd: Sequence[str],
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    netns_fd: int | None = None,
) -> list[str]:
    """The argv to spawn (as root) for ``cmd``. ``netns_fd`` joins a shared private network namespace;
    without it the command gets a fresh empty one of its own."""
    argv: list[str] = []
    if netns_fd is not None:
        argv += [tools.nsenter, f"--net=/proc/self/fd/{netns_fd}", "--"]
    argv.append(tools.bwrap)
    for path, target in layout.system:
        argv += ["--symlink", target, path] if target is not None else ["--ro-bind", path, path]
    for path in layout.masked_files:
        argv += ["--ro-bind", mounts.empty_file, path]
    for path in layout.masked_dirs:
        argv += ["--tmpfs", path, "--remount-ro", path]
    argv += ["--ro-bind", mounts.passwd, "/etc/passwd", "--ro-bind", mounts.group, "/etc/group"]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    # /var/tmp is the same private directory as /tmp (Inspect injects its sandbox tools there).
    argv += ["--perms", "0755", "--dir", "/var"]
    argv += ["--bind", mounts.tmp, "/tmp", "--bind", mounts.tmp, "/var/tmp"]  # noqa: S108
    argv += ["--bind", mounts.work, mounts.work_inside]
    if mounts.opt is not None:
        argv += ["--bind", mounts.opt, "/opt"]
    argv += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if netns_fd is None:
        argv.append("--unshare-net")
    argv += ["--hostname", "sandbox", "--die-with-parent", "--new-session", "--clearenv"]
    argv += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    argv += ["--cap-add", "CAP_SETPCAP", "--cap-add", "CAP_DAC_READ_SEARCH"]  # chdir; setpriv drops all
    for name, value in {**base_env(mounts.work_inside), **(env or {})}.items():
        argv += ["--setenv", name, value]
    argv += ["--chdir", resolve_cwd(cwd, mounts.work_inside), "--"]
    argv += [
        tools.prlimit,
        f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",
        f"--as={limits.memory_bytes}",
        f"--nproc={limits.max_processes}",
        f"--fsize={limits.max_file_bytes}",
        "--core=0",
        "--",
    ]
    argv += [
        tools.setpriv,
        f"--reuid={uid}",
        f"--regid={uid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
        "--",
    ]
    argv += list(cmd)
    return argv
