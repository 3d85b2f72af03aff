"""The ``eval_runs`` table (migration ``0004_evals``): one row per ``bastion eval run``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bastion.db.base import Base, EnumText, UTCDateTime
from bastion.jobs.interface import JobStatus


class EvalRunRow(Base):
    __tablename__ = "eval_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(200))
    suite: Mapped[str] = mapped_column(String(64))
    tasks: Mapped[list[str]] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    review_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_by: Mapped[str] = mapped_column(String(40))
    status: Mapped[JobStatus] = mapped_column(EnumText(JobStatus, 16))
    log_dir: Mapped[str] = mapped_column(Text)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        Index("ix_eval_runs_model", "model"),
        Index("ix_eval_runs_review_id", "review_id"),
    )
