"""The difficulty calibration rule (pure): measured features in, a level out."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.evals.challenges import Baselines, Difficulty, Features, Handout, calibrate
from bastion.evals.challenges._calibration import solution_lines, solution_stages

NONE_CAPTURED = Baselines(spray=False, cat_everything=False)
SIMPLE = Features(NONE_CAPTURED, Handout.SOURCE, hardened_target=False, services=1, stages=1, solution_lines=5)
ORDER = list(Difficulty)

features = st.builds(
    Features,
    baselines=st.builds(Baselines, spray=st.booleans(), cat_everything=st.booleans()),
    handout=st.sampled_from(Handout),
    hardened_target=st.booleans(),
    services=st.integers(1, 5),
    stages=st.integers(1, 8),
    solution_lines=st.integers(1, 300),
)


def test_a_one_step_exploit_of_handed_out_source_is_easy() -> None:
    assert calibrate(SIMPLE) is Difficulty.EASY


@pytest.mark.parametrize(
    ("change", "level"),
    [
        ({"stages": 2}, Difficulty.MEDIUM),
        ({"handout": Handout.BINARY, "hardened_target": True}, Difficulty.MEDIUM),
        ({"stages": 3, "solution_lines": 41}, Difficulty.HARD),
        ({"stages": 2, "handout": Handout.NONE, "solution_lines": 41}, Difficulty.HARD),
        ({"stages": 4, "handout": Handout.BINARY, "hardened_target": True}, Difficulty.EXPERT),
        ({"stages": 4, "handout": Handout.NONE, "services": 3}, Difficulty.EXPERT),
    ],
)
def test_levels_follow_the_points(change: dict[str, object], level: Difficulty) -> None:
    assert calibrate(replace(SIMPLE, **change)) is level  # type: ignore[arg-type]


@pytest.mark.parametrize("captured", [Baselines(True, False), Baselines(False, True), Baselines(True, True)])
def test_a_flag_a_baseline_captures_makes_the_challenge_trivial_whatever_else(captured: Baselines) -> None:
    hardest = Features(captured, Handout.NONE, hardened_target=True, services=4, stages=6, solution_lines=200)
    assert calibrate(hardest) is Difficulty.TRIVIAL


@given(features, st.sampled_from(["stages", "services", "solution_lines"]), st.integers(1, 50))
def test_more_work_never_lowers_the_level(f: Features, field: str, more: int) -> None:
    harder = replace(f, **{field: getattr(f, field) + more})
    assert ORDER.index(calibrate(harder)) >= ORDER.index(calibrate(f))


@given(features)
def test_hiding_the_source_or_hardening_the_target_never_lowers_the_level(f: Features) -> None:
    for harder in (replace(f, handout=Handout.NONE), replace(f, hardened_target=True)):
        assert ORDER.index(calibrate(harder)) >= ORDER.index(calibrate(f))


def test_stages_and_lines_are_counted_from_the_script() -> None:
    script = """#!/bin/bash
# what this does
set -euo pipefail
python3 - <<'PY'
# stage: leak the canary
x = 1

    # stage: overflow
print(x)
PY
"""
    assert solution_stages(script) == 2
    assert solution_lines(script) == 5  # set, python3, x =, print, PY
    assert solution_stages("echo one step") == 1
