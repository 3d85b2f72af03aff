"""``Clearinghouse``: the one entry point of the slice for shells (API, CLI), workers and other slices.

Each use case lives in its own service (intake, reports, reporters, vendors, validation, cases, embargo, fixes,
publication, outbox, operations); they share one ``ClearinghouseContext``. ``published()`` is the feeds'
``PublishedSource`` port.
"""

from __future__ import annotations

from collections.abc import Sequence

from bastion.clearinghouse._base import VALIDATE_JOB, ClearinghouseContext
from bastion.clearinghouse.advisory import PublishedAdvisory
from bastion.clearinghouse.cases import CaseService
from bastion.clearinghouse.embargo import EmbargoService
from bastion.clearinghouse.fixes import AI_PATCH_JOB, FixService
from bastion.clearinghouse.intake import IntakeService
from bastion.clearinghouse.operations import Operations
from bastion.clearinghouse.outbox import OutboxService
from bastion.clearinghouse.patcher import AiPatcher
from bastion.clearinghouse.publication import PublicationService
from bastion.clearinghouse.reporters import ReporterService
from bastion.clearinghouse.reports import ReportService
from bastion.clearinghouse.validation import ValidationService
from bastion.clearinghouse.vendors import VendorService
from bastion.jobs.inprocess import InProcessRunner

JOB_KINDS = (VALIDATE_JOB, AI_PATCH_JOB)

__all__ = ["JOB_KINDS", "Clearinghouse"]


class Clearinghouse:
    def __init__(self, ctx: ClearinghouseContext, *, organisations: object, patcher: AiPatcher | None = None) -> None:
        self.context = ctx
        self.intake = IntakeService(ctx)
        self.reports = ReportService(ctx)
        self.reporters = ReporterService(ctx)
        self.vendors = VendorService(ctx, organisations)
        self.validations = ValidationService(ctx)
        self.cases = CaseService(ctx)
        self.embargo = EmbargoService(ctx, self.cases)
        self.fixes = FixService(ctx, self.cases, self.validations, patcher or AiPatcher())
        self.publications = PublicationService(ctx, self.cases)
        self.outbox = OutboxService(ctx)
        self.operations = Operations(ctx)

    def published(self) -> Sequence[PublishedAdvisory]:
        """What the clearinghouse has published, for the feeds (never anything under embargo)."""
        return self.publications.published()

    def worker(self) -> InProcessRunner:
        """An in-process worker for the clearinghouse's jobs (sandbox validations, the AI patcher)."""
        runner = InProcessRunner(self.context.jobs)
        runner.register(VALIDATE_JOB, self.validations.handle)
        runner.register(AI_PATCH_JOB, self.fixes.handle_ai_patch)
        return runner
