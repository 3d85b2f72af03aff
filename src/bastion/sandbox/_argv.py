"""Pure construction of what runs one command in a sandbox: a host argv and bubblewrap's own arguments.

Everything privileged happens on the host, before anything the sandbox controls exists in the process:
with a fixed environment (``HOST_ENV``) and cwd ``/``, root moves itself into the tenant's cgroups (on
cgroup v1) and sets the rlimits (a fixed ``/bin/sh`` script, :data:`SETUP`), then drops to the sandbox
uid and gid with no supplementary group, no capability (none inheritable or ambient), an empty bounding
set and ``no_new_privs`` (``capsh``, which takes numeric ids as they are, where ``setpriv`` first looks
them up in the host's user database)::

    sh -c SETUP [CGROUP-FILES] -- limits... capsh ... --shell=BWRAP -- --args FD -- tini -- CMD

The chain starts in the sandbox's network namespace: the worker forks it there (``_netns``). A shell
that someone else starts (``connection()``) joins it first: ``[nsenter --net=FILE]`` before ``capsh``.

Only then does bubblewrap run, unprivileged: it makes a user namespace of its own (the uid maps to
itself, so nothing inside is root or holds a capability on the host), refuses further user namespaces,
installs the seccomp filter, and execs the command. Its mounts, environment and working directory
come from the ``--args`` file descriptor, so neither env values nor host paths appear on any command
line; the caller's environment reaches only the command itself.

The chain joins the tenant's cgroups itself, first thing, as root: on cgroup v1 a single-threaded
process that moves itself (``echo 0 > tasks``) skips the kernel's global cgroup lock, whose write side
waits for an RCU grace period (milliseconds, tens of them on a busy host). Every process of the
sandbox then starts inside the cgroups, and ``FD`` is a memory file. On cgroup v2 a move always takes
that lock, so there the worker moves the chain while these steps start instead, and ``FD`` is a pipe it
writes bubblewrap's arguments to only once the chain is in (``_process.Admission``); bubblewrap reads
them before it clones anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bastion.sandbox._etc import HOSTNAME, USER_NAME
from bastion.sandbox._host import HostLayout, HostTools
from bastion.sandbox._spec import Limits

WORKDIR = "/workspace"
SERVICE_DIR = "/service"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Moves itself into every cgroup given before "--" (the file takes "0": this very process), sets the
# rlimits given after it (CPU seconds, address space in KiB, processes, file size in 512-byte blocks),
# then execs the rest. Runs as root with HOST_ENV, cwd "/".
SETUP = (
    'while [ "$1" != -- ]; do echo 0 > "$1" || exit 125; shift; done; shift; '
    'ulimit -t $(($1 + 1)) && ulimit -S -t "$1" && ulimit -v "$2" && ulimit -p "$3" && ulimit -f "$4" '
    '&& ulimit -c 0 || exit 125; shift 4; exec "$@"'
)

__all__ = ["SERVICE_DIR", "USER_NAME", "WORKDIR", "TenantPaths", "bwrap_args", "host_argv", "resolve_cwd"]


@dataclass(frozen=True, slots=True)
class TenantPaths:
    """Host paths behind one tenant's view: its tmpfs directories, /dev, identity files and the shared /etc."""

    work: str
    tmp: str
    shm: str
    dev: str  # the tenant's /dev, made on the host (``_dev``)
    passwd: str
    group: str
    etc: str
    work_inside: str = WORKDIR
    opt: str | None = None  # a private writable /opt (Inspect's human agent installs its ``task`` command there)


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


def host_argv(
    tools: HostTools,
    *,
    uid: int,
    limits: Limits,
    args_fd: int,
    cmd: Sequence[str],
    cgroup_procs: Sequence[str] = (),
    netns: str | None = None,
) -> list[str]:
    """The argv spawned as root. Nothing in it comes from the sandbox or the caller except ``cmd``, which
    only bubblewrap's child runs (after every privilege is gone).

    ``cgroup_procs`` names the files through which the setup step moves itself into the tenant's cgroups
    first (``Cgroup.join_files``); empty when the worker moves the chain instead (cgroup v2: see the
    module docstring) or the host has no cgroups."""
    argv = [tools.sh, "-c", SETUP, "sandbox-setup", *cgroup_procs, "--"]
    argv += [
        str(limits.cpu_seconds),
        str(-(-limits.address_space // 1024)),
        str(limits.max_processes),
        str(-(-limits.max_file_bytes // 512)),
    ]
    if netns is not None:
        argv += [tools.nsenter, f"--net={netns}", "--"]
    # capsh applies its options in order and exits non-zero at the first that fails: the bounding set is
    # emptied while still root (it needs CAP_SETPCAP), then the inheritable and ambient sets, the groups,
    # the gid and last the uid (setuid from root to another uid clears the permitted and effective sets).
    # "--" execs --shell with the rest of the arguments (capsh puts the shell's path in argv[0]).
    argv += [
        tools.capsh,
        "--quiet",  # must come first: skips a check that only prints a warning
        "--drop=all",
        "--inh=",
        "--noamb",
        "--groups=",
        f"--gid={uid}",
        f"--uid={uid}",
        "--no-new-privs",
        f"--shell={tools.bwrap}",
        "--",
    ]
    return [*argv, "--args", str(args_fd), "--", tools.tini, "--", *cmd]


def bwrap_args(
    layout: HostLayout,
    paths: TenantPaths,
    *,
    uid: int,
    seccomp_fd: int,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    kernel_address_files: Sequence[str] = (),
) -> list[str]:
    """bubblewrap's options, passed through ``--args``. The command keeps the network namespace it was
    started in (the sandbox's own, see ``_netns``). ``kernel_address_files`` (``/proc/kallsyms``...) are
    covered by an empty file: those that would show the sandbox user real kernel addresses, a KASLR leak
    (``_host.kernel_address_files``)."""
    args = ["--unshare-user", "--uid", str(uid), "--gid", str(uid), "--disable-userns", "--seccomp", str(seccomp_fd)]
    for path, target in layout.system:
        args += ["--symlink", target, path] if target is not None else ["--ro-bind", path, path]
    args += ["--ro-bind", paths.etc, "/etc"]
    args += ["--ro-bind", paths.passwd, "/etc/passwd", "--ro-bind", paths.group, "/etc/group"]
    args += ["--proc", "/proc"]
    for path in kernel_address_files:
        args += ["--ro-bind", "/dev/null", path]
    # the tenant's /dev: read-only, made on the host (_dev); then its own shm over the empty directory there
    args += ["--dev-bind", paths.dev, "/dev", "--bind", paths.shm, "/dev/shm"]  # noqa: S108
    # /var/tmp is /tmp, the same private directory (Inspect injects its sandbox tools there)
    args += ["--perms", "0755", "--dir", "/var", "--symlink", "../tmp", "/var/tmp", "--bind", paths.tmp, "/tmp"]  # noqa: S108
    args += ["--bind", paths.work, paths.work_inside]
    if paths.opt is not None:
        args += ["--bind", paths.opt, "/opt"]
    args += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    # tini is the namespace's pid 1 (bwrap waits for it, so no zombie escapes to the host's pid 1)
    args += ["--as-pid-1", "--hostname", HOSTNAME, "--die-with-parent", "--new-session", "--clearenv"]
    for name, value in {**base_env(paths.work_inside), **(env or {})}.items():
        args += ["--setenv", name, value]
    args += ["--chdir", resolve_cwd(cwd, paths.work_inside), "--remount-ro", "/"]
    return args
