"""Configuration picks the job queue (``BASTION_JOBS_BACKEND``), and the CLI's workers use it."""

from __future__ import annotations

import pytest

from bastion.cli.main import main
from bastion.container import Container
from bastion.core.config import Settings
from bastion.jobs.backend import JobsBackendMisconfigured, job_queue
from bastion.jobs.database import DatabaseJobQueue
from bastion.jobs.redis_queue import JobDeliveryUnavailable, RedisJobQueue
from bastion.runtime import Runtime


def test_the_embedded_default_polls_the_jobs_table(runtime: Runtime) -> None:
    queue = Container(runtime).evals.queue
    assert type(queue) is DatabaseJobQueue


def test_the_redis_backend_is_chosen_by_configuration(runtime: Runtime) -> None:
    runtime.settings = Settings(
        data_dir=runtime.settings.data_dir,
        database_url=runtime.database.url,
        jobs_backend="redis",
        redis_url="redis://:s3cret@127.0.0.1:1/0",
    )
    queue = Container(runtime).evals.queue
    assert isinstance(queue, RedisJobQueue)
    with pytest.raises(JobDeliveryUnavailable, match=r"cannot reach Redis at redis://:\*\*\*@127.0.0.1:1/0") as caught:
        queue.claim("w", frozenset({"eval_run"}))
    assert "s3cret" not in str(caught.value)


def test_the_redis_backend_without_a_url_is_refused(runtime: Runtime) -> None:
    settings = Settings(data_dir=runtime.settings.data_dir, jobs_backend="redis")
    with pytest.raises(JobsBackendMisconfigured, match="needs a Redis URL") as caught:
        job_queue(settings, runtime.database, runtime.clock)
    assert caught.value.hint is not None and "BASTION_REDIS_URL" in caught.value.hint


def test_eval_work_reports_an_unreachable_redis(
    cli_env: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BASTION_JOBS_BACKEND", "redis")
    monkeypatch.setenv("BASTION_REDIS_URL", "redis://127.0.0.1:1/0")
    assert main(["eval", "work"]) == 3
    err = capsys.readouterr().err
    assert "cannot reach Redis at redis://127.0.0.1:1/0" in err
    assert "BASTION_REDIS_URL" in err  # the hint


def test_eval_work_without_a_redis_url_is_a_usage_error(
    cli_env: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BASTION_JOBS_BACKEND", "redis")
    monkeypatch.delenv("BASTION_REDIS_URL", raising=False)
    assert main(["eval", "work", "--forever"]) == 2
    assert "needs a Redis URL" in capsys.readouterr().err
