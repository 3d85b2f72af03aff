"""Render capability profiles: a rich table (terminal) and a PNG bar chart with 95% intervals, each task with its
chance level and the trivial agents that ran beside the model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from bastion.evals.profile import ModelProfile, TaskFigures


@dataclass(frozen=True, slots=True)
class Series:
    """One bar of each task group: a model (or reference) or one of its baselines."""

    label: str
    tasks: dict[str, TaskFigures]
    baseline: bool


def series(profiles: Sequence[ModelProfile]) -> list[Series]:
    """The models first, then every baseline (named after its run when several runs bring baselines)."""
    models = [Series(f"{p.model} ({p.source})", p.tasks, baseline=False) for p in profiles]
    with_baselines = [p for p in profiles if p.baselines]
    baselines: dict[str, dict[str, TaskFigures]] = {}
    for profile in with_baselines:
        for task, by_name in profile.baselines.items():
            for name, figures in by_name.items():
                label = f"baseline: {name}" + (f" ({profile.source})" if len(with_baselines) > 1 else "")
                baselines.setdefault(label, {})[task] = figures
    return models + [Series(label, tasks, baseline=True) for label, tasks in baselines.items()]


def _rate(figures: TaskFigures) -> str:
    text = f"{figures.rate:.0%}"
    if figures.ci is not None:
        text += f" [{figures.ci[0]:.0%}-{figures.ci[1]:.0%}]"
    if figures.samples is not None:
        text += f" n={figures.samples}"
    return text


def _pass_at(figures: TaskFigures) -> str:
    if not figures.pass_at_k:
        return ""
    ks = sorted({1, max(figures.pass_at_k)} & set(figures.pass_at_k))
    return " ".join(f"pass@{k}={figures.pass_at_k[k]:.0%}" for k in ks)


def _notes(figures: TaskFigures, *, baseline: bool) -> str:
    notes = []
    if baseline and figures.chance is not None:
        notes.append("BEATS CHANCE: the task is gameable" if figures.beats_chance else "not above chance")
    if figures.unscored:
        notes.append(f"unscored {figures.unscored} (left out)")
    notes += [f"{name}={value:.0%}" for name, value in sorted(figures.metrics.items())]
    if not baseline and figures.trivial:
        notes.append(f"trivial (a baseline agent solved): {', '.join(figures.trivial)}")
    return "\n".join(notes)


def _chance(name: str, rows: Sequence[Series]) -> str:
    levels = {c for s in rows if name in s.tasks and (c := s.tasks[name].chance) is not None}
    return " / ".join(f"{level:.0%}" for level in sorted(levels)) if levels else "-"


def task_names(profiles: Sequence[ModelProfile]) -> list[str]:
    names: dict[str, None] = {}
    for profile in profiles:
        names.update(dict.fromkeys(profile.tasks))
        names.update(dict.fromkeys(profile.baselines))
    return list(names)


def profile_table(profiles: Sequence[ModelProfile]) -> Table:
    """One block of rows per task: the models, then the baselines run beside them; the task's chance level."""
    rows = series(profiles)
    table = Table(title="Capability profile (success rate, 95% Wilson interval), with baselines and chance")
    for column in ("task", "chance", "agent", "success rate", "notes"):
        table.add_column(column, style="bold" if column == "task" else None, overflow="fold")
    for name in task_names(profiles):
        first = True
        for row in rows:
            figures = row.tasks.get(name)
            if figures is None:
                continue
            table.add_row(
                name if first else "",
                _chance(name, rows) if first else "",
                row.label,
                "\n".join(filter(None, (_rate(figures), _pass_at(figures)))),
                _notes(figures, baseline=row.baseline),
                style="dim" if row.baseline and not figures.beats_chance else None,
            )
            first = False
        table.add_section()
    return table


def profile_chart(profiles: Sequence[ModelProfile], path: Path) -> Path:
    """A grouped bar chart (one group per task; a bar per model and per baseline, hatched grey; error bars = 95%
    interval; a red line at the task's chance level) as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = task_names(profiles)
    rows = series(profiles)
    present = {name: [r for r in rows if name in r.tasks] for name in names}
    width = 0.8 / max((len(p) for p in present.values()), default=1)
    figure, axes = plt.subplots(figsize=(max(9.0, 0.3 * len(rows) * len(names) + 6), 5.0))
    greys = {r.label: str(0.35 + 0.5 * i / max(len(rows), 1)) for i, r in enumerate(rows)}
    colours = {r.label: f"C{i}" for i, r in enumerate(r for r in rows if not r.baseline)}
    drawn: set[str] = set()
    for j, name in enumerate(names):
        here = present[name]
        for i, row in enumerate(here):
            figures = row.tasks[name]
            low, high = figures.ci if figures.ci is not None else (figures.rate, figures.rate)
            style: dict[str, Any] = (
                {"color": greys[row.label], "hatch": "//", "edgecolor": "black"}
                if row.baseline
                else {"color": colours[row.label]}
            )
            axes.bar(
                j - width * len(here) / 2 + width * (i + 0.5),
                figures.rate,
                width,
                yerr=[[figures.rate - low], [high - figures.rate]],
                capsize=2,
                label="_" if row.label in drawn else row.label,  # "_": matplotlib leaves it out of the legend
                **style,
            )
            drawn.add(row.label)
    labelled = False
    for j, name in enumerate(names):
        chance = next((c for r in rows if name in r.tasks and (c := r.tasks[name].chance) is not None), None)
        if chance is not None:
            # matplotlib leaves labels starting with "_" out of the legend: "chance" appears once
            axes.hlines(chance, j - 0.45, j + 0.45, colors="red", linestyles="--", label="_" if labelled else "chance")
            labelled = True
    axes.set_xticks(range(len(names)), names, rotation=20, ha="right")
    axes.set_ylim(0, 1.05)
    axes.set_ylabel("success rate")
    axes.set_title("Models, baselines (hatched) and chance (red); 95% Wilson intervals", fontsize="medium")
    axes.legend(fontsize="x-small", ncol=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=120)
    plt.close(figure)
    return path
