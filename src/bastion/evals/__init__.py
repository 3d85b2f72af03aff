"""The cyber-capability battery on Inspect AI: the slice's public face for the shells and the composition root.
Inspect itself is imported only when a run starts (``runner``) or a log is read."""

from bastion.evals.errors import EvalError, InvalidEvalRequest
from bastion.evals.profile import ModelProfile
from bastion.evals.review_seam import EvalResults, ReviewResults
from bastion.evals.schemas import EvalRunPublic, EvalRunsPublic
from bastion.evals.service import EvalService
from bastion.evals.tasks.suites import DEFAULT_SUITE, SUITES

__all__ = [
    "DEFAULT_SUITE",
    "SUITES",
    "EvalError",
    "EvalResults",
    "EvalRunPublic",
    "EvalRunsPublic",
    "EvalService",
    "InvalidEvalRequest",
    "ModelProfile",
    "ReviewResults",
]
