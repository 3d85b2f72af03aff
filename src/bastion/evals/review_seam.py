"""The seam to the review slice: an eval run made for a review stores its Inspect logs as evidence on that
review and its summary where the selection policy can read it.

A run made for a review is review content: the review slice also says what the access policy judges such a
run by (``eval_run_resources``), so that only those who may read the review's content (and the run's creator)
see it.

The review slice implements this port (``bastion.review.evals.ReviewEvalResults``); the composition root
(``bastion.container``) hands it to ``EvalService``. This slice never imports the review slice: it depends on
the port only. Without one, ``bastion eval run --review`` fails with a clear error instead of running an
evaluation whose evidence would be lost.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from bastion.core.access import Resource
from bastion.core.ids import EvalRunID, ReviewID
from bastion.core.principal import Principal
from bastion.evals.profile import ModelProfile


@dataclass(frozen=True, slots=True)
class EvalResults:
    """A finished run's results as they cross to the review slice, validated once (as a ``ModelProfile``).

    ``summary`` is what the review stores as the run's evidence summary: the profile as JSON, its ``run_id``
    and its ``scores``. ``scores`` are the per-task success rates under the battery's task names, where the
    selection policy's ``eval_margin`` rules read them; a task with no scored sample gets none (a rate of
    nothing is not evidence of anything)."""

    run_id: EvalRunID
    model: str
    scores: Mapping[str, float]
    summary: Mapping[str, Any]
    log_files: tuple[Path, ...]

    @classmethod
    def from_profile(cls, run_id: EvalRunID, profile: ModelProfile, log_files: Sequence[Path]) -> EvalResults:
        scores = {task: figures.rate for task, figures in profile.tasks.items() if figures.samples}
        summary = {**profile.model_dump(mode="json"), "run_id": run_id, "scores": scores}
        return cls(
            run_id=run_id,
            model=profile.model,
            scores=MappingProxyType(scores),
            summary=MappingProxyType(summary),
            log_files=tuple(log_files),
        )


class ReviewResults(Protocol):
    def authorize_eval_run(self, actor: Principal, review_id: ReviewID) -> None:
        """Raise unless ``actor`` may run the battery for the review now: NotFound (the same as a missing id)
        when the review is not theirs to know of, Forbidden when they may see it but not add to it, Conflict
        when the review is closed."""
        ...

    def eval_run_resources(self, review_ids: Collection[ReviewID]) -> Mapping[ReviewID, Resource]:
        """For each of ``review_ids`` that exists: what the access policy judges a run made for that review by
        (an ``EVAL_RUN`` at the review's classification, ``assigned`` = the users assigned to the review). Makes
        no decision itself and reveals nothing to anyone: the caller asks the policy."""
        ...

    def attach_eval_results(self, actor: Principal, review_id: ReviewID, results: EvalResults) -> None:
        """Store the logs as evidence and ``results.summary`` on the review, in one transaction; idempotent per
        ``results.run_id``. ``results.scores`` become the scores the selection policy reads."""
        ...
