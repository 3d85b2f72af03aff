"""Each tenant's ``/dev``, made on the host once, where bubblewrap's ``--dev`` would build it again for
every command (a tmpfs, a bind per device, a devpts instance and links: about half a millisecond).

``<root>/<tenant>/dev`` is a tiny tmpfs of its own (so ``statfs`` inside shows nothing of the host's or
another sandbox's), the one mount of a sandbox that allows device nodes (only root can make one). It
holds the host's ``null``, ``zero``, ``full``, ``random``, ``urandom`` and ``tty`` as nodes of the
same device numbers, the usual links (``fd``, ``stdin``, ``stdout``, ``stderr``, ``core``, ``ptmx`` ->
``pts/ptmx``), an empty ``shm`` (the tenant's own is bound over it) and ``pts``: a devpts instance of
the tenant's own (``newinstance``), so its ptys are seen by nobody else. Once made, the tmpfs is
remounted read-only, which a sandbox cannot undo (the flag is locked for its user namespace):
everything is root's, and the devices work while no entry can be added, removed or changed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
from pathlib import Path

from bastion.sandbox._mount import MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REMOUNT, mount, unmount

DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
LINKS = {
    "fd": "/proc/self/fd",
    "stdin": "/proc/self/fd/0",
    "stdout": "/proc/self/fd/1",
    "stderr": "/proc/self/fd/2",
    "core": "/proc/kcore",
    "ptmx": "pts/ptmx",
}
_DEV_OPTIONS = "size=64k,nr_inodes=64,mode=0755"
_PTS_OPTIONS = "newinstance,ptmxmode=0666,mode=620"  # as bubblewrap's --dev: a pty's slave is its opener's


@functools.cache
def _device_numbers() -> tuple[tuple[str, int], ...]:
    """The host's device numbers of :data:`DEVICES` (those it has)."""
    found = []
    for name in DEVICES:
        with contextlib.suppress(FileNotFoundError):
            info = os.stat(f"/dev/{name}")  # noqa: PTH116 - a hot path: plain os calls on strings
            if stat.S_ISCHR(info.st_mode):
                found.append((name, info.st_rdev))
    return tuple(found)


def make_dev(path: str) -> None:
    """Create the tenant's ``/dev`` at ``path`` (see the module docstring). Blocking."""
    os.mkdir(path, 0o755)  # noqa: PTH102
    mount("tmpfs", Path(path), "tmpfs", MS_NOSUID, _DEV_OPTIONS)
    for name, number in _device_numbers():
        node = f"{path}/{name}"
        os.mknod(node, stat.S_IFCHR | 0o666, number)
        os.chmod(node, 0o666)  # noqa: PTH101, S103 - what every /dev gives these devices (whatever the umask)
    for name, target in LINKS.items():
        os.symlink(target, f"{path}/{name}")  # noqa: PTH211
    for name in ("shm", "pts"):
        os.mkdir(f"{path}/{name}", 0o755)  # noqa: PTH102
    mount("devpts", Path(f"{path}/pts"), "devpts", MS_NOSUID | MS_NOEXEC, _PTS_OPTIONS)
    mount("tmpfs", Path(path), None, MS_REMOUNT | MS_RDONLY | MS_NOSUID, _DEV_OPTIONS)


def remove_dev(path: str) -> None:
    """Unmount the tenant's devpts and ``/dev`` tmpfs and remove the mount point; absent is fine."""
    if os.path.lexists(path):
        unmount(Path(f"{path}/pts"))
        unmount(Path(path))
        os.rmdir(path)  # noqa: PTH106 - refuses if anything is still mounted there
