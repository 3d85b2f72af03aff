"""What the host offers: the helper binaries and the shape of its system directories (read once)."""

from __future__ import annotations

import functools
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from bastion.sandbox._errors import SandboxNeedsRoot, SandboxToolMissing

# Helpers are looked up on a fixed system PATH, never the caller's, so nobody can slip in a wrapper.
_SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
_TOOLS = {
    "bwrap": "bubblewrap",
    "capsh": "libcap2-bin",  # drops to the sandbox uid: numeric ids, no user database lookup (setpriv does one)
    "nsenter": "util-linux",  # only for a connection() someone else starts
    "sh": "dash",
    "tini": "tini",
}
# Preferred builds of a helper, first found wins: tini's package ships a static build, which skips the
# dynamic loader on every command.
_VARIANTS = {"tini": ("tini-static", "tini")}
# System trees the sandbox sees read-only. Everything else on the host (/root, /home, /work, /srv,
# /var, /run, /opt, /mnt, the Bastion data directory...) simply does not exist inside; /etc is the
# sandbox's own (``_etc``).
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


@dataclass(frozen=True, slots=True)
class HostTools:
    """Absolute paths of the binaries the sandbox is built from."""

    bwrap: str
    capsh: str
    nsenter: str
    sh: str
    tini: str


@dataclass(frozen=True, slots=True)
class HostLayout:
    """System paths to expose: ``(path, symlink_target)``; a ``None`` target means bind the directory."""

    system: tuple[tuple[str, str | None], ...]


@functools.cache
def host_tools() -> HostTools:
    """Find the helpers or raise :class:`SandboxToolMissing` naming the package to install.

    Raises :class:`SandboxNeedsRoot` when not running as root (see that error for why)."""
    if os.geteuid() != 0:
        raise SandboxNeedsRoot
    found: dict[str, str] = {}
    for tool, package in _TOOLS.items():
        path = next(filter(None, (shutil.which(n, path=_SYSTEM_PATH) for n in _VARIANTS.get(tool, (tool,)))), None)
        if path is None:
            raise SandboxToolMissing(tool, package)
        found[tool] = path
    return HostTools(**found)


@functools.cache
def host_layout() -> HostLayout:
    system: list[tuple[str, str | None]] = []
    for path in _SYSTEM_DIRS:
        p = Path(path)
        if p.is_symlink():
            system.append((path, str(p.readlink())))
        elif p.is_dir():
            system.append((path, None))
    return HostLayout(system=tuple(system))


# Files that list kernel addresses to whoever the kernel lets see them (``kallsyms_show_value``): with
# ``kptr_restrict`` 0 and ``perf_event_paranoid`` at most 1, every user; otherwise only holders of
# CAP_SYSLOG on the host, which no process of a sandbox is (they read zeros).
_KERNEL_ADDRESS_FILES = ("/proc/kallsyms", "/proc/modules")


def _sysctl(name: str) -> int | None:
    try:
        return int(Path("/proc/sys/kernel", name).read_text())
    except (OSError, ValueError):
        return None


def kernel_address_files() -> tuple[str, ...]:
    """The files a sandbox must not see as they are, read from the host's settings now (each command
    asks again, so a changed setting counts from the next command): none while the kernel itself hides
    the addresses from users without CAP_SYSLOG, else those of ``/proc/kallsyms`` and ``/proc/modules``
    that exist. An unreadable setting counts as showing them."""
    restrict, paranoid = _sysctl("kptr_restrict"), _sysctl("perf_event_paranoid")
    if restrict is not None and paranoid is not None and (restrict >= 1 or paranoid >= 2):
        return ()
    return tuple(path for path in _KERNEL_ADDRESS_FILES if Path(path).exists())
