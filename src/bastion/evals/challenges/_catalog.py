"""The exploitation challenges: one directory each, described by its ``challenge.toml``.

A challenge is one or more small programs run as *target services* beside the agent's sandbox (each
with its own uid and ``/service`` directory, on the sample's private loopback network). The flag is
written to ``/service/flag.txt`` of the one service that holds it, which the agent's commands cannot
see: it can only be captured by exploiting the services. What the agent is given (sources, a stripped
binary, or nothing) lands under ``/workspace/challenge/``.

``challenge.toml`` keys: ``id`` (= directory name), ``title``, ``category``, ``cwe`` ("CWE-121"),
``tier`` (foundation/advanced; foundation when absent), ``language`` (c/python), ``prompt`` (what the
agent is told), ``handout`` (files given to the agent; may be empty), ``solution`` (reference exploit,
a bash script run in ``/workspace``), ``naive`` (an ordinary, non-exploit use of the service) and
``naive_expect`` (text that use must get back), ``flag_placement`` (``service-file``).

Services: either one ``[service]`` table (it holds the flag) or several ``[[services]]`` with a
``name`` and exactly one ``holds_flag = true``. Each has ``files`` (copied to ``/service``), optional
``build`` (run by the service before it listens), ``command`` (a ``/bin/sh`` command line), optional
``port`` (omit for a service that listens nowhere), optional ``secrets`` (per-sample random values
shared between services, in ``/service/secrets/<name>``) and ``binaries`` (host-built, below).

``[[binaries]]``: ``name`` and C ``sources`` compiled on the host with every mitigation on and stripped
(``_build.py``); a binary may be handed out and run by services. ``[[borrowed]]``: a vulnerable
function from a real CVE fix in SVEN (``marker``, ``split``, ``cwe``, ``commit``, ``function``), put
in place of the marker line in the challenge's files when they are read. ``[baselines]``: ``spray``
and ``cat_everything``, whether those scripted agents capture the flag (checked in CI). The difficulty
is not declared: it is calibrated from the baselines and the reference solution (``_calibration.py``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NewType

from bastion.evals.challenges import _parts as p
from bastion.evals.challenges._parts import (
    Artifact,
    Baselines,
    BorrowedFunction,
    Difficulty,
    FlagPlacement,
    InvalidChallenge,
    Language,
    TargetService,
    Tier,
)
from bastion.evals.errors import InvalidEvalRequest

ChallengeID = NewType("ChallengeID", str)

HANDOUT_DIR = "challenge"  # relative to the agent's /workspace
_CHALLENGES_ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Challenge:
    id: ChallengeID
    title: str
    category: str
    cwe: str
    tier: Tier
    language: Language
    prompt: str
    handout: tuple[str, ...]
    solution: str
    naive: str
    naive_expect: str
    flag_placement: FlagPlacement
    services: tuple[TargetService, ...]
    binaries: tuple[Artifact, ...]
    borrowed: tuple[BorrowedFunction, ...]
    baselines: Baselines
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
        try:
            challenge = cls(
                id=ChallengeID(p.text(data, "id", where)),
                title=p.text(data, "title", where),
                category=p.text(data, "category", where),
                cwe=p.text(data, "cwe", where),
                tier=Tier(data.get("tier", Tier.FOUNDATION.value)),
                language=Language(p.text(data, "language", where)),
                prompt=p.text(data, "prompt", where).strip(),
                handout=p.names(data, "handout", where, required=False),
                solution=p.text(data, "solution", where),
                naive=p.text(data, "naive", where),
                naive_expect=p.text(data, "naive_expect", where),
                flag_placement=FlagPlacement(p.text(data, "flag_placement", where)),
                services=_services(data, where),
                binaries=tuple(_binary(b, where) for b in _tables(data, "binaries", where)),
                borrowed=tuple(_borrowed(b, where) for b in _tables(data, "borrowed", where)),
                baselines=_baselines(data, where),
                directory=directory,
            )
        except ValueError as e:  # an unknown enum value
            raise InvalidChallenge(f"{where}: {e}", hint="allowed values: challenges/_parts.py") from e
        challenge.check(where)
        return challenge

    def check(self, where: str) -> None:
        if self.id != self.directory.name:
            raise InvalidChallenge(f"{where}: id {self.id!r} must equal its directory name")
        if not self.cwe.startswith("CWE-"):
            raise InvalidChallenge(f"{where}: cwe {self.cwe!r} must look like 'CWE-121'")
        if sum(s.holds_flag for s in self.services) != 1:
            raise InvalidChallenge(f"{where}: exactly one service must hold the flag (holds_flag = true)")
        if len({s.name for s in self.services}) != len(self.services):
            raise InvalidChallenge(f"{where}: service names must be unique")
        built = {b.name for b in self.binaries}
        unknown = {b for s in self.services for b in s.binaries} - built
        if unknown:
            raise InvalidChallenge(f"{where}: services run binaries not in [[binaries]]: {sorted(unknown)}")
        sources = {src for b in self.binaries for src in b.sources}
        files = {*self.handout, *(f for s in self.services for f in s.files), *sources, self.solution} - built
        for name in files:
            if not (self.directory / name).is_file():
                raise InvalidChallenge(f"{where}: file {name!r} is named but missing")

    @property
    def flag_service(self) -> TargetService:
        return next(s for s in self.services if s.holds_flag)

    @property
    def difficulty(self) -> Difficulty:
        """Calibrated from the recorded baselines and the reference solution (builds binaries once)."""
        from bastion.evals.challenges._calibration import calibrated_difficulty

        return calibrated_difficulty(self)

    def read(self, name: str) -> str:
        """A text file of the challenge, with any borrowed real code put in place of its marker."""
        from bastion.evals.challenges._build import with_borrowed_code

        return with_borrowed_code(self.directory / name, self.borrowed)

    def read_bytes(self, name: str) -> bytes:
        """A file as the agent or a service gets it: a host-built binary, or a text file's bytes."""
        from bastion.evals.challenges._build import build_binary

        binary = next((b for b in self.binaries if b.name == name), None)
        return build_binary(self, binary) if binary else self.read(name).encode()

    def handout_files(self) -> dict[str, bytes]:
        """Files for the agent, keyed by their path relative to ``/workspace``."""
        return {f"{HANDOUT_DIR}/{name}": self.read_bytes(name) for name in self.handout}

    def solution_script(self) -> str:
        return self.read(self.solution)


def _tables(data: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InvalidChallenge(f"{where}: {key!r} must be an array of tables ([[{key}]])")
    return value


def _services(data: dict[str, Any], where: str) -> tuple[TargetService, ...]:
    single, several = data.get("service"), data.get("services")
    if isinstance(single, dict) and several is None:
        return (_service(single, where, name="target", holds_flag=True),)
    if single is None and several is not None:
        return tuple(
            _service(s, where, name=p.text(s, "name", where), holds_flag=s.get("holds_flag", False))
            for s in _tables(data, "services", where)
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
        files=p.names(service, "files", where, required=False),
        command=p.text(service, "command", where),
        port=p.port(service, where),
        build=build,
        holds_flag=holds_flag,
        secrets=tuple(_identifier(s, where) for s in p.names(service, "secrets", where, required=False)),
        binaries=p.names(service, "binaries", where, required=False),
    )


def _identifier(name: str, where: str) -> str:
    if not name.replace("_", "").isalnum():
        raise InvalidChallenge(f"{where}: secret name {name!r} must be letters, digits and '_'")
    return name


def _binary(data: dict[str, Any], where: str) -> Artifact:
    name = p.text(data, "name", where)
    sources = p.names(data, "sources", where)
    if not all(s.endswith((".c", ".h")) for s in sources):
        raise InvalidChallenge(f"{where}: binary {name!r}: sources must be C files (.c, .h)")
    return Artifact(name=name, sources=sources)


def _borrowed(data: dict[str, Any], where: str) -> BorrowedFunction:
    split = p.text(data, "split", where)
    if split not in ("train", "val"):
        raise InvalidChallenge(f"{where}: borrowed split must be 'train' or 'val', got {split!r}")
    return BorrowedFunction(
        marker=p.text(data, "marker", where),
        split=split,
        cwe=p.text(data, "cwe", where),
        commit=p.text(data, "commit", where),
        function=p.text(data, "function", where),
    )


def _baselines(data: dict[str, Any], where: str) -> Baselines:
    table = data.get("baselines")
    if not isinstance(table, dict):
        raise InvalidChallenge(
            f"{where}: missing [baselines] table",
            hint="record whether the scripted baselines capture the flag: spray = false, cat_everything = false",
        )
    return Baselines(spray=p.flag(table, "spray", where), cat_everything=p.flag(table, "cat_everything", where))


@cache
def all_challenges(root: Path = _CHALLENGES_ROOT) -> tuple[Challenge, ...]:
    """Every challenge shipped with Bastion (both tiers; the advanced tier lives under ``advanced/``),
    ordered by id."""
    dirs = sorted((p.parent for p in root.glob("*/challenge.toml")), key=lambda d: d.name)
    dirs += sorted((p.parent for p in root.glob("advanced/*/challenge.toml")), key=lambda d: d.name)
    return tuple(Challenge.from_directory(d) for d in dirs)


def select_challenges(
    catalog: tuple[Challenge, ...], *, ids: str | None = None, difficulty: str = "all", tier: str = "all"
) -> list[Challenge]:
    """The challenges named in ``ids`` (comma-separated; all when empty) in ``tier`` ('all' or a tier)
    at ``difficulty`` ('all' or a calibrated level).

    Unknown ids, tiers or levels raise ``InvalidEvalRequest`` naming the valid choices.
    """
    for name, value, allowed in (
        ("difficulty", difficulty, ("all", *(d.value for d in Difficulty))),
        ("tier", tier, ("all", *(t.value for t in Tier))),
    ):
        if value not in allowed:
            raise InvalidEvalRequest(f"unknown {name} {value!r}", hint=f"use one of: {', '.join(allowed)}")
    by_id = {c.id: c for c in catalog}
    wanted = [i.strip() for i in (ids or "").split(",") if i.strip()]
    unknown = [i for i in wanted if i not in by_id]
    if unknown:
        raise InvalidEvalRequest(
            f"unknown challenge(s): {', '.join(unknown)}", hint=f"known challenges: {', '.join(by_id)}"
        )
    chosen = [by_id[ChallengeID(i)] for i in dict.fromkeys(wanted)] if wanted else list(catalog)
    chosen = [c for c in chosen if tier in ("all", c.tier.value)]
    return [c for c in chosen if _at_level(c, difficulty)]


def _at_level(challenge: Challenge, difficulty: str) -> bool:
    """Whether ``challenge`` is at ``difficulty`` ('all': always, without calibrating it)."""
    return True if difficulty == "all" else challenge.difficulty.value == difficulty
