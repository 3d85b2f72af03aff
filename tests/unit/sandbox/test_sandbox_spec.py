"""Sandbox specifications validate on construction and say how to fix bad input."""

from __future__ import annotations

import pytest

from bastion.core.errors import InvalidInput
from bastion.evals.sandbox import BastionSandboxConfig, BastionSandboxEnvironment, ServiceConfig
from bastion.sandbox import Limits, MiB, NetworkMode, SandboxSpec, SandboxSpecInvalid, ServiceSpec


@pytest.mark.parametrize("field", ["cpu_seconds", "memory_bytes", "max_processes", "max_output_bytes"])
@pytest.mark.parametrize("value", [0, -1, True, 1.5])
def test_limits_reject_non_positive_or_non_integer_values(field: str, value: object) -> None:
    with pytest.raises(SandboxSpecInvalid, match=field) as info:
        Limits(**{field: value})  # type: ignore[arg-type]
    assert isinstance(info.value, InvalidInput)


def test_limits_reject_too_little_memory_with_a_hint() -> None:
    with pytest.raises(SandboxSpecInvalid) as info:
        Limits(memory_bytes=1 * MiB)
    assert info.value.hint == "use at least 16 MiB (16777216)"


def test_services_need_the_loopback_network() -> None:
    service = ServiceSpec(name="web", command=("python3", "-m", "http.server"), port=8000)
    with pytest.raises(SandboxSpecInvalid, match="loopback"):
        SandboxSpec(services=(service,))
    assert SandboxSpec(network=NetworkMode.LOOPBACK, services=(service,)).services == (service,)


def test_service_names_are_unique_and_valid() -> None:
    web = ServiceSpec(name="web", command=("true",))
    with pytest.raises(SandboxSpecInvalid, match="unique"):
        SandboxSpec(network="loopback", services=(web, web))  # type: ignore[arg-type]
    with pytest.raises(SandboxSpecInvalid, match="not valid"):
        ServiceSpec(name="Web Server", command=("true",))


@pytest.mark.parametrize("path", ["/etc/passwd", "../flag", "a/../../b", ""])
def test_service_files_must_stay_inside_the_service_directory(path: str) -> None:
    with pytest.raises(SandboxSpecInvalid, match="relative"):
        ServiceSpec(name="web", command=("true",), files={path: b"x"})


@pytest.mark.parametrize("name", ["1ABC", "A-B", "", "A=B"])
def test_environment_names_are_checked(name: str) -> None:
    with pytest.raises(SandboxSpecInvalid, match="environment variable name"):
        SandboxSpec(env={name: "x"})


def test_network_mode_parses_from_text_and_rejects_unknown_modes() -> None:
    assert SandboxSpec(network="loopback").network is NetworkMode.LOOPBACK  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'host' is not a valid NetworkMode"):
        SandboxSpec(network="host")  # type: ignore[arg-type]


def test_inspect_config_maps_to_a_spec_keeping_defaults_for_unset_limits() -> None:
    config = BastionSandboxConfig(
        cpu_seconds=5,
        network="loopback",
        services=[ServiceConfig(name="web", command=["srv"], port=80, files={"flag": "F"})],
    )
    spec = config.to_spec()
    assert spec.limits == Limits(cpu_seconds=5)
    assert spec.network is NetworkMode.LOOPBACK
    assert spec.services[0].files == {"flag": b"F"}


def test_inspect_config_round_trips_through_the_provider_and_is_hashable() -> None:
    config = BastionSandboxConfig(memory_bytes=64 * MiB, env={"A": "1"}, files={"x.txt": "y"})
    restored = BastionSandboxEnvironment.config_deserialize(config.model_dump())
    assert restored == config
    assert hash(restored) == hash(config)


def test_inspect_config_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError, match="memory_mb"):
        BastionSandboxConfig(memory_mb=5)  # type: ignore[call-arg]


def test_the_tmpfs_gets_at_most_half_the_memory() -> None:
    assert Limits(memory_bytes=64 * MiB, disk_bytes=1024 * MiB).tmpfs_bytes == 32 * MiB
    assert Limits(memory_bytes=2048 * MiB, disk_bytes=100 * MiB).tmpfs_bytes == 100 * MiB


@pytest.mark.parametrize("field", ["cpus", "file_seconds", "wall_seconds"])
@pytest.mark.parametrize("value", [0, -1.5, True])
def test_fractional_limits_must_be_positive_numbers(field: str, value: object) -> None:
    with pytest.raises(SandboxSpecInvalid, match=field):
        Limits(**{field: value})  # type: ignore[arg-type]
