"""What a sandbox is allowed to do: limits, network mode, target services. Validated on construction."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from bastion.sandbox._errors import SandboxSpecInvalid

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SERVICE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class NetworkMode(StrEnum):
    """Either way the sandbox has one private network namespace holding only ``lo``: its commands share it,
    and nothing else (not the host, not another sandbox) is in it or reachable from it. ``loopback``
    also runs the sandbox's target services there, so the sample reaches them on 127.0.0.1; ``none``
    has no services."""

    NONE = "none"
    LOOPBACK = "loopback"


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits of one sandbox.

    Per sandbox, through its own cgroup (v2, or v1 controllers; see the README for a host without
    either): ``memory_bytes`` (every page its processes use, files in memory and its tmpfs included,
    no swap), ``max_processes`` (tasks at once) and ``cpus`` (CPU bandwidth, in cores).

    Per sandbox, through its own tmpfs: ``disk_bytes`` and ``max_files`` for ``/workspace``, ``/tmp``,
    ``/var/tmp`` and ``/dev/shm`` together. tmpfs pages are memory and count against ``memory_bytes``,
    so the tmpfs gets at most half of it (:attr:`tmpfs_bytes`): a full disk answers ENOSPC and leaves
    room to run.

    Per process (setrlimit): ``cpu_seconds``, ``address_space_bytes`` (default: ``memory_bytes``) and
    ``max_file_bytes`` (rounded up to KiB and 512-byte blocks); ``max_processes`` also caps the sandbox's uid.
    A larger address space than memory is for programs that reserve far more than they touch (AddressSanitizer
    reserves terabytes): what they touch is still capped by the cgroup's ``memory_bytes``. Without cgroups the
    address space is the only memory limit, so leave it at ``memory_bytes`` there.

    Per command: ``max_output_bytes`` caps each of stdout and stderr; ``wall_seconds`` kills the whole
    process tree of a command that runs longer. ``file_seconds`` bounds each ``read_file`` and
    ``write_file``.
    """

    cpu_seconds: int = 120
    memory_bytes: int = 2 * GiB
    max_processes: int = 256
    max_output_bytes: int = 10 * MiB
    max_file_bytes: int = 1 * GiB
    wall_seconds: float = 600.0
    disk_bytes: int = 1 * GiB
    max_files: int = 100_000
    cpus: float = 1.0
    file_seconds: float = 60.0
    address_space_bytes: int | None = None

    @property
    def address_space(self) -> int:
        """The per-process address-space rlimit."""
        return self.address_space_bytes or self.memory_bytes

    @property
    def tmpfs_bytes(self) -> int:
        """The size of the sandbox's tmpfs: ``disk_bytes``, but at most half of ``memory_bytes``."""
        return min(self.disk_bytes, self.memory_bytes // 2)

    def __post_init__(self) -> None:
        for name in _INTEGER_LIMITS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise SandboxSpecInvalid(
                    f"limit {name} must be a positive integer, got {value!r}",
                    hint="omit the limit to use the default",
                    details={"limit": name},
                )
        if self.address_space_bytes is not None and (
            isinstance(self.address_space_bytes, bool)
            or not isinstance(self.address_space_bytes, int)
            or self.address_space_bytes < self.memory_bytes
        ):
            raise SandboxSpecInvalid(
                f"limit address_space_bytes must be an integer of at least memory_bytes ({self.memory_bytes}), "
                f"got {self.address_space_bytes!r}",
                hint="omit it to use memory_bytes",
                details={"limit": "address_space_bytes"},
            )
        if self.memory_bytes < 16 * MiB:
            raise SandboxSpecInvalid(
                f"memory_bytes={self.memory_bytes} is too small to start even a shell",
                hint="use at least 16 MiB (16777216)",
                details={"limit": "memory_bytes"},
            )
        for name in ("wall_seconds", "cpus", "file_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise SandboxSpecInvalid(
                    f"limit {name} must be a positive number, got {value!r}",
                    hint="omit the limit to use the default",
                    details={"limit": name},
                )


_INTEGER_LIMITS = (
    "cpu_seconds",
    "memory_bytes",
    "max_processes",
    "max_output_bytes",
    "max_file_bytes",
    "disk_bytes",
    "max_files",
)


def _frozen_files(files: Mapping[str, str | bytes]) -> Mapping[str, bytes]:
    out: dict[str, bytes] = {}
    for path, content in files.items():
        if not path or path.startswith("/") or ".." in path.split("/") or "\0" in path:
            raise SandboxSpecInvalid(
                f"file path {path!r} must be relative and stay inside the directory",
                hint="use a path such as 'app/server.py'",
            )
        out[path] = content.encode() if isinstance(content, str) else bytes(content)
    return MappingProxyType(out)


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """A target service (e.g. a vulnerable server) run beside the sample in the same private network.

    It gets its own private directory (``/service``, populated from ``files``) and its own uid, so the
    sample can reach it over ``127.0.0.1:port`` but cannot read its files (say, a flag).
    """

    name: str
    command: tuple[str, ...]
    port: int | None = None
    files: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}))
    ready_seconds: float = 10.0

    def __post_init__(self) -> None:
        if not _SERVICE_NAME.match(self.name):
            raise SandboxSpecInvalid(
                f"service name {self.name!r} is not valid",
                hint="use 1-32 lowercase letters, digits, '-' or '_'",
            )
        if not self.command or not all(isinstance(a, str) and a for a in self.command):
            raise SandboxSpecInvalid(f"service {self.name!r} needs a non-empty command")
        if self.port is not None and not 1 <= self.port <= 65535:
            raise SandboxSpecInvalid(f"service {self.name!r}: port {self.port} is not in 1-65535")
        object.__setattr__(self, "command", tuple(self.command))
        object.__setattr__(self, "files", _frozen_files(self.files))


@dataclass(frozen=True, slots=True)
class SandboxSpec:
    """Everything that defines one sandbox: limits, network, extra environment, services."""

    limits: Limits = field(default_factory=Limits)
    network: NetworkMode = NetworkMode.NONE
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    services: tuple[ServiceSpec, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "network", NetworkMode(self.network))
        object.__setattr__(self, "env", MappingProxyType(dict(validate_env(self.env))))
        object.__setattr__(self, "services", tuple(self.services))
        if self.services and self.network is not NetworkMode.LOOPBACK:
            raise SandboxSpecInvalid(
                "target services need network='loopback' so the sample can reach them",
                hint="set network to 'loopback'",
            )
        names = [s.name for s in self.services]
        if len(set(names)) != len(names):
            raise SandboxSpecInvalid(f"service names must be unique, got {names}")


def validate_env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    """Check environment variable names and values; returns the mapping unchanged."""
    for name, value in (env or {}).items():
        if not isinstance(name, str) or not _ENV_NAME.match(name):
            raise SandboxSpecInvalid(
                f"environment variable name {name!r} is not valid",
                hint="use letters, digits and '_', not starting with a digit",
            )
        if not isinstance(value, str) or "\0" in value:
            raise SandboxSpecInvalid(f"environment variable {name} must be a string without NUL bytes")
    return env or {}
