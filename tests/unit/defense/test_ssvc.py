"""SSVC priorities: CISA's tree through the ssvc library, and how the inputs come from the facts."""

from __future__ import annotations

import pytest

from bastion.defense import ssvc
from bastion.defense.records import MissionImpact, SsvcDecision, SystemExposure

CRITICAL_NETWORK = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
LOCAL_PARTIAL = "CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N"


@pytest.mark.parametrize(
    ("exploited", "vector", "exposure", "impact", "decision"),
    [
        ("active", CRITICAL_NETWORK, SystemExposure.OPEN, MissionImpact.HIGH, SsvcDecision.ACT),
        ("active", CRITICAL_NETWORK, SystemExposure.OPEN, MissionImpact.LOW, SsvcDecision.ATTEND),
        ("active", CRITICAL_NETWORK, SystemExposure.SMALL, MissionImpact.HIGH, SsvcDecision.ACT),
        ("active", LOCAL_PARTIAL, SystemExposure.OPEN, MissionImpact.MEDIUM, SsvcDecision.TRACK),
        ("poc", CRITICAL_NETWORK, SystemExposure.OPEN, MissionImpact.HIGH, SsvcDecision.ATTEND),
        ("none", CRITICAL_NETWORK, SystemExposure.OPEN, MissionImpact.HIGH, SsvcDecision.ATTEND),
        ("none", LOCAL_PARTIAL, SystemExposure.OPEN, MissionImpact.LOW, SsvcDecision.TRACK),
        ("none", None, SystemExposure.CONTROLLED, MissionImpact.MEDIUM, SsvcDecision.TRACK),
    ],
)
def test_decisions_follow_cisas_tree(
    exploited: str, vector: str | None, exposure: SystemExposure, impact: MissionImpact, decision: SsvcDecision
) -> None:
    assert (
        ssvc.assess(exploited=exploited, vector=vector, exposure=exposure, mission_impact=impact).decision is decision
    )


def test_every_combination_has_a_decision() -> None:
    seen = {
        ssvc.assess(exploited=e, vector=v, exposure=x, mission_impact=m).decision
        for e in ("none", "poc", "active")
        for v in (CRITICAL_NETWORK, LOCAL_PARTIAL, None)
        for x in SystemExposure
        for m in MissionImpact
    }
    assert seen == set(SsvcDecision)


def test_inputs_from_the_facts() -> None:
    assert ssvc.exploitation(in_kev=True, references=()) == "active"
    assert ssvc.exploitation(in_kev=False, references=[{"type": "EVIDENCE", "url": "https://x.example/poc"}]) == "poc"
    assert ssvc.exploitation(in_kev=False, references=[{"type": "WEB", "url": "https://www.exploit-db.com/1"}]) == "poc"
    assert ssvc.exploitation(in_kev=False, references=[{"type": "FIX", "url": "https://github.com/a/b"}]) == "none"
    assert ssvc.automatable(CRITICAL_NETWORK, SystemExposure.OPEN)
    assert not ssvc.automatable(CRITICAL_NETWORK, SystemExposure.SMALL)  # not reachable to automate
    assert not ssvc.automatable(LOCAL_PARTIAL, SystemExposure.OPEN)
    assert ssvc.automatable("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", SystemExposure.OPEN)
    assert ssvc.technical_impact(CRITICAL_NETWORK) == "total" and ssvc.technical_impact(LOCAL_PARTIAL) == "partial"
