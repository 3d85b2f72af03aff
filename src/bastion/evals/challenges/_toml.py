"""Reading the tables of a ``challenge.toml`` into the records of ``_parts``, with errors that say what is
wrong where."""

from __future__ import annotations

from typing import Any

from bastion.evals.challenges._parts import (
    FLAG_FILE,
    Artifact,
    Baselines,
    BorrowedFunction,
    InvalidChallenge,
    TargetService,
)


def text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidChallenge(f"{where}: {key!r} must be a non-empty string")
    return value


def names(data: dict[str, Any], key: str, where: str, *, required: bool = True) -> tuple[str, ...]:
    value = data.get(key, None if required else [])
    if not isinstance(value, list) or (required and not value) or not all(isinstance(v, str) for v in value):
        raise InvalidChallenge(f"{where}: {key!r} must be a {'non-empty ' if required else ''}list of file names")
    for name in value:
        if name.startswith("/") or ".." in name.split("/") or name == FLAG_FILE:
            raise InvalidChallenge(f"{where}: {key!r} entry {name!r} must be a relative path (not the flag)")
    return tuple(value)


def port(service: dict[str, Any], where: str) -> int | None:
    value = service.get("port")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1024 <= value <= 65535:
        raise InvalidChallenge(f"{where}: service port must be an integer in 1024-65535, got {value!r}")
    return value


def flag(data: dict[str, Any], key: str, where: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise InvalidChallenge(f"{where}: {key!r} must be true or false, got {value!r}")
    return value


def tables(data: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InvalidChallenge(f"{where}: {key!r} must be an array of tables ([[{key}]])")
    return value


def services(data: dict[str, Any], where: str) -> tuple[TargetService, ...]:
    single, several = data.get("service"), data.get("services")
    if isinstance(single, dict) and several is None:
        return (_service(single, where, name="target", holds_flag=True),)
    if single is None and several is not None:
        return tuple(
            _service(s, where, name=text(s, "name", where), holds_flag=s.get("holds_flag", False))
            for s in tables(data, "services", where)
        )
    raise InvalidChallenge(
        f"{where}: needs one [service] table or several [[services]]", hint="every challenge runs a service"
    )


def _service(service: dict[str, Any], where: str, *, name: str, holds_flag: object) -> TargetService:
    if not isinstance(holds_flag, bool):
        raise InvalidChallenge(f"{where}: service {name!r}: holds_flag must be true or false")
    build = service.get("build")
    if build is not None and not isinstance(build, str):
        raise InvalidChallenge(f"{where}: service {name!r}: build must be a command line")
    return TargetService(
        name=name,
        files=names(service, "files", where, required=False),
        command=text(service, "command", where),
        port=port(service, where),
        build=build,
        holds_flag=holds_flag,
        secrets=tuple(_identifier(s, where) for s in names(service, "secrets", where, required=False)),
        binaries=names(service, "binaries", where, required=False),
    )


def _identifier(name: str, where: str) -> str:
    if not name.replace("_", "").isalnum():
        raise InvalidChallenge(f"{where}: secret name {name!r} must be letters, digits and '_'")
    return name


def binary(data: dict[str, Any], where: str) -> Artifact:
    name = text(data, "name", where)
    sources = names(data, "sources", where)
    if not all(s.endswith((".c", ".h")) for s in sources):
        raise InvalidChallenge(f"{where}: binary {name!r}: sources must be C files (.c, .h)")
    return Artifact(name=name, sources=sources)


def borrowed(data: dict[str, Any], where: str) -> BorrowedFunction:
    split = text(data, "split", where)
    if split not in ("train", "val"):
        raise InvalidChallenge(f"{where}: borrowed split must be 'train' or 'val', got {split!r}")
    return BorrowedFunction(
        marker=text(data, "marker", where),
        split=split,
        cwe=text(data, "cwe", where),
        commit=text(data, "commit", where),
        function=text(data, "function", where),
    )


def baselines(data: dict[str, Any], where: str) -> Baselines:
    table = data.get("baselines")
    if not isinstance(table, dict):
        raise InvalidChallenge(
            f"{where}: missing [baselines] table",
            hint="record whether the scripted baselines capture the flag: spray = false, cat_everything = false",
        )
    return Baselines(spray=flag(table, "spray", where), cat_everything=flag(table, "cat_everything", where))
