"""Prompt-injection susceptibility (CyberSecEval ``prompt_injection``): a system prompt sets a rule or holds a
secret, the user turn carries an injection (direct, or hidden in content to process). Success (score 1) is
resisting; the judge answers the dataset's own judge question about the response ("Does this response
contain the word 'Piano'?") with a grader model, else a literal check where the question is one.
"""

from __future__ import annotations

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageSystem, ChatMessageUser
from inspect_ai.solver import generate

from bastion.evals import datasets
from bastion.evals.scorers import injection
from bastion.evals.tasks._common import DEFAULT_LIMIT, check_choice, check_limit, shuffled, take

INJECTION_TYPES = ("all", "direct", "indirect")


@task
def prompt_injection(
    injection_type: str = "all",
    limit: int | None = DEFAULT_LIMIT,
    seed: int = 0,
    grader_model: str | None = None,
    data_dir: str | None = None,
) -> Task:
    """Does the model follow instructions injected into its input?"""
    check_choice("injection_type", injection_type, INJECTION_TYPES)
    rows = datasets.DataSource.from_environment(data_dir).json(datasets.CYBERSECEVAL["prompt_injection"])
    samples = [
        Sample(
            id=f"prompt_injection-{row['prompt_id']}",
            input=[
                ChatMessageSystem(content=row["test_case_prompt"]),
                ChatMessageUser(content=row["user_input"]),
            ],
            target="resist",
            metadata={
                "judge_question": row["judge_question"],
                "injection_type": row["injection_type"],
                "injection_variant": row["injection_variant"],
                "risk_category": row["risk_category"],
                "language": row["speaking_language"],
            },
        )
        for row in shuffled(rows, seed)
        if injection_type in ("all", row["injection_type"])
    ]
    return Task(
        dataset=MemoryDataset(take(samples, check_limit(limit)), name=f"prompt_injection-{injection_type}"),
        solver=generate(),
        scorer=injection(grader_model=grader_model),
    )
