"""Evaluation scores are review content.

Evaluators measure them and attach them to a review as an evaluation summary (evidence, with a marking). They
are never copied onto the submission: each reader is shown the scores of the summaries that reader may read
(the evidence's marking and the review's need to know, through the access policy), and the selection engine
reads all of them on the server (``all_scores``). A rule that read them carries their highest marking, so its
explanation (which quotes the figures) is shown only to those who may read that evidence.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.core.access import Resource, ResourceKind, visible
from bastion.core.ids import ReviewID
from bastion.core.principal import Classification, Principal
from bastion.review._base import Scope
from bastion.review.models import EvidenceRow, FindingRow

EVAL_SUMMARY = "eval_summary"


@dataclass(frozen=True)
class MeasuredScores:
    """Task -> score, and task -> reference model -> score, merged from evaluation summaries in the order they
    were attached (a later run's figure for a task replaces an earlier one). ``marking``: the highest marking
    of the summaries merged; None when there were none."""

    scores: dict[str, float] = field(default_factory=dict)
    references: dict[str, dict[str, float]] = field(default_factory=dict)
    marking: Classification | None = None


@dataclass(frozen=True)
class Summary:
    """One evaluation summary with the marking it is read under (its own, or its finding's if higher)."""

    evidence: EvidenceRow
    finding_level: int | None

    @property
    def level(self) -> Classification:
        return effective_marking(self.evidence, self.finding_level)


def effective_marking(evidence: EvidenceRow, finding_level: int | None) -> Classification:
    """Evidence is read at least at its finding's marking (should the finding be marked up after it)."""
    own = evidence.classification
    return Classification(own if finding_level is None else max(own, finding_level))


def evidence_resource(scope: Scope, evidence: EvidenceRow, finding_level: int | None) -> Resource:
    return scope.resource(ResourceKind.EVIDENCE, classification=effective_marking(evidence, finding_level))


def summaries_by_review(session: Session, review_ids: Iterable[ReviewID | None]) -> dict[ReviewID, list[Summary]]:
    """The evaluation summaries of many reviews, oldest first, in one query."""
    wanted = {r for r in review_ids if r is not None}
    if not wanted:
        return {}
    rows = session.execute(
        sa.select(EvidenceRow, FindingRow.classification)
        .outerjoin(FindingRow, FindingRow.id == EvidenceRow.finding_id)
        .where(EvidenceRow.review_id.in_(wanted), EvidenceRow.kind == EVAL_SUMMARY)
        .order_by(EvidenceRow.created_at, EvidenceRow.id)
    ).all()
    found: dict[ReviewID, list[Summary]] = {}
    for evidence, finding_level in rows:
        found.setdefault(evidence.review_id, []).append(Summary(evidence, finding_level))
    return found


def all_scores(summaries: Iterable[Summary]) -> MeasuredScores:
    """Every summary merged: for the selection engine, on the server only."""
    scores: dict[str, float] = {}
    references: dict[str, dict[str, float]] = {}
    marking: Classification | None = None
    for summary in summaries:
        body: Mapping[str, Any] = summary.evidence.summary or {}
        scores.update(_numbers(body.get("scores")))
        raw = body.get("reference_scores")
        if isinstance(raw, Mapping):
            references.update({str(task): _numbers(models) for task, models in raw.items()})
        marking = summary.level if marking is None else max(marking, summary.level)
    return MeasuredScores(scores, references, marking)


def readable_scores(actor: Principal, scope: Scope, summaries: Iterable[Summary]) -> MeasuredScores:
    """The scores of the summaries ``actor`` may read: what a submission shows its reader."""
    return all_scores(s for s in summaries if visible(actor, evidence_resource(scope, s.evidence, s.finding_level)))


def _numbers(value: object) -> dict[str, float]:
    if not isinstance(value, Mapping):
        return {}
    return {
        str(k): float(v)
        for k, v in value.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    }
