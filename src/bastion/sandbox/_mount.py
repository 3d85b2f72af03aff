"""mount(2) and umount2(2) for the host side of the sandbox (run as root, on paths Bastion created).

The standard library has no binding for them and spawning mount(8) per sandbox costs milliseconds, so
this calls libc through ctypes (:func:`libc`, which ``_netns`` uses too). Only fixed, root-owned paths
under the sandbox state directory are ever passed here.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
import os
from pathlib import Path

from bastion.sandbox._errors import SandboxFailed

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MNT_DETACH = 0x2
UMOUNT_NOFOLLOW = 0x8


@functools.cache
def libc() -> ctypes.CDLL:
    """The C library, for the calls the standard library has no binding for (mount, setns, unshare)."""
    return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def mount(source: str, target: Path, fstype: str | None, flags: int, options: str | None = None) -> None:
    result = libc().mount(
        source.encode(),
        str(target).encode(),
        fstype.encode() if fstype else None,
        ctypes.c_ulong(flags),
        options.encode() if options else None,
    )
    if result != 0:
        code = ctypes.get_errno()
        raise SandboxFailed(
            f"could not mount {source} on {target}: {os.strerror(code)}",
            details={"source": source, "target": str(target), "errno": code},
        )


def mount_tmpfs(target: Path, *, size: int, inodes: int, uid: int, mode: int = 0o700) -> None:
    """A private tmpfs of ``size`` bytes and ``inodes`` files, owned by ``uid``."""
    options = f"size={size},nr_inodes={inodes},mode={mode:04o},uid={uid},gid={uid}"
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, options)


def unmount(target: Path) -> None:
    """Detach ``target`` (lazily, so a busy mount cannot keep the sandbox around); absent is fine."""
    if libc().umount2(str(target).encode(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0:
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOENT):
            raise SandboxFailed(f"could not unmount {target}: {os.strerror(code)}", details={"errno": code})


def _unescape(field: str) -> str:
    return field.encode().decode("unicode_escape") if "\\" in field else field


def mounts_under(directory: Path) -> list[Path]:
    """Mount points at or below ``directory`` in this mount namespace, deepest first."""
    prefix = str(directory).rstrip("/")
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = _unescape(line.split()[4])
        if point == prefix or point.startswith(prefix + "/"):
            found.append(Path(point))
    return sorted(found, key=lambda p: len(p.parts), reverse=True)
