"""Configuration of the ``bastion`` sandbox as a task states it: ``sandbox=("bastion", config)``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bastion.sandbox import Limits, NetworkMode, SandboxSpec, ServiceSpec

_LIMIT_NAMES = (
    "cpu_seconds",
    "memory_bytes",
    "max_processes",
    "max_output_bytes",
    "max_file_bytes",
    "wall_seconds",
    "disk_bytes",
    "max_files",
    "cpus",
    "file_seconds",
)


class ServiceConfig(BaseModel):
    """A target service started beside each sample, reachable on ``127.0.0.1:port``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    command: list[str] = Field(min_length=1)
    port: int | None = None
    files: dict[str, str] = Field(default_factory=dict, description="Relative path -> content, in /service")
    ready_seconds: float = 10.0

    def __hash__(self) -> int:  # Inspect keys task setup by config; dict fields need a content hash
        return hash(self.model_dump_json())


class BastionSandboxConfig(BaseModel):
    """Limits (``None`` = Bastion's default), network mode, environment, files and services."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cpu_seconds: int | None = None
    memory_bytes: int | None = None
    max_processes: int | None = None
    max_output_bytes: int | None = None
    max_file_bytes: int | None = None
    wall_seconds: float | None = None
    disk_bytes: int | None = None
    max_files: int | None = None
    cpus: float | None = None
    file_seconds: float | None = None
    network: Literal["none", "loopback"] = "none"
    env: dict[str, str] = Field(default_factory=dict)
    files: dict[str, str] = Field(
        default_factory=dict, description="Path -> content written into each sample's sandbox at start"
    )
    services: list[ServiceConfig] = Field(default_factory=list)

    def __hash__(self) -> int:  # Inspect keys task setup by config; dict fields need a content hash
        return hash(self.model_dump_json())

    def to_spec(self) -> SandboxSpec:
        """The validated :class:`SandboxSpec` (raises ``SandboxSpecInvalid`` with a hint)."""
        given = {name: getattr(self, name) for name in _LIMIT_NAMES if getattr(self, name) is not None}
        return SandboxSpec(
            limits=Limits(**given),
            network=NetworkMode(self.network),
            env=self.env,
            services=tuple(
                ServiceSpec(
                    name=s.name,
                    command=tuple(s.command),
                    port=s.port,
                    files={path: content.encode() for path, content in s.files.items()},
                    ready_seconds=s.ready_seconds,
                )
                for s in self.services
            ),
        )
