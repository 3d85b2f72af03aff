"""Capability profiles: per task, the success rate with a 95% Wilson interval and pass@k (epochs > 1), for the
model under test and for reference models side by side, with the task's chance level and the trivial agents
(``bastion.evals.baselines``) that ran beside the model in the same harness.

A baseline whose whole interval lies above chance (``beats_chance``) marks a defect of the task: a null model
can game it. A sample that an agent baseline solved (a challenge the payload spray captures) is trivial.

Reference figures come from earlier stored runs (their ``summary``) or from a JSON file of published figures:

    {"format": "bastion.eval-reference/1",
     "models": [{"model": "example/model-x", "source": "Published system card, 2026-05",
                 "tasks": {"vuln_identification": {"rate": 0.42, "samples": 200}}}]}

``samples`` is optional (without it no interval is drawn); ``ci`` ([low, high]) may be given instead.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, model_validator

from bastion.evals.errors import InvalidReferenceFile
from bastion.evals.stats import mean_pass_at_k, wilson_interval

REFERENCE_FORMAT = "bastion.eval-reference/1"


class TaskFigures(BaseModel):
    rate: float = Field(ge=0.0, le=1.0)
    samples: int | None = Field(default=None, ge=0)
    ci: tuple[float, float] | None = None
    epochs: int = Field(default=1, ge=1)
    pass_at_k: dict[int, float] = Field(default_factory=dict)
    unscored: int = Field(default=0, ge=0)
    metrics: dict[str, float] = Field(default_factory=dict)
    chance: float | None = Field(default=None, ge=0.0, le=1.0)  # the best score without reading the input
    solved: list[str] = Field(default_factory=list)  # agent baselines: sample ids solved in some epoch
    trivial: list[str] = Field(default_factory=list)  # sample ids an agent baseline solved

    @property
    def beats_chance(self) -> bool:
        """Whether the whole 95% interval lies above chance."""
        return self.chance is not None and self.ci is not None and self.ci[0] > self.chance

    @model_validator(mode="after")
    def _interval(self) -> TaskFigures:
        if self.ci is None and self.samples:
            successes = round(self.rate * self.samples)
            self.ci = wilson_interval(successes, self.samples)
        return self


class ModelProfile(BaseModel):
    model: str
    source: str
    tasks: dict[str, TaskFigures]
    baselines: dict[str, dict[str, TaskFigures]] = Field(default_factory=dict)  # task -> baseline -> figures
    pool: str | None = None  # the held-out pool period the run drew from

    def defects(self) -> list[tuple[str, str]]:
        """``(task, baseline)`` for every baseline that beats its task's chance level."""
        return [
            (task, name)
            for task, by_name in self.baselines.items()
            for name, figures in by_name.items()
            if figures.beats_chance
        ]


class ReferenceFile(BaseModel):
    format: str
    models: list[ModelProfile]

    @model_validator(mode="after")
    def _known_format(self) -> ReferenceFile:
        if self.format != REFERENCE_FORMAT:
            raise ValueError(f"format must be {REFERENCE_FORMAT!r}")
        return self


def load_references(path: Path) -> list[ModelProfile]:
    try:
        return ReferenceFile.model_validate(json.loads(path.read_text(encoding="utf-8"))).models
    except (OSError, json.JSONDecodeError, ValidationError) as e:
        raise InvalidReferenceFile(
            f"cannot read reference figures from {path}: {e}",
            hint=f'expected {{"format": "{REFERENCE_FORMAT}", "models": [{{"model", "source", "tasks"}}]}}',
        ) from e


def task_figures(
    outcomes: Mapping[str, list[float]], *, unscored: int = 0, metrics: Mapping[str, float] | None = None
) -> TaskFigures:
    """Figures from per-sample outcomes (one value in [0, 1] per epoch; 1 = success)."""
    values = [v for epochs in outcomes.values() for v in epochs]
    if not values:
        return TaskFigures(rate=0.0, samples=0, ci=(0.0, 1.0), unscored=unscored, metrics=dict(metrics or {}))
    successes = sum(1 for v in values if v >= 1.0)
    epochs = max(len(e) for e in outcomes.values())
    counts = [(len(e), sum(1 for v in e if v >= 1.0)) for e in outcomes.values() if e]
    # A sample with fewer scored epochs (one errored) cannot estimate pass@k for k above its count; each
    # pass@k averages over the samples that have at least k attempts.
    pass_k = (
        {k: mean_pass_at_k([(n, c) for n, c in counts if n >= k], k) for k in range(1, epochs + 1)}
        if epochs > 1
        else {}
    )
    rate = successes / len(values)
    # Epochs of one sample are not independent trials: with epochs > 1 the interval counts samples, not
    # attempts (the rate is then a mean of per-sample rates), so it is not narrowed by mere repetition.
    problems = len(counts)
    ci = wilson_interval(successes, len(values)) if epochs == 1 else wilson_interval(rate * problems, problems)
    return TaskFigures(
        rate=rate,
        samples=len(values),
        ci=ci,
        epochs=epochs,
        pass_at_k=pass_k,
        unscored=unscored,
        metrics=dict(metrics or {}),
    )


def task_name(registry_name: str) -> str:
    return registry_name.split("/", 1)[-1]


def _figures(log: Any) -> TaskFigures:
    outcomes: dict[str, list[float]] = defaultdict(list)
    unscored = 0
    for sample in log.samples or []:
        scores = list((sample.scores or {}).values())
        if not scores or not isinstance(scores[0].value, int | float):
            unscored += 1
            continue
        outcomes[str(sample.id)].append(float(scores[0].value))
    metrics: dict[str, float] = {}
    if log.results is not None:
        for group in log.results.scores:
            for name, m in group.metrics.items():
                if name not in ("accuracy", "stderr"):
                    metrics[task_name(name)] = float(m.value)
    metrics.update(_pool_rates(log))
    figures = task_figures(outcomes, unscored=unscored, metrics=metrics)
    chance = (log.eval.metadata or {}).get("chance")
    figures.chance = float(chance) if isinstance(chance, int | float) else None
    if (log.eval.metadata or {}).get("baseline_kind") == "agent":
        figures.solved = sorted(sample for sample, values in outcomes.items() if any(v >= 1.0 for v in values))
    return figures


def _pool_rates(log: Any) -> dict[str, float]:
    """The success rate on the held-out and on the public challenges, when the samples say their pool."""
    by_pool: dict[str, list[float]] = defaultdict(list)
    for sample in log.samples or []:
        pool = (sample.metadata or {}).get("pool")
        scores = list((sample.scores or {}).values())
        if pool and scores and isinstance(scores[0].value, int | float):
            by_pool[str(pool)].append(1.0 if scores[0].value >= 1.0 else 0.0)
    return {f"{pool}_rate": sum(values) / len(values) for pool, values in by_pool.items()}


def baseline_of(log: Any) -> str | None:
    """The baseline a log is of (``metadata["baseline"]``, set by the runner; ``baseline_kind`` is ``agent`` or
    ``model``), None for the model's own."""
    name = (log.eval.metadata or {}).get("baseline")
    return str(name) if name else None


def profile_from_logs(model: str, source: str, logs: Iterable[Any], *, pool: str | None = None) -> ModelProfile:
    """Build a profile from Inspect ``EvalLog``s (samples included): the model's own logs and its baselines'.
    Unscored samples are counted apart; samples a baseline agent solved are labelled trivial on the task."""
    tasks: dict[str, TaskFigures] = {}
    baselines: dict[str, dict[str, TaskFigures]] = defaultdict(dict)
    for log in logs:
        pool = pool or (log.eval.metadata or {}).get("pool_period")
        name, baseline = task_name(log.eval.task), baseline_of(log)
        if baseline is None:
            tasks[name] = _figures(log)
        else:
            baselines[name][baseline] = _figures(log)
    for name, by_baseline in baselines.items():
        trivial = sorted({sample for figures in by_baseline.values() for sample in figures.solved})
        for figures in (tasks.get(name), *by_baseline.values()):
            if figures is not None:
                figures.trivial = trivial
    return ModelProfile(model=model, source=source, tasks=tasks, baselines=dict(baselines), pool=pool)
