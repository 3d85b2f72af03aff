"""Priorities: CISA's SSVC decision (Act, Attend, Track*, Track) for one exposure, and the facts it rests on.
Pure: data in, data out.

The tree is CISA's, through the ``ssvc`` library's CISA model (its four decision points: Exploitation,
Automatable, Technical Impact, Mission & Well-being). The inputs:

- Exploitation: ``active`` when the advisory (or an alias) is in KEV; ``poc`` when the advisory points at an
  exploit or a proof of concept (a reference of type EVIDENCE, or a link to a known exploit archive);
  otherwise ``none``.
- Automatable: from the CVSS vector (reachable over the network, low complexity, no privileges, no user
  interaction), and never on a system the agency declared of *small* exposure: CISA's tree has no System
  Exposure point of its own, and an attacker cannot automate the reaching of what is not reachable. Without
  a vector the answer is ``yes`` (SSVC asks for a reasonable assumption instead of "unknown"; we err towards
  urgency).
- Technical Impact: ``total`` when the vector gives high confidentiality and integrity impact (or no vector:
  again towards urgency), else ``partial``.
- Mission & Well-being: as the agency declared it for the system.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ssvc.plugins.cisa import DecisionCisa

from bastion.defense.records import MissionImpact, SsvcAssessment, SsvcDecision, SystemExposure

_OUTCOMES = {
    "act": SsvcDecision.ACT,
    "attend": SsvcDecision.ATTEND,
    "track_star": SsvcDecision.TRACK_STAR,
    "track": SsvcDecision.TRACK,
}
_EXPLOIT_HOSTS = ("exploit-db.com", "packetstormsecurity", "metasploit", "/exploits/", "/poc")


def exploitation(*, in_kev: bool, references: Iterable[Mapping[str, Any]]) -> str:
    if in_kev:
        return "active"
    for reference in references:
        url = str(reference.get("url", "")).lower()
        if reference.get("type") == "EVIDENCE" or any(host in url for host in _EXPLOIT_HOSTS):
            return "poc"
    return "none"


def _metrics(vector: str | None) -> dict[str, str]:
    if not vector:
        return {}
    return dict(part.split(":", 1) for part in vector.split("/") if ":" in part)


def automatable(vector: str | None, exposure: SystemExposure) -> bool:
    if exposure is SystemExposure.SMALL:
        return False
    metrics = _metrics(vector)
    if not metrics:
        return True
    reachable = metrics.get("AV") == "N" and metrics.get("AC") == "L" and metrics.get("PR") == "N"
    return reachable and metrics.get("UI") in ("N", None) and metrics.get("AT", "N") == "N"


def technical_impact(vector: str | None) -> str:
    metrics = _metrics(vector)
    if not metrics:
        return "total"
    confidentiality = metrics.get("C", metrics.get("VC"))
    integrity = metrics.get("I", metrics.get("VI"))
    return "total" if confidentiality == "H" and integrity == "H" else "partial"


def assess(
    *, exploited: str, vector: str | None, exposure: SystemExposure, mission_impact: MissionImpact
) -> SsvcAssessment:
    auto = automatable(vector, exposure)
    impact = technical_impact(vector)
    decision = DecisionCisa(exploited, "yes" if auto else "no", impact, mission_impact.value)
    return SsvcAssessment(
        decision=_OUTCOMES[decision.outcome.action.value],
        exploitation=exploited,
        automatable=auto,
        technical_impact=impact,
        mission_impact=mission_impact,
        system_exposure=exposure,
    )
