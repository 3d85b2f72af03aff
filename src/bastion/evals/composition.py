"""Wire the evals service from a runtime (used by the shells)."""

from __future__ import annotations

from bastion.evals.review_seam import review_results_for
from bastion.evals.runner import InspectRunner
from bastion.evals.service import JOB_KIND, EvalService
from bastion.jobs.backend import job_queue
from bastion.jobs.inprocess import InProcessRunner
from bastion.runtime import Runtime


def eval_service(runtime: Runtime, runner: InspectRunner | None = None) -> EvalService:
    from bastion.identity.service import IdentityService

    return EvalService(
        runtime.database,
        runtime.clock,
        evals_dir=runtime.settings.data_dir / "evals",
        runner=runner,
        reviews=review_results_for(runtime),
        identity=IdentityService(runtime.database, runtime.clock),
        queue=job_queue(runtime.settings, runtime.database, runtime.clock),
    )


def worker_for(service: EvalService) -> InProcessRunner:
    worker = InProcessRunner(service.queue)
    worker.register(JOB_KIND, service.handle)
    return worker
