"""/api/eval-runs: the evaluation runs a caller may see (read only; runs are started with ``bastion eval run``).

Visibility is the evals service's, through the one access policy: a run that is not the caller's to know of
is absent from the list and answers 404, exactly like a run that does not exist."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from bastion.api.auth import PrincipalDep
from bastion.api.deps import get_container
from bastion.evals import EvalRunPublic, EvalRunsPublic, EvalService

router = APIRouter(prefix="/api/eval-runs")


def _service(request: Request) -> EvalService:
    """The app's one evals service (a Celery-backed queue keeps its broker connection pool)."""
    return get_container(request).evals


ServiceDep = Annotated[EvalService, Depends(_service)]
_tags: list[str | Enum] = ["evaluations"]


@router.get("", tags=_tags, summary="Evaluation runs you may see, newest first")
def list_eval_runs(
    actor: PrincipalDep,
    service: ServiceDep,
    model: Annotated[str | None, Query(max_length=200, description="Only runs of this PROVIDER/MODEL.")] = None,
) -> EvalRunsPublic:
    runs = service.list_runs(actor, model=model)
    return EvalRunsPublic(data=runs, count=len(runs))


@router.get("/{run_id}", tags=_tags, summary="One evaluation run: status, progress, summary")
def get_eval_run(run_id: str, actor: PrincipalDep, service: ServiceDep) -> EvalRunPublic:
    return service.get_run(actor, run_id)
