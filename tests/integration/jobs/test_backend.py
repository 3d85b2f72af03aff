"""Configuration picks who runs jobs (``BASTION_JOBS_BACKEND``); bad settings are usage errors (exit 2), an
unreachable broker an operational one (exit 3), and neither loses an accepted job."""

from __future__ import annotations

import pytest

from bastion.cli.main import main
from bastion.container import Container
from bastion.jobs.celery_engine import CeleryDelivery
from bastion.jobs.interface import JobStatus
from bastion.runtime import Runtime

UNREACHABLE = "amqp://bastion:s3cret@127.0.0.1:1//"  # nothing listens there


def test_the_embedded_default_runs_jobs_in_process(runtime: Runtime) -> None:
    queue = Container(runtime).evals.queue
    assert queue._delivery is None


def test_the_celery_backend_is_chosen_by_configuration(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.model_copy(update={"jobs_backend": "celery", "broker_url": UNREACHABLE})
    queue = Container(runtime).evals.queue
    assert isinstance(queue._delivery, CeleryDelivery)
    job = queue.enqueue("eval_run", {"run_id": "evr_x"}, key="k")  # the broker is down: the job is still kept
    assert queue.get(job.id).status is JobStatus.QUEUED


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("BASTION_JOBS_BACKEND", "redis", "setting BASTION_JOBS_BACKEND is invalid: Input should be 'inprocess' or"),
        ("BASTION_BROKER_URL", "http://127.0.0.1:5672", "setting BASTION_BROKER_URL is invalid"),
        ("BASTION_JOBS_QUEUE", "two words", "setting BASTION_JOBS_QUEUE is invalid"),
        ("BASTION_REVIEW_TICK_SECONDS", "-5", "setting BASTION_REVIEW_TICK_SECONDS is invalid"),
        ("BASTION_ADVISORY_REFRESH_SECONDS", "daily", "setting BASTION_ADVISORY_REFRESH_SECONDS is invalid"),
    ],
)
def test_bad_job_settings_are_usage_errors(
    cli_env: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    value: str,
    says: str,
) -> None:
    monkeypatch.setenv(name, value)
    assert main(["worker"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert says in err
    assert "the README lists every setting" in err


def test_the_celery_backend_without_a_broker_is_a_usage_error(
    cli_env: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BASTION_JOBS_BACKEND", "celery")
    monkeypatch.delenv("BASTION_BROKER_URL", raising=False)
    for command in (["worker"], ["eval", "work"]):
        assert main(command) == 2
        err = " ".join(capsys.readouterr().err.split())
        assert "the celery jobs backend needs a broker URL" in err and "BASTION_BROKER_URL" in err


def test_a_worker_reports_an_unreachable_broker_without_its_password(
    cli_env: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BASTION_JOBS_BACKEND", "celery")
    monkeypatch.setenv("BASTION_BROKER_URL", UNREACHABLE)
    assert main(["worker"]) == 3
    err = " ".join(capsys.readouterr().err.split())
    assert "cannot reach the job broker at amqp://bastion:***@127.0.0.1:1// to start a worker" in err
    assert "BASTION_BROKER_URL" in err  # the hint
    assert "s3cret" not in err
