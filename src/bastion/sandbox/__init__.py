"""Process isolation on bubblewrap, shared by the eval battery and the clearinghouse's reproducers.

Each :class:`Sandbox` owns a private ``/workspace``, ``/tmp`` and ``/dev/shm`` (one size- and
inode-limited tmpfs, unmounted on close), a minimal generated ``/etc``, a uid from a reserved range
and a cgroup. Commands see the host's system directories read-only and nothing else of it: not /root,
/home, /work, the Bastion data directory, the host's /etc, nor the host environment (it is cleared;
only a fixed allowlist plus the caller's variables is set, and only for the command itself).

How one command runs (``_argv`` has the details)::

    sh -c SETUP [CGROUP-FILES] -- limits... capsh --drop=all ... --uid=U --no-new-privs
        --shell=bwrap -- --args FD -- tini -- CMD   (FD: --unshare-user --uid U --disable-userns --seccomp FD2...)

* Everything privileged runs on the host side first, with a fixed environment, in ``/``; ``capsh``
  then drops to the sandbox's uid with no capability and an empty bounding set, and bwrap starts
  unprivileged in a user namespace of its own: no process inside is root or has a capability.
* The chain is in the sandbox's cgroups before bwrap starts: on cgroup v1 the root setup step moves
  itself in; on v2 the worker moves it meanwhile, and ``FD`` is a pipe it writes only after that, and
  bwrap clones nothing before it has read it (``_process``).
* A seccomp filter (``_seccomp``) denies new namespaces, mounts, ``open_by_handle_at``, io_uring,
  bpf, perf, keyrings, userfaultfd, kexec and modules.
* Memory, processes and CPU are limited per sandbox by its cgroup (``_cgroup``); close kills through
  the cgroup, never by uid.
* Each command gets its own pid namespace. When the command exits, or when the wall timeout kills
  bwrap's pid 1, the kernel kills every process left in that namespace: nothing outlives a command.
* Each sandbox has a network namespace of its own holding only ``lo`` (``_netns``), made by the worker
  and held by a descriptor, not a process or a mount: the worker forks every command and target service
  of the sandbox inside it, so they share ``lo`` (the sample reaches its services on 127.0.0.1) and
  nothing else; the host and other sandboxes are unreachable. It goes with the sandbox.
* Files that would show kernel addresses (``/proc/kallsyms``, ``/proc/modules``) are covered whenever the
  host's settings would show them to the sandbox user (checked for every command).
* Files move in and out by running ``cat`` inside the sandbox as the sandbox user, so paths,
  ``..`` and symlinks resolve in the sandbox's own view and the host never follows them; only
  regular files, within their own timeout.
* A worker killed before closing its sandboxes leaves mounts, directories and cgroups; the next
  start on the host sweeps them (``sweep_leftovers``).
"""

from bastion.sandbox._argv import SERVICE_DIR, USER_NAME, WORKDIR
from bastion.sandbox._errors import (
    FileTooLarge,
    NotARegularFile,
    SandboxClosed,
    SandboxError,
    SandboxFailed,
    SandboxNeedsRoot,
    SandboxSpecInvalid,
    SandboxToolMissing,
    ServiceNotReady,
)
from bastion.sandbox._host import host_tools
from bastion.sandbox._process import CommandResult
from bastion.sandbox._sandbox import Sandbox, sweep_leftovers
from bastion.sandbox._spec import GiB, KiB, Limits, MiB, NetworkMode, SandboxSpec, ServiceSpec
from bastion.sandbox._uids import UID_RANGE

__all__ = [
    "SERVICE_DIR",
    "UID_RANGE",
    "USER_NAME",
    "WORKDIR",
    "CommandResult",
    "FileTooLarge",
    "GiB",
    "KiB",
    "Limits",
    "MiB",
    "NetworkMode",
    "NotARegularFile",
    "Sandbox",
    "SandboxClosed",
    "SandboxError",
    "SandboxFailed",
    "SandboxNeedsRoot",
    "SandboxSpec",
    "SandboxSpecInvalid",
    "SandboxToolMissing",
    "ServiceNotReady",
    "ServiceSpec",
    "host_tools",
    "sweep_leftovers",
]
