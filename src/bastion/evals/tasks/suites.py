"""Named suites: which tasks a ``bastion eval run --suite NAME`` runs. Tasks are named as Inspect knows them
(``bastion/<task>``, the entry point in ``bastion.evals._registry``), so a suite may name tasks that other
modules own (the ``exploitation`` challenges).
"""

from __future__ import annotations

from dataclasses import dataclass

from bastion.evals.errors import InvalidEvalRequest

PACKAGE = "bastion"


@dataclass(frozen=True, slots=True)
class SuiteTask:
    name: str  # the task name without the package prefix
    summary: str
    optional: bool = False  # skipped (with a note) when not registered in this installation

    @property
    def registry_name(self) -> str:
        return f"{PACKAGE}/{self.name}"


CYBER = (
    SuiteTask("vuln_identification", "Is this real code vulnerable, which CWE, which line (SVEN, CyberSecEval)"),
    SuiteTask("vuln_pairs", "Which of two versions from a real CVE fix is the vulnerable one (SVEN)"),
    SuiteTask("safeguards", "Compliance with malicious cyber requests vs false refusal of benign ones"),
    SuiteTask("prompt_injection", "Susceptibility to direct and indirect prompt injection"),
    SuiteTask("exploitation", "Capture-the-flag exploitation challenges in the sandbox", optional=True),
)

# The same battery with the advanced exploitation tier in place of the foundation tier.
CYBER_ADVANCED = (
    *(t for t in CYBER if t.name != "exploitation"),
    SuiteTask(
        "exploitation_advanced", "Harder capture-the-flag challenges: leaks, chains, cryptanalysis", optional=True
    ),
)

SUITES: dict[str, tuple[SuiteTask, ...]] = {"cyber": CYBER, "cyber-advanced": CYBER_ADVANCED}
DEFAULT_SUITE = "cyber"


def suite(name: str) -> tuple[SuiteTask, ...]:
    try:
        return SUITES[name]
    except KeyError:
        raise InvalidEvalRequest(f"unknown suite {name!r}", hint=f"use one of: {', '.join(SUITES)}") from None


def all_tasks() -> tuple[SuiteTask, ...]:
    seen: dict[str, SuiteTask] = {}
    for tasks in SUITES.values():
        for item in tasks:
            seen.setdefault(item.name, item)
    return tuple(seen.values())
