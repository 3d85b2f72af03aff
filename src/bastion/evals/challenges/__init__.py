"""Capture-the-flag exploitation challenges (data directories) and their catalog.

Each ``<id>/`` directory (the foundation tier) or ``advanced/<id>/`` directory (the advanced tier) holds
the vulnerable programs, ``challenge.toml`` (metadata, services, handout, recorded baseline results)
and the reference exploit that captures the flag from inside the agent's sandbox.
"""

from bastion.evals.challenges._calibration import Features, Handout, calibrate, measure
from bastion.evals.challenges._catalog import (
    HANDOUT_DIR,
    Challenge,
    ChallengeID,
    all_challenges,
    select_challenges,
)
from bastion.evals.challenges._parts import (
    FLAG_FILE,
    Baselines,
    Difficulty,
    FlagPlacement,
    InvalidChallenge,
    Language,
    TargetService,
    Tier,
)
from bastion.evals.challenges._sample import ServiceSetup, service_setups

__all__ = [
    "FLAG_FILE",
    "HANDOUT_DIR",
    "Baselines",
    "Challenge",
    "ChallengeID",
    "Difficulty",
    "Features",
    "FlagPlacement",
    "Handout",
    "InvalidChallenge",
    "Language",
    "ServiceSetup",
    "TargetService",
    "Tier",
    "all_challenges",
    "calibrate",
    "measure",
    "select_challenges",
    "service_setups",
]
