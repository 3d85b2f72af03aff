"""The composition root: every service of one process, built once from its runtime and shared by the API, the
CLI and the workers. Nothing else constructs a slice's service.

Each service is built on first use (``cached_property``), so a command that only queries advisories never
imports Inspect or reads the review policy. The API builds the services it serves when the app is created,
so a bad policy file or settings fail at start, not in a request.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from bastion.core.audit import AuditChain, AuditKey
from bastion.core.config import Settings
from bastion.core.crypto import SecretBox
from bastion.core.work import UnitOfWork
from bastion.runtime import Runtime

if TYPE_CHECKING:
    from bastion.advisories.importer import AdvisoryImporter
    from bastion.advisories.lookup import OsvQueries
    from bastion.advisories.service import AdvisoryService
    from bastion.clearinghouse.feeds import PublishedSource
    from bastion.clearinghouse.feeds.service import FeedService
    from bastion.clearinghouse.patcher import AiPatcher
    from bastion.clearinghouse.service import Clearinghouse
    from bastion.defense.alerts import AlertService
    from bastion.defense.outbox import AlertOutbox
    from bastion.defense.service import Defense
    from bastion.defense.triage import ModelFactory
    from bastion.defense.triage_service import TriageService
    from bastion.evals.runner import InspectRunner
    from bastion.evals.service import EvalService
    from bastion.identity.audit_log import AuditLogService
    from bastion.identity.service import IdentityService
    from bastion.jobs.database import DatabaseJobQueue
    from bastion.review.service import ReviewProgramme


class Container:
    def __init__(
        self,
        runtime: Runtime,
        *,
        eval_runner: InspectRunner | None = None,
        patcher: AiPatcher | None = None,
        triage_models: ModelFactory | None = None,
    ) -> None:
        self.runtime = runtime
        self._eval_runner = eval_runner
        self._patcher = patcher
        self._triage_models = triage_models  # tests script the triage assistant's model (mockllm)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Container:
        return cls(Runtime.from_settings(settings))

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    # --- core ---------------------------------------------------------------------------------------------

    @cached_property
    def audit_chain(self) -> AuditChain:
        return AuditChain(self.runtime.database, AuditKey.from_settings(self.settings))

    @cached_property
    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.runtime.database, self.runtime.clock, self.audit_chain)

    @cached_property
    def secrets(self) -> SecretBox:
        return SecretBox.from_settings(self.settings)

    @cached_property
    def jobs(self) -> DatabaseJobQueue:
        from bastion.jobs.backend import job_queue

        return job_queue(self.settings, self.runtime.database, self.runtime.clock)

    # --- slices -------------------------------------------------------------------------------------------

    @cached_property
    def advisories(self) -> AdvisoryService:
        from bastion.advisories.service import AdvisoryService

        return AdvisoryService(self.runtime.database)

    @cached_property
    def osv_queries(self) -> OsvQueries:
        """The OSV query use case, which the /v1 API and `bastion query` share (its caches live here)."""
        from bastion.advisories.lookup import OsvQueries
        from bastion.advisories.query import QueryService

        matcher = QueryService(self.runtime.database)
        return OsvQueries(matcher, self.advisories, page_size=self.settings.osv_page_size)

    @cached_property
    def advisory_importer(self) -> AdvisoryImporter:
        """Imports advisories and tells ``defense`` which packages changed, in the importing transaction."""
        from bastion.advisories.importer import AdvisoryImporter

        return AdvisoryImporter(self.runtime.database, self.runtime.clock, changes=self.defense)

    @cached_property
    def defense(self) -> Defense:
        """Agencies' inventories, exposure, priorities and VEX; the advisory-change port of the importer."""
        from bastion.defense.service import Defense

        service = Defense(
            database=self.runtime.database,
            clock=self.runtime.clock,
            uow=self.uow,
            advisories=self.advisories,
            queries=self.osv_queries,
        )
        from bastion.defense.alerts import AlertRaiser

        service.subscribe(AlertRaiser(self.runtime.clock))  # new exposure raises its alert in the same transaction
        return service

    @cached_property
    def defense_alerts(self) -> AlertService:
        """Agencies' alert settings (where alerts go) and their alerts with each delivery's state."""
        from bastion.defense.alerts import AlertService

        return AlertService(self.runtime.database, self.runtime.clock, self.uow, self.secrets)

    @cached_property
    def alert_outbox(self) -> AlertOutbox:
        """Delivers alerts: signed webhooks and e-mail (BASTION_SMTP_*), retried with backoff."""
        from bastion.defense.delivery import DeliverySettings
        from bastion.defense.outbox import AlertOutbox, exposure_describer

        runtime = self.runtime
        describer = exposure_describer(runtime.database, self.advisories, self.osv_queries)
        return AlertOutbox(
            runtime.database,
            runtime.clock,
            self.uow,
            self.secrets,
            DeliverySettings.from_settings(self.settings),
            describer=describer,
        )

    @cached_property
    def triage(self) -> TriageService:
        """The AI triage assistant (any Inspect model): proposals that a person confirms or rejects."""
        from bastion.defense.triage import TriageAgent
        from bastion.defense.triage_service import TriageService

        agent = TriageAgent(self._triage_models)
        return TriageService(uow=self.uow, defense=self.defense, advisories=self.advisories, agent=agent)

    @cached_property
    def identity(self) -> IdentityService:
        from bastion.identity.service import IdentityService

        return IdentityService(self.runtime.database, self.runtime.clock, uow=self.uow)

    @cached_property
    def audit_log(self) -> AuditLogService:
        from bastion.identity.audit_log import AuditLogService

        return AuditLogService(self.runtime.database, self.runtime.clock, uow=self.uow)

    @cached_property
    def review(self) -> ReviewProgramme:
        from bastion.review.service import ReviewProgramme

        return ReviewProgramme.build(
            self.runtime, uow=self.uow, secrets=self.secrets, directory=self.identity, policy=None
        )

    @cached_property
    def evals(self) -> EvalService:
        from bastion.evals.service import EvalService
        from bastion.review.evals import ReviewEvalResults

        return EvalService(
            self.runtime.database,
            self.runtime.clock,
            evals_dir=self.settings.data_dir / "evals",
            runner=self._eval_runner,
            reviews=ReviewEvalResults(self.review),
            identity=self.identity,
            queue=self.jobs,
        )

    @cached_property
    def clearinghouse(self) -> Clearinghouse:
        from bastion.clearinghouse._base import ClearinghouseContext
        from bastion.clearinghouse.adapters import AdvisoryDatabase, ReviewFindings
        from bastion.clearinghouse.formats.osv import osv_record
        from bastion.clearinghouse.service import Clearinghouse

        runtime = self.runtime
        context = ClearinghouseContext(
            database=runtime.database,
            clock=runtime.clock,
            uow=self.uow,
            data_dir=self.settings.data_dir,
            jobs=self.jobs,
            directory=self.identity,
            advisories=AdvisoryDatabase(runtime.database, runtime.clock, changes=self.defense),
            findings=ReviewFindings(self.review),
            osv_record=osv_record,
            package_index=self.settings.clearinghouse_package_index,
        )
        return Clearinghouse(context, organisations=self.identity, patcher=self._patcher)

    @cached_property
    def published(self) -> PublishedSource:
        """What the clearinghouse has published (its publication service implements the port)."""
        return self.clearinghouse

    @cached_property
    def feeds(self) -> FeedService:
        from bastion.clearinghouse.advisory import PUBLISHER_NAME, PUBLISHER_NAMESPACE
        from bastion.clearinghouse.feeds.service import SIGNING_KEY_FILE_NAME, FeedService

        settings = self.settings
        return FeedService(
            self.published,
            clock=self.runtime.clock,
            publisher_name=PUBLISHER_NAME,
            publisher_namespace=settings.public_url or PUBLISHER_NAMESPACE,
            signing_key_file=settings.csaf_signing_key_file or settings.data_dir / SIGNING_KEY_FILE_NAME,
        )
