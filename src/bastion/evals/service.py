"""Use cases of the evals slice: start a run (as a background job), execute it (the job handler), read runs,
build capability profiles."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.core import audit
from bastion.core.access import Action, Resource, ResourceKind, authorize, not_found, visible
from bastion.core.audit import WORKER, Actor
from bastion.core.clock import Clock
from bastion.core.ids import EvalRunID, ReviewID
from bastion.core.principal import Principal, UserID
from bastion.core.work import UnitOfWork
from bastion.db import Database
from bastion.evals.errors import EvalRunConflict, InvalidEvalRequest, ReviewIntegrationUnavailable
from bastion.evals.models import EvalRunRow
from bastion.evals.pool import period_of
from bastion.evals.profile import ModelProfile, load_references, profile_from_logs
from bastion.evals.review_seam import EvalResults, ReviewResults
from bastion.evals.runner import InspectRunner, RunSpec
from bastion.evals.schemas import EvalRunPublic
from bastion.evals.tasks.suites import DEFAULT_SUITE, suite
from bastion.jobs.database import DatabaseJobQueue
from bastion.jobs.interface import Job, JobID, JobStatus, Progress

JOB_KIND = "eval_run"


def _resource(row: EvalRunRow, review: Resource | None) -> Resource:
    """A run is its creator's. One made for a review is review content too (``review``: what the review slice
    says such a run is judged by): at the review's classification, for the users assigned to the review, its
    creator and programme administrators; nobody else can tell it exists."""
    creator = frozenset({UserID(row.created_by)})
    if review is None:
        return Resource(kind=ResourceKind.EVAL_RUN, assigned=creator)
    return Resource(
        kind=ResourceKind.EVAL_RUN, classification=review.classification, assigned=review.assigned | creator
    )


class EvalService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        evals_dir: Path,
        runner: InspectRunner | None = None,
        reviews: ReviewResults | None = None,
        identity: Any = None,  # for the job handler: anything with get_principal(user_id) -> Principal
        queue: DatabaseJobQueue | None = None,  # default: the jobs table, polled by in-process workers
        uow: UnitOfWork | None = None,  # the audited unit of work (the container's)
    ) -> None:
        self._uow = uow
        self._db = database
        self._clock = clock
        self._dir = evals_dir
        self.queue = queue or DatabaseJobQueue(database, clock)
        self._runner = runner or InspectRunner()
        self._reviews = reviews
        self._identity = identity

    def start_run(
        self,
        actor: Principal,
        *,
        model: str,
        suite_name: str = DEFAULT_SUITE,
        tasks: Sequence[str] | None = None,
        limit: int | None = 10,
        epochs: int | None = None,
        baselines: bool = True,
        grader_model: str | None = None,
        data_dir: str | None = None,
        review_id: str | None = None,
        max_samples: int | None = None,
        max_tokens: int | None = None,
    ) -> EvalRunPublic:
        """Record the run and queue its job, in one transaction. Nothing runs until a worker claims it."""
        with self._unit(actor, "eval_run.create", None) as session:  # its refusals are recorded too
            known = {t.name: t for t in suite(suite_name)}
            chosen = list(tasks) if tasks else list(known)  # the whole suite, the sandboxed exploitation too
            unknown = [t for t in chosen if t not in known]
            if unknown:
                raise InvalidEvalRequest(
                    f"task(s) {', '.join(unknown)} not in suite {suite_name}",
                    hint=f"choose from {', '.join(known)}",
                )
            if review_id is not None:
                if self._reviews is None:
                    raise ReviewIntegrationUnavailable(
                        "runs for a review need the review slice's eval-result attachment, not available yet",
                        hint="run without --review; attach the logs to the review once it is available",
                    )
                self._reviews.authorize_eval_run(actor, ReviewID(review_id))
            else:
                authorize(
                    actor,
                    Action.CREATE,
                    Resource(ResourceKind.EVAL_RUN, assigned=frozenset({actor.user_id})),
                    what="evaluation run",
                )
            run_id = f"evr_{secrets.token_hex(8)}"
            spec = RunSpec(  # validates
                model=model,
                tasks=tuple(chosen),
                log_dir=self._dir / run_id,
                limit=limit,
                epochs=epochs,
                baselines=baselines,
                pool_period=period_of(self._clock.now()),  # the held-out pool this run draws from
                grader_model=grader_model,
                data_dir=data_dir,
                max_samples=max_samples,
                max_tokens=max_tokens,
            )
            job = self.queue.enqueue_in(session, JOB_KIND, {"run_id": run_id}, key=f"{JOB_KIND}:{run_id}")
            row = EvalRunRow(
                id=run_id,
                job_id=job.id,
                model=model,
                suite=suite_name,
                tasks=chosen,
                params=spec.stored_params(),
                review_id=review_id,
                created_by=actor.user_id,
                status=JobStatus.QUEUED,
                log_dir=str(self._dir / run_id),
                created_at=self._clock.now(),
            )
            session.add(row)
            session.flush()
            self._record(session, actor, "eval_run.create", run_id, review_id=review_id, model=model, tasks=chosen)
            return self._public(row, job)

    def handle(self, job: Job, progress: Progress) -> dict[str, Any]:
        """The job handler: run (or resume) the suite, then store the summary (and review evidence)."""
        run_id = str(job.payload["run_id"])
        with self._db.read_session() as session:
            row = session.get(EvalRunRow, run_id)
            if row is None:
                raise EvalRunConflict(f"job {job.id} names run {run_id}, which does not exist")
            spec = RunSpec.from_stored(row.model, row.tasks, row.log_dir, row.params)
            review_id, created_by = row.review_id, row.created_by
        for_review = review_id is not None and self._reviews is not None and self._identity is not None
        if for_review:
            # The review may have closed (or been taken from its creator) since the run was queued: a refusal
            # here fails the job at once, before any evaluation work, and is not retried.
            assert self._reviews is not None and review_id is not None
            self._reviews.authorize_eval_run(self._identity.get_principal(created_by), ReviewID(review_id))
        self._set(run_id, status=JobStatus.RUNNING)
        log_files = self._runner.run(spec, progress)
        profile = self.summarise(spec.model, f"run {run_id}", log_files)
        if for_review:
            assert self._reviews is not None and review_id is not None
            actor = self._identity.get_principal(created_by)
            results = EvalResults.from_profile(EvalRunID(run_id), profile, log_files)
            self._reviews.attach_eval_results(actor, ReviewID(review_id), results)
        summary = profile.model_dump(mode="json")
        self._set(run_id, status=JobStatus.SUCCEEDED, summary=summary, finished_at=self._clock.now())
        return {"run_id": run_id, "log_files": [str(p) for p in log_files]}

    @staticmethod
    def summarise(model: str, source: str, log_files: Sequence[Path]) -> ModelProfile:
        from inspect_ai.log import read_eval_log

        return profile_from_logs(model, source, [read_eval_log(str(path)) for path in log_files])

    def _set(self, run_id: str, **values: Any) -> None:
        with self._unit(WORKER, "eval_run.status", run_id) as session:
            session.execute(sa.update(EvalRunRow).where(EvalRunRow.id == run_id).values(**values))
            self._record(session, WORKER, "eval_run.status", run_id, status=values.get("status"))

    @contextmanager
    def _unit(self, actor: Actor, action: str, run_id: str | None) -> Iterator[Session]:
        """An audited unit of work (``bastion.core.work``: refusals are recorded too); without one (a bare
        service in a test) a plain transaction whose events the next sealing write chains."""
        if self._uow is None:
            with self._db.session() as session:
                yield session
            return
        with self._uow(actor, action, "eval_run", run_id) as work:
            yield work.session

    def _record(self, session: Session, actor: Actor, action: str, run_id: str | None, **detail: Any) -> None:
        audit.record(
            session,
            at=self._clock.now(),
            actor=actor,
            action=action,
            resource_type="eval_run",
            resource_id=run_id,
            detail=detail or None,
        )

    def _resources(self, rows: Sequence[EvalRunRow]) -> dict[str, Resource]:
        """Run id -> what the access policy judges it by (one look-up in the review slice for all of them).
        Without the review slice, a run made for a review is its creator's (and programme administrators')."""
        review_ids = {ReviewID(r.review_id) for r in rows if r.review_id is not None}
        reviews = self._reviews.eval_run_resources(review_ids) if self._reviews and review_ids else {}
        return {r.id: _resource(r, reviews.get(ReviewID(r.review_id)) if r.review_id else None) for r in rows}

    def _public(self, row: EvalRunRow, job: Job) -> EvalRunPublic:
        return EvalRunPublic(
            id=row.id,
            job_id=row.job_id,
            model=row.model,
            suite=row.suite,
            tasks=list(row.tasks),
            params=dict(row.params),
            review_id=row.review_id,
            created_by=row.created_by,
            status=job.status.value,
            progress=job.progress,
            message=job.message,
            attempts=job.attempts,
            log_dir=row.log_dir,
            summary=row.summary,
            error=job.error,
            created_at=row.created_at,
            finished_at=row.finished_at,
        )

    def get_run(self, actor: Principal, run_id: str) -> EvalRunPublic:
        with self._unit(actor, "eval_run.read", run_id) as session:
            row = session.get(EvalRunRow, run_id)
            if row is None:
                raise not_found(f"evaluation run {run_id}")
            authorize(actor, Action.READ, self._resources([row])[row.id], what=f"evaluation run {run_id}")
            self._record(session, actor, "eval_run.read", run_id, review_id=row.review_id)
        return self._public(row, self.queue.get(JobID(row.job_id)))

    def list_runs(self, actor: Principal, *, model: str | None = None) -> list[EvalRunPublic]:
        with self._unit(actor, "eval_run.list", None) as session:
            query = sa.select(EvalRunRow).order_by(EvalRunRow.created_at.desc(), EvalRunRow.id)
            if model is not None:
                query = query.where(EvalRunRow.model == model)
            candidates = session.scalars(query).all()
            resources = self._resources(candidates)
            rows = [r for r in candidates if visible(actor, resources[r.id])]
            self._record(session, actor, "eval_run.list", None, model=model, count=len(rows))
        return [self._public(r, self.queue.get(JobID(r.job_id))) for r in rows]

    def profiles(
        self,
        actor: Principal,
        run_ids: Sequence[str],
        *,
        reference_runs: Sequence[str] = (),
        reference_files: Sequence[Path] = (),
    ) -> list[ModelProfile]:
        """The runs' profiles first, then reference models (earlier runs, then published figures)."""
        profiles = []
        for run_id in [*run_ids, *reference_runs]:
            run = self.get_run(actor, run_id)
            if run.summary is None:
                raise EvalRunConflict(
                    f"evaluation run {run_id} has no results yet (status {run.status})",
                    hint=f"wait for it to finish: bastion eval status {run_id}",
                )
            profiles.append(ModelProfile.model_validate(run.summary))
        for path in reference_files:
            profiles.extend(load_references(path))
        return profiles
