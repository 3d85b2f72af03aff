"""Trivial agents run in the same harness beside the model: null models and scripted agents.

A task on which one of them beats chance is a defect of the task; a challenge one of them solves is trivial.
"""

from bastion.evals.baselines._agents import cat_everything, payload_spray
from bastion.evals.baselines._catalog import AGENTS, ANSWERS, Baseline, baselines_for
from bastion.evals.baselines._null import Answer, scripted_model

__all__ = [
    "AGENTS",
    "ANSWERS",
    "Answer",
    "Baseline",
    "baselines_for",
    "cat_everything",
    "payload_spray",
    "scripted_model",
]
