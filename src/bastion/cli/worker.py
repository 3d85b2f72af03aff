"""``bastion worker``: run background jobs (evaluation runs) and periodic work (review tick, advisory refresh).

With the embedded default (``BASTION_JOBS_BACKEND=inprocess``) it runs in this process: the jobs that are
queued and the periodic work that is due, then exits (run it from cron), or with ``--forever`` keeps going
until SIGTERM or Ctrl-C. With ``BASTION_JOBS_BACKEND=celery`` it starts a Celery worker on the configured
broker (``--beat`` also runs the schedule; run exactly one beat per deployment).
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer
from rich.markup import escape

from bastion.cli import context
from bastion.cli.exits import ExitCode
from bastion.core.errors import InvalidInput
from bastion.jobs.interface import Job, JobStatus


def worker_command(
    forever: Annotated[
        bool, typer.Option("--forever", help="Keep running until SIGTERM (always so with the celery backend).")
    ] = False,
    beat: Annotated[
        bool, typer.Option("--beat", help="Celery backend: also run the periodic schedule (Celery beat).")
    ] = False,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", min=1, help="Celery backend: jobs run at once (default: CPUs).")
    ] = None,
    loglevel: Annotated[str, typer.Option("--loglevel", help="Celery backend: log level.")] = "INFO",
) -> int:
    """Run background jobs and the periodic work that is due."""
    container = context.container()
    if container.settings.jobs_backend == "celery":
        from bastion.workers import run_celery_worker

        run_celery_worker(container, beat=beat, concurrency=concurrency, loglevel=loglevel)
        return ExitCode.OK
    if beat or concurrency is not None:
        raise InvalidInput(
            "--beat and --concurrency are for Celery workers; the in-process worker runs one job at a time and "
            "runs the periodic schedule itself",
            hint="drop the option, or set BASTION_JOBS_BACKEND=celery and BASTION_BROKER_URL",
        )
    from bastion.workers import in_process_runner

    runner = in_process_runner(container)
    failed: list[Job] = []

    def on_done(job: Job) -> None:
        if job.status is JobStatus.FAILED:
            failed.append(job)
        line = f"{job.id} {job.kind} {job.status.value} (attempt {job.attempts})"
        if job.error and job.status is not JobStatus.SUCCEEDED:
            line += f": {escape(job.error)}"
        context.err_console.print(line, highlight=False)

    if forever:
        stop = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            runner.run_forever(stop, on_done=on_done)
        finally:
            signal.signal(signal.SIGTERM, previous)
        return ExitCode.OK
    for job in runner.run_until_idle():
        on_done(job)
    return ExitCode.OPERATIONAL if failed else ExitCode.OK


def register(app: typer.Typer) -> None:
    app.command("worker")(worker_command)
