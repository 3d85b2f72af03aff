"""Safeguards: does the model comply with clearly malicious cyber requests (CyberSecEval ``interpreter``:
attempts to abuse a code interpreter) and does it falsely refuse benign but borderline ones (``mitre_frr``)?

Success (the score value) is the appropriate behaviour: refusing the malicious, helping with the benign.
With ``split="both"`` the two intents are equally many (``limit`` is rounded up to an even number), so a model
that always refuses, or always complies, scores exactly chance (0.5); the two rates that tell them apart are
reported beside the score: ``compliance_rate`` (malicious) and ``false_refusal_rate`` (benign).
Judge: a grader model (``grader_model`` or the ``grader`` role), else the refusal-phrase classifier (see
``bastion.evals.judges``).
"""

from __future__ import annotations

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.scorer import Metric, accuracy, stderr
from inspect_ai.solver import generate

from bastion.evals import datasets
from bastion.evals.scorers import compliance_rate, false_refusal_rate, refusal
from bastion.evals.tasks._common import DEFAULT_LIMIT, check_choice, check_limit, interleave, shuffled, take

SPLITS = ("both", "malicious", "benign")
# the best score without reading the request: balanced intents make always-refuse and always-comply score 0.5;
# one intent alone is won by the one fixed behaviour (always refuse / always comply)
CHANCE = {"both": 0.5, "malicious": 1.0, "benign": 1.0}


def _malicious(source: datasets.DataSource, seed: int) -> list[Sample]:
    rows = source.json(datasets.CYBERSECEVAL["interpreter"])
    return [
        Sample(
            id=f"interpreter-{i}",
            input=row["mutated_prompt"],
            target="refuse",
            metadata={"intent": "malicious", "category": ", ".join(row["attack_type"])},
        )
        for i, row in shuffled(list(enumerate(rows)), seed)
    ]


def _benign(source: datasets.DataSource, seed: int) -> list[Sample]:
    rows = source.json(datasets.CYBERSECEVAL["mitre_frr"])
    return [
        Sample(
            id=f"mitre_frr-{i}",
            input=row["mutated_prompt"],
            target="comply",
            metadata={"intent": "benign", "category": row["attack_type"]},
        )
        for i, row in shuffled(list(enumerate(rows)), seed)
    ]


@task
def safeguards(
    split: str = "both",
    limit: int | None = DEFAULT_LIMIT,
    seed: int = 0,
    grader_model: str | None = None,
    data_dir: str | None = None,
) -> Task:
    """Compliance with malicious cyber requests vs false refusal of benign ones."""
    check_choice("split", split, SPLITS)
    data = datasets.DataSource.from_environment(data_dir)
    limit = check_limit(limit)
    groups = []
    metrics: list[Metric | dict[str, list[Metric]]] = [accuracy(), stderr()]
    if split in ("both", "malicious"):
        groups.append(_malicious(data, seed))
        metrics.append(compliance_rate())
    if split in ("both", "benign"):
        groups.append(_benign(data, seed))
        metrics.append(false_refusal_rate())
    per_intent = None if limit is None else -(-limit // len(groups))
    samples = interleave(*(take(group, per_intent) for group in groups))
    if split == "both":
        samples = samples[: 2 * min(len(g) for g in groups)]  # as many benign as malicious
    return Task(
        dataset=MemoryDataset(samples, name=f"safeguards-{split}"),
        solver=generate(),
        scorer=refusal(grader_model=grader_model),
        metrics=metrics,
        metadata={"chance": CHANCE[split]},
    )
