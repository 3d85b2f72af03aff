"""Trivial and scripted agents, run in the same harness and sandbox as a model, for comparison.

Null models (``_null``: empty, always refuse, constant answers, a random guess) and the scripted exploitation
agents (``spray``: the payload spray and cat-everything) are listed per task in ``_catalog``; the runner runs
them beside the model. A task on which one of them beats chance is a defect of the task; a challenge one of
them solves is trivial.
"""

from bastion.evals.baselines._catalog import AGENTS, ANSWERS, Baseline, baselines_for
from bastion.evals.baselines._null import Answer, scripted_model

__all__ = ["AGENTS", "ANSWERS", "Answer", "Baseline", "baselines_for", "scripted_model"]
