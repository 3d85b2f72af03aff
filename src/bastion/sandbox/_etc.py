"""The sandbox's own minimal ``/etc``.

Generated: ``passwd`` and ``group`` (root, the sandbox user, nobody), ``hostname``, ``hosts``,
``nsswitch.conf``. From the host: only what the dynamic linker, compilers, interpreters and TLS need
(:data:`HOST_ENTRIES`), copied once per worker process into a skeleton that every sandbox of the
worker mounts read-only (one mount instead of one per entry: every mount costs each command time).
Not there: the host's backups (``passwd-``), ``machine-id``, its hostname, shadow files, and every
service's configuration.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

USER_NAME = "sandbox"
HOSTNAME = "sandbox"

# Host entries shown read-only inside (those absent on a host are skipped). Symlinks into /usr are
# recreated as symlinks (alternatives/ is a directory of them); files and directories are copied.
HOST_ENTRIES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "alternatives",  # /usr/bin/cc -> /etc/alternatives/cc -> gcc, and the like
    "localtime",
    "timezone",
    "ssl/certs",
    "ssl/openssl.cnf",
    "ca-certificates",
    "ca-certificates.conf",
    "os-release",
    "debian_version",
    "mime.types",
    "protocols",
    "services",
    "gai.conf",
    "host.conf",
    "bash.bashrc",
    "profile",
    "inputrc",
    "terminfo",
    "magic",
    "python3",
    "python3.11",
    "python3.12",
    "python3.13",
    "perl",
    "mtab",
)

GENERATED = {
    "hostname": f"{HOSTNAME}\n",
    "hosts": f"127.0.0.1\tlocalhost\n127.0.1.1\t{HOSTNAME}\n::1\tlocalhost ip6-localhost ip6-loopback\n",
    "nsswitch.conf": "passwd: files\ngroup: files\nshadow: files\nhosts: files\nservices: files\nprotocols: files\n",
}


def passwd_text(uid: int, home: str) -> str:
    return (
        "root:x:0:0:root:/root:/usr/sbin/nologin\n"
        f"{USER_NAME}:x:{uid}:{uid}:sandbox:{home}:/bin/bash\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    )


def group_text(uid: int) -> str:
    return f"root:x:0:\n{USER_NAME}:x:{uid}:\nnogroup:x:65534:\n"


def build_etc(directory: Path, host_etc: Path = Path("/etc")) -> None:
    """Create the skeleton in ``directory``: generated files, placeholders for the per-sandbox ``passwd``
    and ``group`` (bound over them), copies of the host entries."""
    directory.mkdir(mode=0o755)
    for name, text in GENERATED.items():
        (directory / name).write_text(text)
    for name in ("passwd", "group"):
        (directory / name).touch()
    for name in HOST_ENTRIES:
        source, target = host_etc / name, directory / name
        if not source.exists() and not source.is_symlink():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        link = str(source.readlink()) if source.is_symlink() else None
        if link is not None and _stays_visible(link, Path("/etc", name).parent):
            target.symlink_to(link)
        elif source.is_dir():
            shutil.copytree(source, target, symlinks=True, ignore_dangling_symlinks=True)
        elif source.exists():
            shutil.copyfile(source, target)
    for path in (directory, *directory.rglob("*")):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)


def _stays_visible(link: str, directory: Path) -> bool:
    """Whether a symlink in ``directory`` (as the sandbox sees it) points into the system trees the
    sandbox sees, so that it still resolves there."""
    resolved = os.path.normpath(directory / link)
    return resolved.startswith(("/usr/", "/proc/"))
