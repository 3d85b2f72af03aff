"""File transfer into and out of a sandbox, done *inside* it as the sandbox user.

The host never opens a path the sandboxed code chose: a ``..`` or a symlink resolves in the
sandbox's own mount namespace, where the host's secrets do not exist, and file permissions are
the sandbox user's (root on the host would bypass them). Only regular files (or links to them) are
read or written: a FIFO or a device (``/dev/zero``) would stall or never end. Reads stop one byte
past the limit, and every transfer has its own timeout (``Limits.file_seconds``). The helper scripts
report what went wrong through fixed exit codes, mapped here to Python's own ``OSError`` family and
to :class:`NotARegularFile`.
"""

from __future__ import annotations

import errno

from bastion.sandbox._errors import FileTooLarge, NotARegularFile, SandboxFailed, SandboxSpecInvalid
from bastion.sandbox._process import CommandResult

_NOT_FOUND, _IS_DIR, _DENIED, _TOO_LARGE, _NOT_DIR, _NOT_REGULAR = 66, 67, 68, 69, 70, 71
_SIGXFSZ_EXIT = 128 + 25

# $1 = path. Creates parent directories, refuses directories, special and unwritable files, copies stdin.
WRITE_SCRIPT = """
p=$1
case $p in */*) d=${p%/*}; [ -n "$d" ] || d=/
  if [ ! -d "$d" ]; then [ -e "$d" ] && exit 70; mkdir -p -- "$d" || exit 68; fi;; esac
[ -d "$p" ] && exit 67
[ -e "$p" ] && [ ! -f "$p" ] && exit 71
[ -e "$p" ] && [ ! -w "$p" ] && exit 68
true 2>/dev/null > "$p" || exit 68
exec cat > "$p"
"""

# $1 = path, $2 = size limit in bytes.
READ_SCRIPT = """
p=$1
[ -e "$p" ] || exit 66
[ -d "$p" ] && exit 67
[ -f "$p" ] || exit 71
[ -r "$p" ] || exit 68
[ "$(stat -L -c %s -- "$p")" -gt "$2" ] && exit 69
exec head -c "$(($2 + 1))" -- "$p"
"""


def check_path(path: str) -> str:
    if not path or "\0" in path:
        raise SandboxSpecInvalid(f"file path {path!r} is empty or contains a NUL byte")
    return path


def raise_for_file_result(
    result: CommandResult, path: str, *, limit: int | None = None, timeout: float | None = None
) -> None:
    """Translate the helper's exit code into the exception a Python caller expects."""
    code = result.returncode
    if result.timed_out:
        raise TimeoutError(f"file transfer for {path!r} took longer than file_seconds={timeout}")
    if code == 0 and not result.timed_out:
        if limit is not None and result.stdout_truncated:
            raise FileTooLarge(path, limit)
        return
    if code == _NOT_FOUND:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
    if code == _IS_DIR:
        raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
    if code == _DENIED:
        raise PermissionError(errno.EACCES, "Permission denied", path)
    if code == _NOT_DIR:
        raise NotADirectoryError(errno.ENOTDIR, "A parent is not a directory", path)
    if code == _NOT_REGULAR:
        raise NotARegularFile(path)
    if code == _TOO_LARGE and limit is not None:
        raise FileTooLarge(path, limit)
    if code == _SIGXFSZ_EXIT:
        raise OSError(errno.EFBIG, "File larger than the sandbox's file size limit", path)
    stderr = result.stderr.decode(errors="replace").strip()
    raise SandboxFailed(
        f"file transfer for {path!r} failed (exit {code}): {stderr[-500:]}",
        details={"path": path, "returncode": code},
    )
