"""Errors of the sandbox slice.

File operations inside a sandbox raise Python's own ``OSError`` family (``FileNotFoundError``,
``PermissionError``, ``IsADirectoryError``) because that is what the operating system inside the
sandbox answered; everything Bastion decides itself raises a :class:`SandboxError`.
"""

# ruff: noqa: N818 - errors are named for what happened (SandboxClosed), as core.errors does
from __future__ import annotations

from bastion.core.errors import BastionError, InvalidInput, OperationalError


class SandboxError(BastionError):
    """Base of every deliberate error raised by ``bastion.sandbox``."""

    default_code = "sandbox_error"


class SandboxToolMissing(SandboxError, OperationalError):
    """bubblewrap (or a util-linux helper it needs) is not installed on this host."""

    default_code = "sandbox_tool_missing"

    def __init__(self, tool: str, package: str) -> None:
        super().__init__(
            f"the sandbox needs {tool!r} but it is not installed on this host",
            hint=f"install it, e.g. `apt-get install -y {package}`",
            details={"tool": tool, "package": package},
        )
        self.tool = tool
        self.package = package


class SandboxNeedsRoot(SandboxError, OperationalError):
    """The sandbox gives each sandbox its own unprivileged uid, tmpfs and cgroup, which only root can do."""

    default_code = "sandbox_needs_root"

    def __init__(self) -> None:
        super().__init__(
            "the bastion sandbox must be started by root: it runs every sandbox as its own unprivileged uid, "
            "with its own cgroup and size-limited tmpfs, and then drops every privilege before the sandbox starts",
            hint="run the evaluation worker as root, e.g. in a dedicated VM or container for evaluations",
        )


class SandboxSpecInvalid(SandboxError, InvalidInput):
    """A sandbox specification or a request to a sandbox is malformed."""

    default_code = "sandbox_spec_invalid"


class SandboxClosed(SandboxError, OperationalError):
    """The sandbox was already closed; its work directory is gone."""

    default_code = "sandbox_closed"


class SandboxFailed(SandboxError, OperationalError):
    """The sandbox machinery itself failed (not the command run inside it)."""

    default_code = "sandbox_failed"


class FileTooLarge(SandboxError, InvalidInput):
    """A file read out of the sandbox is larger than the caller allowed."""

    default_code = "sandbox_file_too_large"

    def __init__(self, path: str, limit: int) -> None:
        super().__init__(
            f"{path!r} is larger than the read limit of {limit} bytes",
            hint="read it in pieces inside the sandbox, or raise the limit",
            details={"path": path, "limit": limit},
        )
        self.path = path
        self.limit = limit


class NotARegularFile(SandboxError, InvalidInput):
    """The file API reads and writes regular files only (not FIFOs, devices, sockets)."""

    default_code = "sandbox_not_a_regular_file"

    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path!r} is not a regular file (a FIFO, a device or a socket), so it cannot be read or written",
            hint="copy what you need into a regular file inside the sandbox with a command, then transfer that",
            details={"path": path},
        )
        self.path = path


class ServiceNotReady(SandboxError, OperationalError):
    """A target service did not start listening in time, or exited early."""

    default_code = "sandbox_service_not_ready"
