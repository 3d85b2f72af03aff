"""Public records of the evals slice (API/CLI schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class EvalRunPublic(BaseModel):
    id: str
    job_id: str
    model: str
    suite: str
    tasks: list[str]
    params: dict[str, Any]
    review_id: str | None
    created_by: str
    status: str  # the job's: queued, running, succeeded, failed
    progress: float
    message: str
    attempts: int
    log_dir: str
    summary: dict[str, Any] | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None


class EvalRunsPublic(BaseModel):
    data: list[EvalRunPublic]
    count: int
