"""Render capability profiles: a rich table (terminal) and a PNG bar chart with 95% intervals."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.table import Table

from bastion.evals.profile import ModelProfile, TaskFigures


def _cell(figures: TaskFigures | None) -> str:
    if figures is None:
        return "-"
    text = f"{figures.rate:.0%}"
    if figures.ci is not None:
        text += f" [{figures.ci[0]:.0%}-{figures.ci[1]:.0%}]"
    if figures.samples is not None:
        text += f" n={figures.samples}"
    if figures.pass_at_k:
        k = max(figures.pass_at_k)
        text += f" pass@{k}={figures.pass_at_k[k]:.0%}"
    extras = ", ".join(f"{name}={value:.0%}" for name, value in sorted(figures.metrics.items()))
    return f"{text}\n{extras}" if extras else text


def task_names(profiles: Sequence[ModelProfile]) -> list[str]:
    names: dict[str, None] = {}
    for profile in profiles:
        names.update(dict.fromkeys(profile.tasks))
    return list(names)


def profile_table(profiles: Sequence[ModelProfile]) -> Table:
    """Tasks as rows, models as columns: success rate [95% CI] n, pass@k, extra rates."""
    table = Table(title="Capability profile (success rate, 95% Wilson interval)")
    table.add_column("task", style="bold")
    for profile in profiles:
        table.add_column(f"{profile.model}\n({profile.source})")
    for name in task_names(profiles):
        table.add_row(name, *(_cell(p.tasks.get(name)) for p in profiles))
    return table


def profile_chart(profiles: Sequence[ModelProfile], path: Path) -> Path:
    """A grouped bar chart (one group per task, one bar per model, error bars = 95% interval) as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = task_names(profiles)
    width = 0.8 / max(len(profiles), 1)
    figure, axes = plt.subplots(figsize=(max(6.0, 1.6 * len(names) + 2), 4.5))
    for i, profile in enumerate(profiles):
        xs, rates, lows, highs = [], [], [], []
        for j, name in enumerate(names):
            figures = profile.tasks.get(name)
            if figures is None:
                continue
            low, high = figures.ci if figures.ci is not None else (figures.rate, figures.rate)
            xs.append(j + i * width - 0.4 + width / 2)
            rates.append(figures.rate)
            lows.append(figures.rate - low)
            highs.append(high - figures.rate)
        axes.bar(xs, rates, width, yerr=[lows, highs], capsize=3, label=f"{profile.model} ({profile.source})")
    axes.set_xticks(range(len(names)), names, rotation=20, ha="right")
    axes.set_ylim(0, 1)
    axes.set_ylabel("success rate")
    axes.set_title("Cyber capability profile (95% Wilson intervals)")
    axes.legend(fontsize="small")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=120)
    plt.close(figure)
    return path
