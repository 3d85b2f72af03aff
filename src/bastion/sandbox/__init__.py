"""Process isolation on bubblewrap, shared by the eval battery and the clearinghouse's reproducers.

Each :class:`Sandbox` owns a private work directory (``/workspace`` inside; a temp dir on the host,
removed on close) and a private ``/tmp``. Commands see the host's system directories read-only and
nothing else of it: not /root, /home, /work, the Bastion data directory, nor the host environment
(it is cleared; only a fixed allowlist plus the caller's variables is set).

How one command runs::

    [nsenter --net=/proc/self/fd/N --] bwrap --ro-bind /usr ... --unshare-{pid,ipc,uts,cgroup}
        [--unshare-net] --die-with-parent --new-session --clearenv ...
        -- prlimit --cpu --as --nproc --fsize -- setpriv --reuid=UID ... --no-new-privs -- CMD

* bwrap runs as root and ``setpriv`` drops to a uid private to this sandbox, with every capability
  gone. Root ignores RLIMIT_NPROC; a private non-root uid makes the kernel enforce it per sandbox.
* Each command gets its own pid namespace. When the command exits, or when the wall timeout kills
  bwrap's pid 1, the kernel kills every process left in that namespace: nothing outlives a command.
* ``network="none"``: each command gets a fresh network namespace holding only ``lo``.
  ``network="loopback"``: the sandbox creates one private network namespace (only ``lo``) and keeps
  it open by file descriptor; every command and every target service joins it with ``nsenter``,
  so the sample reaches its own service on 127.0.0.1 and nothing else, and the host is unreachable.
* Files move in and out by running ``cat`` inside the sandbox as the sandbox user, so paths,
  ``..`` and symlinks resolve in the sandbox's own view and the host never follows them.
"""

from bastion.sandbox._argv import SERVICE_DIR, USER_NAME, WORKDIR
from bastion.sandbox._errors import (
    FileTooLarge,
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
from bastion.sandbox._sandbox import Sandbox
from bastion.sandbox._spec import GiB, KiB, Limits, MiB, NetworkMode, SandboxSpec, ServiceSpec

__all__ = [
    "SERVICE_DIR",
    "USER_NAME",
    "WORKDIR",
    "CommandResult",
    "FileTooLarge",
    "GiB",
    "KiB",
    "Limits",
    "MiB",
    "NetworkMode",
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
]
