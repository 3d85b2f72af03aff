"""The profile as the user sees it: every task with its chance level and its baselines beside the model."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from bastion.evals.profile import ModelProfile, TaskFigures, task_figures
from bastion.evals.render import profile_chart, profile_table


def figures(successes: int, n: int, chance: float) -> TaskFigures:
    result = task_figures({f"s{i}": [1.0 if i < successes else 0.0] for i in range(n)})
    result.chance = chance
    return result


def profile() -> ModelProfile:
    return ModelProfile(
        model="example/model",
        source="run evr_1",
        tasks={"vuln_pairs": figures(18, 20, 0.5), "exploitation": figures(3, 10, 0.0)},
        baselines={
            "vuln_pairs": {"always 'A'": figures(10, 20, 0.5), "always 'B'": figures(10, 20, 0.5)},
            "exploitation": {"payload_spray": figures(6, 10, 0.0), "empty": figures(0, 10, 0.0)},
        },
    )


def test_a_baseline_above_chance_is_flagged_as_a_defect_and_others_are_not() -> None:
    assert profile().defects() == [("exploitation", "payload_spray")]
    assert not profile().baselines["vuln_pairs"]["always 'A'"].beats_chance
    assert profile().tasks["vuln_pairs"].beats_chance  # the model is above chance: that is the point


def test_the_table_shows_each_task_with_chance_model_and_baselines() -> None:
    console = Console(width=200, record=True)
    console.print(profile_table([profile()]))
    text = console.export_text()
    for expected in ("vuln_pairs", "exploitation", "50%", "0%", "example/model (run evr_1)"):
        assert expected in text
    for name in ("always 'A'", "always 'B'", "payload_spray", "empty"):
        assert f"baseline: {name}" in text
    assert text.count("BEATS CHANCE") == 1 and text.count("not above chance") == 3


def test_the_chart_is_a_png(tmp_path: Path) -> None:
    path = profile_chart([profile()], tmp_path / "profile.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
