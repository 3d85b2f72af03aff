"""Files Bastion keeps: private to the server's user (folders 0700, files 0600) and never half-written.

- ``private_dir`` creates a folder (and any missing parents) 0700.
- ``staged_file`` is a ``.part`` file, created 0600 and held under an exclusive ``flock`` for as long as it is
  being written; ``write_atomic`` and the API's streamed uploads write through it and rename the finished file
  into place, so a crash leaves at most a ``.part`` file, never a half file under the final name.
- ``sweep_parts`` removes the ``.part`` files a killed process left behind. A file still locked belongs to a
  live upload (in this or another server process) and is left alone: the lock dies with its process.
- ``secure_tree`` brings an existing tree to 0700/0600 (files that libraries wrote with the default umask,
  or that an older version left readable).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
PART_SUFFIX = ".part"


def private_dir(path: Path) -> Path:
    """``path`` as a folder; the folders this creates are 0700 (existing ones are left as they are)."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it first
            folder.mkdir(mode=PRIVATE_DIR)
            folder.chmod(PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    return path


def _open_locked(directory: Path) -> tuple[Path, int]:
    while True:
        path = directory / f"{secrets.token_hex(12)}{PART_SUFFIX}"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if path.stat().st_ino == os.fstat(fd).st_ino:
                return path, fd
        except FileNotFoundError:
            pass
        os.close(fd)  # a sweep removed it between creation and locking: take another name


@contextmanager
def staged_file(directory: Path) -> Iterator[tuple[Path, BinaryIO]]:
    """A new locked ``.part`` file in ``directory``. Move it into place (``os.replace``) inside the block;
    whatever is still at its path when the block ends is removed."""
    path, fd = _open_locked(private_dir(directory))
    handle = os.fdopen(fd, "w+b")
    try:
        yield path, handle
    finally:
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_ino == os.fstat(handle.fileno()).st_ino:
                path.unlink()
        handle.close()


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``target`` (0600) completely or not at all."""
    with staged_file(target.parent) as (part, handle):
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
        part.replace(target)


def sweep_parts(root: Path) -> list[Path]:
    """Remove the abandoned ``.part`` files under ``root``; returns what was removed."""
    removed = []
    for path in sorted(root.rglob(f"*{PART_SUFFIX}")) if root.is_dir() else []:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if path.stat().st_ino == os.fstat(fd).st_ino:
                path.unlink()
                removed.append(path)
        except OSError:  # locked by a live writer, or already gone
            pass
        finally:
            os.close(fd)
    return removed


def secure_tree(root: Path) -> None:
    """Folders 0700, and files readable by their owner only, under ``root`` (and ``root`` itself); symbolic
    links are not followed."""
    if not root.is_dir():
        return
    root.chmod(PRIVATE_DIR)
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            with contextlib.suppress(OSError):
                mode = path.lstat().st_mode
                if stat.S_ISDIR(mode):
                    path.chmod(PRIVATE_DIR)
                elif stat.S_ISREG(mode) and stat.S_IMODE(mode) & 0o077:
                    path.chmod(stat.S_IMODE(mode) & 0o700)  # the owner's bits only
