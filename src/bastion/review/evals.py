"""The review side of the evaluation battery's seam (``bastion.evals.review_seam.ReviewResults``): who may run
the battery for a review, and how a finished run lands on it.

- ``authorize_eval_run`` (before the run is queued): the review must exist for the actor, else the very same
  404 as a missing id; the actor must be allowed to create an evaluation run on it (an evaluator assigned to
  it, or a programme administrator, cleared for its classification; agency reviewers and labs get a 403);
  and its window must be open: a closed review accepts no new evidence (409 ``review_closed``).
- ``attach_eval_results`` (when the run's job finishes): the Inspect logs and a summary are stored as evidence
  at the review's classification, and the per-task success rates go where the selection policy's
  ``eval_margin`` rule reads them (``summary["scores"]``, task -> rate, keyed by the battery's task names).
  The results arrive as the port's typed record (``EvalResults``), validated once by the evals slice.
  Idempotent per run id: a job retried after a crash does not attach the same run twice.
- ``eval_run_resources`` (when runs are listed or shown): a run made for a review is judged as review content
  at the review's classification, visible to the users assigned to the review (and programme administrators);
  the evals slice adds the run's creator.

The evals slice reaches this module only through its seam; nothing here imports the evals slice.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from bastion.core.access import Action, Resource, ResourceKind
from bastion.core.ids import EvalRunID, ReviewID
from bastion.core.principal import Classification, Principal
from bastion.evals.review_seam import EvalResults
from bastion.review._base import assigned_by_review, require, scope_of_review
from bastion.review.errors import ReviewStateError
from bastion.review.models import ReviewRow
from bastion.review.reviews import require_open
from bastion.review.schemas import EvidencePublic
from bastion.review.service import ReviewProgramme

__all__ = ["ReviewEvalResults"]


class ReviewEvalResults:
    """``ReviewResults`` for the evals slice, over the review programme's services."""

    def __init__(self, programme: ReviewProgramme) -> None:
        self._programme = programme

    def authorize_eval_run(self, actor: Principal, review_id: ReviewID) -> None:
        ctx = self._programme.context
        with ctx.unit(actor, "eval_run.authorize", "review", review_id) as session:
            scope = scope_of_review(session, review_id)
            require(actor, Action.READ, scope.resource(ResourceKind.REVIEW), what=f"review {review_id}")
            require(actor, Action.CREATE, scope.resource(ResourceKind.EVAL_RUN), what=f"review {review_id}")
            assert scope.review is not None  # scope_of_review always has one
            try:
                require_open(scope.review, scope.submission, ctx.clock.now())
            except ReviewStateError as e:
                raise ReviewStateError(
                    f"{e.message}; a closed review accepts no new evaluation runs or evidence",
                    code=e.code,
                    hint="run without --review, or ask a programme administrator about the review's window",
                    details=e.details,
                ) from None

    def eval_run_resources(self, review_ids: Collection[ReviewID]) -> dict[ReviewID, Resource]:
        wanted = set(review_ids)
        if not wanted:
            return {}
        with self._programme.context.database.read_session() as session:
            rows = session.execute(
                sa.select(ReviewRow.id, ReviewRow.classification).where(ReviewRow.id.in_(wanted))
            ).all()
            assigned = assigned_by_review(session, (review_id for review_id, _ in rows))
        return {
            ReviewID(review_id): Resource(
                kind=ResourceKind.EVAL_RUN,
                classification=Classification(level),
                assigned=assigned.get(review_id, frozenset()),
            )
            for review_id, level in rows
        }

    def attach_eval_results(self, actor: Principal, review_id: ReviewID, results: EvalResults) -> None:
        if self._attached(actor, review_id, results.run_id):
            return
        review = self._programme.reviews.get(actor, review_id)
        self._programme.evidence.attach_eval_results(
            actor,
            review_id,
            results.summary,
            results.log_files,
            classification=Classification(review.classification),
        )

    def _attached(self, actor: Principal, review_id: ReviewID, run_id: EvalRunID) -> list[EvidencePublic]:
        """Evidence already stored for this run (a retried job finds its earlier attachment)."""
        listed = self._programme.evidence.list_for_review(actor, review_id)
        return [e for e in listed.data if e.kind == "eval_summary" and (e.summary or {}).get("run_id") == run_id]
