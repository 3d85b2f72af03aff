"""``ReviewProgramme``: the one entry point of the review slice for shells (API, CLI) and other slices.

Each use case lives in its own service (submissions, selection, reviews, extensions, assignments, findings,
evidence, reports, outbox); they share one ``ReviewContext``. The selection policy is the built-in
``policies/default.toml`` unless ``data_dir/review-policy.toml`` exists.
"""

from __future__ import annotations

from pathlib import Path

from bastion.core.crypto import SecretBox
from bastion.core.work import UnitOfWork
from bastion.review._base import Directory, ReviewContext
from bastion.review.assignments import AssignmentService
from bastion.review.decisions import SelectionService
from bastion.review.evidence import EvidenceService
from bastion.review.extensions import ExtensionService
from bastion.review.findings import FindingService
from bastion.review.outbox import OutboxService
from bastion.review.policy import default_policy, load_policy
from bastion.review.reports import ReportService
from bastion.review.reviews import ReviewService
from bastion.review.selection import Policy
from bastion.review.submissions import SubmissionService
from bastion.runtime import Runtime

POLICY_FILE_NAME = "review-policy.toml"

__all__ = ["POLICY_FILE_NAME", "ReviewProgramme", "active_policy"]


def active_policy(data_dir: Path) -> Policy:
    """The programme's policy: ``data_dir/review-policy.toml`` if present, else the built-in default."""
    path = data_dir / POLICY_FILE_NAME
    return load_policy(path) if path.is_file() else default_policy()


class ReviewProgramme:
    def __init__(self, ctx: ReviewContext) -> None:
        self.context = ctx
        self.submissions = SubmissionService(ctx)
        self.selection = SelectionService(ctx)
        self.reviews = ReviewService(ctx)
        self.extensions = ExtensionService(ctx)
        self.assignments = AssignmentService(ctx)
        self.findings = FindingService(ctx)
        self.evidence = EvidenceService(ctx)
        self.reports = ReportService(ctx)
        self.outbox = OutboxService(ctx)

    @classmethod
    def build(
        cls,
        runtime: Runtime,
        *,
        uow: UnitOfWork,
        secrets: SecretBox,
        directory: Directory,
        policy: Policy | None = None,
    ) -> ReviewProgramme:
        """Wired by the composition root (``bastion.container``); the policy is read here, once."""
        ctx = ReviewContext(
            database=runtime.database,
            clock=runtime.clock,
            data_dir=runtime.settings.data_dir,
            secrets=secrets,
            directory=directory,
            policy=policy or active_policy(runtime.settings.data_dir),
            uow=uow,
            max_evidence_bytes=runtime.settings.max_evidence_bytes,
        )
        return cls(ctx)
