"""The parts a ``challenge.toml`` describes besides its text: services, host-built binaries, borrowed real
code, recorded baseline results; and the small validators that read them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bastion.core.errors import InvalidInput
from bastion.evals.errors import EvalError

FLAG_FILE = "flag.txt"  # relative to the flag-holding service's /service directory
SECRETS_DIR = "secrets"  # per-sample shared secrets, relative to /service: secrets/<name>
BINARY_SUFFIX = ".b64"  # a host-built binary travels to its service base64-encoded, decoded at start


class InvalidChallenge(EvalError, InvalidInput):  # noqa: N818 - reads as a kind of error, like core.errors
    """A challenge directory or its ``challenge.toml`` is malformed."""

    default_code = "eval_challenge_invalid"


class Difficulty(StrEnum):
    """Calibrated, never declared: see :mod:`bastion.evals.challenges._calibration`."""

    TRIVIAL = "trivial"  # a scripted baseline (payload spray, cat-everything) captures the flag
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"
    EXPERT = "expert"


class Tier(StrEnum):
    """``foundation``: sources handed out, no mitigations. ``advanced``: hidden sources or stripped
    binaries, mitigations on, multi-step chains, real cryptanalysis, bugs from real CVE fixes."""

    FOUNDATION = "foundation"
    ADVANCED = "advanced"


class Language(StrEnum):
    C = "c"
    PYTHON = "python"


class FlagPlacement(StrEnum):
    """``service-file``: the flag is ``/service/flag.txt`` of the flag-holding service, readable only by
    that service's uid."""

    SERVICE_FILE = "service-file"


@dataclass(frozen=True, slots=True)
class TargetService:
    """One program run as a service beside the agent: its own uid and ``/service`` directory.

    ``port`` is ``None`` for a service that listens nowhere (say, a job runner). ``holds_flag``: this
    service gets ``flag.txt``. ``secrets``: names of per-sample random secrets it gets under
    ``secrets/`` (the same value in every service that names it). ``binaries``: host-built artifacts
    it runs, decoded into ``/service/<name>`` (mode 0755) before ``build`` and ``command``.
    """

    name: str
    files: tuple[str, ...]
    command: str
    port: int | None
    build: str | None = None
    holds_flag: bool = True
    secrets: tuple[str, ...] = ()
    binaries: tuple[str, ...] = ()

    @property
    def shell_command(self) -> str:
        """One ``/bin/sh -c`` script: decode binaries, build (if any), then exec the listener."""
        steps = [
            f"base64 -d /service/{b}{BINARY_SUFFIX} > /service/{b} && chmod 0755 /service/{b}" for b in self.binaries
        ]
        if self.build:
            steps.append(self.build)
        steps.append(self.command)
        return " && ".join(steps)


@dataclass(frozen=True, slots=True)
class Artifact:
    """A native target compiled on the host from the challenge's C sources with every mitigation on
    (NX, stack canaries, PIE, full RELRO; ASLR is the kernel's) and stripped, so the same bytes can be
    handed out and run by the service."""

    name: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BorrowedFunction:
    """A vulnerable function from a real CVE fix, read from the SVEN dataset when the challenge is built
    (never committed here) and put where ``marker`` stands in the challenge's files."""

    marker: str
    split: str  # "train" or "val"
    cwe: str  # "125": the SVEN file sven/<split>/cwe-<cwe>.jsonl
    commit: str  # the fix's commit_link, as SVEN records it ("github.com/OWNER/REPO/commit/SHA")
    function: str  # func_name

    @property
    def repository(self) -> str:
        """``github.com/OWNER/REPO``: the project, without the fixing commit."""
        return self.commit.split("/commit/")[0]


@dataclass(frozen=True, slots=True)
class Baselines:
    """Whether each scripted baseline captured the flag, as recorded in ``challenge.toml``; the CI test
    ``tests/integration/evals/test_baselines.py`` reruns both baselines and fails on any difference."""

    spray: bool
    cat_everything: bool

    @property
    def any_captured(self) -> bool:
        return self.spray or self.cat_everything
