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

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Protocol

from bastion.core.access import Resource
from bastion.core.principal import Principal


class ReviewResults(Protocol):
    def authorize_eval_run(self, actor: Principal, review_id: str) -> None:
        """Raise unless ``actor`` may run the battery for the review now: NotFound (the same as a missing id)
        when the review is not theirs to know of, Forbidden when they may see it but not add to it, Conflict
        when the review is closed."""
        ...

    def eval_run_resources(self, review_ids: Collection[str]) -> Mapping[str, Resource]:
        """For each of ``review_ids`` that exists: what the access policy judges a run made for that review by
        (an ``EVAL_RUN`` at the review's classification, ``assigned`` = the users assigned to the review). Makes
        no decision itself and reveals nothing to anyone: the caller asks the policy."""
        ...

    def attach_eval_results(
        self, actor: Principal, review_id: str, *, run_id: str, log_files: list[Path], summary: dict[str, Any]
    ) -> None:
        """Store the logs as evidence and the summary on the review, in one transaction; idempotent per
        ``run_id``. ``summary`` is the run's capability profile (``ModelProfile`` as JSON: ``model``,
        ``source``, ``tasks`` -> figures with ``rate`` and ``samples``); the per-task rates become the scores
        the selection policy's ``eval_margin`` rules read, under the battery's task names."""
        ...
