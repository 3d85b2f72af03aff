"""The seccomp filter every sandboxed process runs under, built once per process with libseccomp.

It allows everything a sample may need (compilers, interpreters, debuggers on its own processes) and
denies, with ``EPERM``, the kernel interfaces that a sample never needs and that are the usual way
into a kernel exploit: new namespaces (``clone``/``unshare`` with a namespace flag, ``setns``),
mounting of any kind, ``open_by_handle_at``, io_uring, ``bpf``, ``perf_event_open``, the key
management calls, ``userfaultfd``, kexec and module loading. ``clone3`` answers ``ENOSYS`` (its flags
sit in memory a filter cannot read), so the C library falls back to ``clone``, whose flags it can.

``ptrace`` stays allowed: a process can only name processes of its own pid namespace (its own
command's tree and bubblewrap's init, which runs under this same filter, as the same uid, without
capabilities), so debugging one's own exploit with gdb or strace works and reaches nothing else.
"""

from __future__ import annotations

import errno
import functools
import importlib
import platform
import tempfile
from types import ModuleType

from bastion.sandbox._errors import SandboxToolMissing

# Denied outright; clone and unshare are denied only with a namespace flag (_NAMESPACE_FLAGS).
DENIED = (
    "setns",
    "mount",
    "umount",
    "umount2",
    "pivot_root",
    "chroot",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "open_by_handle_at",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "bpf",
    "perf_event_open",
    "keyctl",
    "add_key",
    "request_key",
    "userfaultfd",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    # Not needed by a sample either; most also need a capability it lacks, denied here all the same.
    "name_to_handle_at",
    "syslog",
    "uselib",
    "acct",
    "quotactl",
    "quotactl_fd",
    "lookup_dcookie",
    "swapon",
    "swapoff",
    "reboot",
    "vhangup",
    "fanotify_init",
)
# CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET;
# CLONE_NEWTIME (0x80) only for unshare: for clone that bit is part of the exit signal.
_NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)
_CLONE_NEWTIME = 0x00000080
# Also filter the other ABIs a 64-bit x86 or ARM kernel runs, so 32-bit code meets the same rules.
_EXTRA_ARCHES = {"x86_64": ("X86", "X32"), "aarch64": ("ARM",)}


def _library() -> ModuleType:
    try:
        return importlib.import_module("pyseccomp")
    except (ImportError, OSError, RuntimeError) as e:  # the binding loads libseccomp.so.2 on import
        raise SandboxToolMissing("libseccomp", "libseccomp2") from e


@functools.cache
def seccomp_program() -> bytes:
    """The compiled BPF program (what bubblewrap's ``--seccomp FD`` reads)."""
    sc = _library()
    deny = sc.ERRNO(errno.EPERM)
    program = sc.SyscallFilter(sc.ALLOW)
    for name in _EXTRA_ARCHES.get(platform.machine(), ()):
        arch = getattr(sc.Arch, name, None)
        if arch is not None and not program.exist_arch(arch):
            program.add_arch(arch)
    flags_arg = 1 if platform.machine().startswith("s390") else 0  # s390 swaps clone's first two arguments
    for flag in _NAMESPACE_FLAGS:
        program.add_rule(deny, "clone", sc.Arg(flags_arg, sc.MASKED_EQ, flag, flag))
    for flag in (*_NAMESPACE_FLAGS, _CLONE_NEWTIME):
        program.add_rule(deny, "unshare", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    for name in DENIED:
        program.add_rule(deny, name)
    program.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    with tempfile.TemporaryFile() as out:
        program.export_bpf(out)
        out.seek(0)
        return out.read()
