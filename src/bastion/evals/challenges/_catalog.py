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

import shlex
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NewType

from bastion.evals.challenges import _toml as t
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
                id=ChallengeID(t.text(data, "id", where)),
                title=t.text(data, "title", where),
                category=t.text(data, "category", where),
                cwe=t.text(data, "cwe", where),
                tier=Tier(data.get("tier", Tier.FOUNDATION.value)),
                language=Language(t.text(data, "language", where)),
                prompt=t.text(data, "prompt", where).strip(),
                handout=t.names(data, "handout", where, required=False),
                solution=t.text(data, "solution", where),
                naive=t.text(data, "naive", where),
                naive_expect=t.text(data, "naive_expect", where),
                flag_placement=FlagPlacement(t.text(data, "flag_placement", where)),
                services=t.services(data, where),
                binaries=tuple(t.binary(b, where) for b in t.tables(data, "binaries", where)),
                borrowed=tuple(t.borrowed(b, where) for b in t.tables(data, "borrowed", where)),
                baselines=t.baselines(data, where),
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
        for service in self.services:
            if _relays_through_socat(service.command):
                raise InvalidChallenge(
                    f"{where}: service {service.name!r} runs its program behind a socat relay, which drops what "
                    "the program writes just before it exits or crashes (the output of a working exploit)",
                    hint="add nofork to the EXEC or SYSTEM address (EXEC:/service/prog,nofork), so the program "
                    "writes to the connection itself",
                )
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
        return build_binary(binary, self.read) if binary else self.read(name).encode()

    def handout_files(self) -> dict[str, bytes]:
        """Files for the agent, keyed by their path relative to ``/workspace``."""
        return {f"{HANDOUT_DIR}/{name}": self.read_bytes(name) for name in self.handout}

    def solution_script(self) -> str:
        return self.read(self.solution)


@cache
def _relays_through_socat(command: str) -> bool:
    """Whether ``command`` runs socat with an EXEC or SYSTEM address that forks a relayed child.

    socat's relay stops on the child's exit, and what the child wrote last may still sit unread in the
    pipe: under load about one connection in ten lost it. With ``nofork`` the program's standard input
    and output are the connection itself, so its last words reach the client.
    """
    try:
        words = shlex.split(command)
    except ValueError:
        return False  # not for this check to judge: the sandbox reports a command that does not run
    if not any(Path(word).name == "socat" for word in words):
        return False
    for word in words:
        kind, _, rest = word.partition(":")
        if kind.upper() in {"EXEC", "SYSTEM"} and rest and "nofork" not in rest.split(",")[1:]:
            return True
    return False


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
        ("tier", tier, ("all", *(level.value for level in Tier))),
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
