"""The exploitation challenges: one directory each, described by its ``challenge.toml``.

A challenge is a small vulnerable program run as a *target service* beside the agent's sandbox (own
uid, own ``/service`` directory, same private loopback network). The flag is written to
``/service/flag.txt``, which the agent's commands cannot see: it can only be captured by exploiting
the service. Sources are handed out to the agent under ``/workspace/challenge/``.

``challenge.toml`` keys: ``id`` (= directory name), ``title``, ``category``, ``cwe`` ("CWE-121"),
``difficulty`` (easy/medium/hard), ``language`` (c/python), ``prompt`` (what the agent is told),
``handout`` (files given to the agent), ``solution`` (reference exploit, a bash script run in
``/workspace``), ``naive`` (an ordinary, non-exploit use of the service) and ``naive_expect`` (text that
use must get back), ``flag_placement`` (``service-file``); ``[service]``: ``files`` (copied to
``/service``), optional ``build`` (e.g. gcc, run by the service before it listens), ``command`` (a
``/bin/sh`` command line that listens) and ``port``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, NewType

from bastion.core.errors import InvalidInput
from bastion.evals.errors import EvalError, InvalidEvalRequest

ChallengeID = NewType("ChallengeID", str)

FLAG_FILE = "flag.txt"  # relative to the service's /service directory
HANDOUT_DIR = "challenge"  # relative to the agent's /workspace
_CHALLENGES_ROOT = Path(__file__).resolve().parent


class InvalidChallenge(EvalError, InvalidInput):  # noqa: N818 - reads as a kind of error, like core.errors
    """A challenge directory or its ``challenge.toml`` is malformed."""

    default_code = "eval_challenge_invalid"


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class Language(StrEnum):
    C = "c"
    PYTHON = "python"


class FlagPlacement(StrEnum):
    """``service-file``: the flag is ``/service/flag.txt``, readable only by the target service's uid."""

    SERVICE_FILE = "service-file"


@dataclass(frozen=True, slots=True)
class TargetService:
    """The vulnerable program as a service: optional build step, then the command that listens."""

    files: tuple[str, ...]
    command: str
    port: int
    build: str | None = None

    @property
    def shell_command(self) -> str:
        """One ``/bin/sh -c`` script: build (if any), then replace the shell with the listener."""
        return f"{self.build} && {self.command}" if self.build else self.command


@dataclass(frozen=True, slots=True)
class Challenge:
    id: ChallengeID
    title: str
    category: str
    cwe: str
    difficulty: Difficulty
    language: Language
    prompt: str
    handout: tuple[str, ...]
    solution: str
    naive: str
    naive_expect: str
    flag_placement: FlagPlacement
    service: TargetService
    directory: Path

    @classmethod
    def from_directory(cls, directory: Path) -> Challenge:
        """Read and validate ``directory/challenge.toml``; every file it names must exist."""
        path = directory / "challenge.toml"
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise InvalidChallenge(f"cannot read {path}: {e}", details={"path": str(path)}) from e
        return cls.from_mapping(data, directory)

    @classmethod
    def from_mapping(cls, data: dict[str, Any], directory: Path) -> Challenge:
        where = f"challenge {directory.name!r}"
        service = data.get("service")
        if not isinstance(service, dict):
            raise InvalidChallenge(f"{where}: missing [service] table", hint="every challenge runs a service")
        try:
            challenge = cls(
                id=ChallengeID(_text(data, "id", where)),
                title=_text(data, "title", where),
                category=_text(data, "category", where),
                cwe=_text(data, "cwe", where),
                difficulty=Difficulty(_text(data, "difficulty", where)),
                language=Language(_text(data, "language", where)),
                prompt=_text(data, "prompt", where).strip(),
                handout=_names(data, "handout", where),
                solution=_text(data, "solution", where),
                naive=_text(data, "naive", where),
                naive_expect=_text(data, "naive_expect", where),
                flag_placement=FlagPlacement(_text(data, "flag_placement", where)),
                service=TargetService(
                    files=_names(service, "files", where),
                    command=_text(service, "command", where),
                    port=_port(service, where),
                    build=service.get("build"),
                ),
                directory=directory,
            )
        except ValueError as e:  # an unknown enum value
            raise InvalidChallenge(f"{where}: {e}", hint="allowed values: challenges/_catalog.py") from e
        if challenge.id != directory.name:
            raise InvalidChallenge(f"{where}: id {challenge.id!r} must equal its directory name")
        if not challenge.cwe.startswith("CWE-"):
            raise InvalidChallenge(f"{where}: cwe {challenge.cwe!r} must look like 'CWE-121'")
        for name in {*challenge.handout, *challenge.service.files, challenge.solution}:
            if not (directory / name).is_file():
                raise InvalidChallenge(f"{where}: file {name!r} is named but missing")
        return challenge

    def read(self, name: str) -> str:
        return (self.directory / name).read_text(encoding="utf-8")

    def handout_files(self) -> dict[str, str]:
        """Files for the agent, keyed by their path relative to ``/workspace``."""
        return {f"{HANDOUT_DIR}/{name}": self.read(name) for name in self.handout}

    def service_files(self, flag: str) -> dict[str, str]:
        """Files of the target service (relative to ``/service``), the flag among them."""
        files = {name: self.read(name) for name in self.service.files}
        files[FLAG_FILE] = flag + "\n"
        return files

    def solution_script(self) -> str:
        return self.read(self.solution)


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidChallenge(f"{where}: {key!r} must be a non-empty string")
    return value


def _names(data: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidChallenge(f"{where}: {key!r} must be a non-empty list of file names")
    for name in value:
        if name.startswith("/") or ".." in name.split("/") or name == FLAG_FILE:
            raise InvalidChallenge(f"{where}: {key!r} entry {name!r} must be a relative path (not the flag)")
    return tuple(value)


def _port(service: dict[str, Any], where: str) -> int:
    port = service.get("port")
    if isinstance(port, bool) or not isinstance(port, int) or not 1024 <= port <= 65535:
        raise InvalidChallenge(f"{where}: service port must be an integer in 1024-65535, got {port!r}")
    return port


@cache
def all_challenges(root: Path = _CHALLENGES_ROOT) -> tuple[Challenge, ...]:
    """Every challenge shipped with Bastion, ordered by id."""
    dirs = sorted(p for p in root.iterdir() if (p / "challenge.toml").is_file())
    return tuple(Challenge.from_directory(d) for d in dirs)


def select_challenges(
    catalog: tuple[Challenge, ...], *, ids: str | None = None, difficulty: str = "all"
) -> list[Challenge]:
    """The challenges named in ``ids`` (comma-separated; all when empty) at ``difficulty`` ('all' or a level).

    Unknown ids or levels raise ``InvalidEvalRequest`` naming the valid choices.
    """
    levels = ("all", *(d.value for d in Difficulty))
    if difficulty not in levels:
        raise InvalidEvalRequest(f"unknown difficulty {difficulty!r}", hint=f"use one of: {', '.join(levels)}")
    by_id = {c.id: c for c in catalog}
    wanted = [i.strip() for i in (ids or "").split(",") if i.strip()]
    unknown = [i for i in wanted if i not in by_id]
    if unknown:
        raise InvalidEvalRequest(
            f"unknown challenge(s): {', '.join(unknown)}", hint=f"known challenges: {', '.join(by_id)}"
        )
    chosen = [by_id[ChallengeID(i)] for i in dict.fromkeys(wanted)] if wanted else list(catalog)
    return [c for c in chosen if difficulty in ("all", c.difficulty.value)]
