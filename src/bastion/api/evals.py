"""/api/eval-runs: the evaluation runs a caller may see (read only; runs are started with ``bastion eval run``).

Visibility is the evals service's, through the one access policy: a run that is not the caller's to know of
is absent from the list and answers 404, exactly like a run that does not exist."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Query

from bastion.api.auth import PrincipalDep
from bastion.api.deps import RuntimeDep
from bastion.evals.composition import eval_service
from bastion.evals.schemas import EvalRunPublic, EvalRunsPublic

router = APIRouter(prefix="/api/eval-runs")
_tags: list[str | Enum] = ["evaluations"]


@router.get("", tags=_tags, summary="Evaluation runs you may see, newest first")
def list_eval_runs(
    actor: PrincipalDep,
    runtime: RuntimeDep,
    model: Annotated[str | None, Query(max_length=200, description="Only runs of this PROVIDER/MODEL.")] = None,
) -> EvalRunsPublic:
    runs = eval_service(runtime).list_runs(actor, model=model)
    return EvalRunsPublic(data=runs, count=len(runs))


@router.get("/{run_id}", tags=_tags, summary="One evaluation run: status, progress, summary")
def get_eval_run(run_id: str, actor: PrincipalDep, runtime: RuntimeDep) -> EvalRunPublic:
    return eval_service(runtime).get_run(actor, run_id)
