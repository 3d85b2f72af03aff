"""Capture-the-flag exploitation challenges (data directories) and their catalog.

Each ``<id>/`` directory holds the vulnerable program, ``challenge.toml`` (metadata, service, handout)
and ``solve.sh``, the reference exploit that captures the flag from inside the agent's sandbox.
"""

from bastion.evals.challenges._catalog import (
    FLAG_FILE,
    HANDOUT_DIR,
    Challenge,
    ChallengeID,
    Difficulty,
    FlagPlacement,
    InvalidChallenge,
    Language,
    TargetService,
    all_challenges,
    select_challenges,
)

__all__ = [
    "FLAG_FILE",
    "HANDOUT_DIR",
    "Challenge",
    "ChallengeID",
    "Difficulty",
    "FlagPlacement",
    "InvalidChallenge",
    "Language",
    "TargetService",
    "all_challenges",
    "select_challenges",
]
