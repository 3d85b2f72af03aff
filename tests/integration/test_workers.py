"""The composition of background work (``bastion.workers``) in the embedded worker: the periodic review tick
and advisory refresh run on schedule by the injected clock, next to evaluation runs; ``bastion worker`` runs
them from the command line. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bastion.advisories.service import AdvisoryService
from bastion.clearinghouse._base import VALIDATE_JOB
from bastion.clearinghouse.fixes import AI_PATCH_JOB
from bastion.cli.main import main
from bastion.container import Container
from bastion.core.clock import ManualClock
from bastion.evals.service import JOB_KIND
from bastion.jobs.interface import JobStatus
from bastion.runtime import Runtime
from bastion.workers import (
    ADVISORY_REFRESH,
    ALERT_DELIVERY,
    CLEARINGHOUSE_TICK,
    REVIEW_TICK,
    in_process_runner,
    job_registry,
)
from tests.integration.review.support import build_cast, ok, submission_body

HASKELL = Path("osv") / "haskell-security-advisories-osv.zip"


def test_every_kind_of_work_is_registered(runtime: Runtime) -> None:
    registry = job_registry(Container(runtime))
    clearinghouse = {VALIDATE_JOB, AI_PATCH_JOB}
    periodic = {REVIEW_TICK, ADVISORY_REFRESH, CLEARINGHOUSE_TICK, ALERT_DELIVERY}
    assert set(registry.handlers) == {JOB_KIND, *periodic, *clearinghouse}
    assert {p.name: p.every for p in registry.periodic} == {
        REVIEW_TICK: timedelta(minutes=5),
        ADVISORY_REFRESH: timedelta(days=1),
        CLEARINGHOUSE_TICK: timedelta(minutes=5),
        ALERT_DELIVERY: timedelta(minutes=1),
    }
    off = {
        "review_tick_seconds": 0,
        "advisory_refresh_seconds": 0,
        "clearinghouse_tick_seconds": 0,
        "alert_delivery_seconds": 0,
    }
    runtime.settings = runtime.settings.model_copy(update=off)
    assert set(job_registry(Container(runtime)).handlers) == {JOB_KIND, *clearinghouse}  # 0 turns periodic work off


def test_the_embedded_worker_runs_the_review_tick_and_the_advisory_refresh_on_schedule(
    runtime: Runtime, client: TestClient, clock: ManualClock, shared_data: Path
) -> None:
    runtime.settings = runtime.settings.model_copy(
        update={
            "osv_sources": [str(shared_data / HASKELL)],
            "review_tick_seconds": 3600,
            "clearinghouse_tick_seconds": 0,  # its clock has tests of its own
            "alert_delivery_seconds": 0,  # as has the alerts' outbox
        }
    )
    cast = build_cast(runtime)
    sub_id = ok(client.post("/api/submissions", json=submission_body(), headers=cast.headers("owner_lab")), 201)["id"]
    rev_id = ok(client.post("/api/reviews", json={"submission_id": sub_id}, headers=cast.headers("admin")), 201)["id"]
    worker = in_process_runner(Container(runtime), worker="embedded")

    first = {job.kind: job for job in worker.run_until_idle()}
    assert {kind: job.status for kind, job in first.items()} == {
        REVIEW_TICK: JobStatus.SUCCEEDED,
        ADVISORY_REFRESH: JobStatus.SUCCEEDED,
    }
    assert first[REVIEW_TICK].result == {"closed": [], "reminders": 0}
    refreshed = first[ADVISORY_REFRESH].result
    assert refreshed is not None and refreshed["imported"] > 0 and refreshed["failed"] == 0
    assert AdvisoryService(runtime.database).stats().advisories == refreshed["imported"]
    assert worker.run_until_idle() == []  # nothing more is due in these slots

    clock.advance(timedelta(days=23))  # 7 days before the window closes
    later = {job.kind: job.result for job in worker.run_until_idle()}
    assert later[REVIEW_TICK] == {"closed": [], "reminders": 1}
    assert later[ADVISORY_REFRESH] is not None
    assert (later[ADVISORY_REFRESH]["imported"], later[ADVISORY_REFRESH]["unchanged"]) == (0, refreshed["imported"])

    clock.advance(timedelta(days=7))
    [tick] = [job for job in worker.run_until_idle() if job.kind == REVIEW_TICK]
    assert tick.result == {"closed": [rev_id], "reminders": 0}
    review = ok(client.get(f"/api/reviews/{rev_id}", headers=cast.headers("admin")))
    assert review["status"] == "closed"


def test_bastion_worker_runs_what_is_due_and_says_what_it_did(
    cli_env: Runtime, shared_data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BASTION_OSV_SOURCES", json.dumps([str(shared_data / HASKELL)]))
    monkeypatch.setenv("BASTION_ALERT_DELIVERY_SECONDS", "0")  # a one-minute slot could turn between the two runs
    assert main(["worker"]) == 0
    err = capsys.readouterr().err
    assert f"{REVIEW_TICK} succeeded (attempt 1)" in err
    assert f"{ADVISORY_REFRESH} succeeded (attempt 1)" in err
    assert main(["worker"]) == 0  # the same slots: nothing runs twice
    assert capsys.readouterr().err == ""


def test_bastion_worker_reports_a_failed_job_and_exits_3(
    cli_env: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BASTION_OSV_SOURCES", json.dumps([str(tmp_path / "no-such-export.zip")]))
    assert main(["worker"]) == 3
    err = capsys.readouterr().err
    assert f"{ADVISORY_REFRESH} failed (attempt 1)" in err  # a refusal: not retried
    assert "no-such-export.zipdoesnotexist" in "".join(err.split())  # rich wraps long lines anywhere


def test_bastion_worker_options_for_celery_only_are_refused_in_process(
    cli_env: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["worker", "--beat"]) == 2
    assert "--beat and --concurrency are for Celery workers" in capsys.readouterr().err
