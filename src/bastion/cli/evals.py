"""``bastion eval``: run the cyber battery as a background job, follow it, list runs, build profiles.

A run is queued as a job and, unless ``--detach``, worked on right here with a progress bar. An interrupted
run (Ctrl-C, a killed process) is resumed by ``bastion eval work`` (or the next ``bastion eval run``) once its
heartbeat is stale: Inspect's eval set skips the finished work. ``bastion eval work --forever`` is a
long-running worker (stopped by SIGTERM or Ctrl-C). ``bastion worker`` runs every kind of job (with
``BASTION_JOBS_BACKEND=celery``, as Celery workers on any number of machines).
"""

from __future__ import annotations

import json
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from bastion.cli import context
from bastion.cli.auth import current_principal
from bastion.cli.exits import ExitCode
from bastion.evals import DEFAULT_SUITE, SUITES, EvalRunPublic, records
from bastion.evals.composition import worker_for
from bastion.evals.render import profile_chart, profile_table
from bastion.jobs.interface import Job

evals = typer.Typer(help="The cyber-capability evaluation battery (Inspect AI).", no_args_is_help=True)


def _work(run_id: str | None = None, *, forever: bool = False) -> int:
    service = context.container().evals
    worker = worker_for(service)
    failed: list[Job] = []

    def on_done(job: Job) -> None:
        if job.status.value == "failed" and (run_id is None or job.payload.get("run_id") == run_id):
            failed.append(job)
            context.err_console.print(f"[bold red]run {job.payload.get('run_id')} failed[/]: {escape(job.error or '')}")

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=context.err_console,
        transient=True,
    ) as bar:
        tracked = bar.add_task("waiting", total=1.0)

        def on_progress(job: Job, fraction: float, message: str) -> None:
            bar.update(tracked, completed=fraction, description=f"{job.payload.get('run_id')}: {message}")

        if forever:
            stop = threading.Event()
            previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
            try:
                worker.run_forever(stop, on_progress=on_progress, on_done=on_done)
            finally:
                signal.signal(signal.SIGTERM, previous)
            return ExitCode.OK
        for job in worker.run_until_idle(on_progress=on_progress):
            on_done(job)
    return ExitCode.OPERATIONAL if failed else ExitCode.OK


def _show(run: EvalRunPublic) -> None:
    context.console.print(
        f"[bold]{run.id}[/] {run.model} suite={run.suite} status={run.status} "
        f"{run.progress:.0%} ({run.message}) attempts={run.attempts}",
        highlight=False,
    )
    if run.error:
        context.console.print(f"  error: {escape(run.error)}", highlight=False)
    context.console.print(f"  logs: {run.log_dir}", highlight=False)


@evals.command("run")
def run_command(  # noqa: PLR0917 - Typer maps each option to a parameter
    model: Annotated[str, typer.Option("--model", help="Model under test, PROVIDER/MODEL (Inspect syntax).")],
    suite_name: Annotated[str, typer.Option("--suite", help="Suite to run.")] = DEFAULT_SUITE,
    task: Annotated[list[str] | None, typer.Option("--task", help="Run only these tasks of the suite.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Samples per task.")] = 10,
    epochs: Annotated[
        int | None,
        typer.Option(
            "--epochs", min=1, help="Attempts per sample (pass@k); default: each task's own (exploitation 5)."
        ),
    ] = None,
    baselines: Annotated[
        bool, typer.Option("--baselines/--no-baselines", help="Run each task's trivial agents beside the model.")
    ] = True,
    grader_model: Annotated[str | None, typer.Option("--grader-model", help="Grader for model-graded tasks.")] = None,
    max_tokens: Annotated[
        int | None, typer.Option("--max-tokens", min=1, help="Cap on each generation (small local models ramble).")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Local copy of the datasets.")] = None,
    review: Annotated[str | None, typer.Option("--review", help="Attach the results to this review.")] = None,
    detach: Annotated[bool, typer.Option("--detach", help="Only queue the job; `bastion eval work` runs it.")] = False,
) -> int:
    """Run a suite against a model as a background job (resumable)."""
    actor = current_principal()
    service = context.container().evals
    run = service.start_run(
        actor,
        model=model,
        suite_name=suite_name,
        tasks=task,
        limit=limit,
        epochs=epochs,
        baselines=baselines,
        grader_model=grader_model,
        max_tokens=max_tokens,
        data_dir=str(data_dir) if data_dir else None,
        review_id=review,
    )
    context.console.print(f"queued run [bold]{run.id}[/] (job {run.job_id})", highlight=False)
    if detach:
        return ExitCode.OK
    code = _work(run.id)
    _show(service.get_run(actor, run.id))
    return code


@evals.command("work")
def work_command(
    forever: Annotated[
        bool, typer.Option("--forever", help="Keep waiting for new jobs (a long-running worker) until SIGTERM.")
    ] = False,
) -> int:
    """Run queued and interrupted evaluation jobs until none is left (or, with --forever, until stopped)."""
    return _work(forever=forever)


@evals.command("status")
def status_command(run_id: Annotated[str, typer.Argument(help="The run's id (see `bastion eval list`).")]) -> int:
    """Show a run's status, progress and summary."""
    run = context.container().evals.get_run(current_principal(), run_id)
    _show(run)
    if run.summary:
        from bastion.evals import ModelProfile

        context.console.print(profile_table([ModelProfile.model_validate(run.summary)]))
    return ExitCode.OK


@evals.command("list")
def list_command(model: Annotated[str | None, typer.Option("--model", help="Only runs of this model.")] = None) -> int:
    """List the runs you may see."""
    for run in context.container().evals.list_runs(current_principal(), model=model):
        _show(run)
    return ExitCode.OK


@evals.command("profile")
def profile_command(
    run_ids: Annotated[list[str], typer.Argument(help="Runs to profile.")],
    reference_run: Annotated[list[str] | None, typer.Option("--reference-run", help="Earlier runs to compare.")] = None,
    reference: Annotated[list[Path] | None, typer.Option("--reference", help="Published figures (JSON).")] = None,
    json_out: Annotated[
        Path | None, typer.Option("--output", help="Also write the profile as JSON to this file.")
    ] = None,
    chart: Annotated[Path | None, typer.Option("--chart", help="Write a PNG chart here.")] = None,
) -> int:
    """Capability profile: success rate with a 95% interval and pass@k, side by side with references."""
    profiles = context.container().evals.profiles(
        current_principal(), run_ids, reference_runs=reference_run or [], reference_files=reference or []
    )
    context.console.print(profile_table(profiles))
    if json_out is not None:
        json_out.write_text(json.dumps([p.model_dump(mode="json") for p in profiles], indent=2), encoding="utf-8")
        context.console.print(f"profile written to {json_out}", highlight=False)
    if chart is not None:
        context.console.print(f"chart written to {profile_chart(profiles, chart)}", highlight=False)
    return ExitCode.OK


@evals.command("tasks")
def tasks_command() -> int:
    """List the suites and their tasks."""
    for name, tasks in SUITES.items():
        context.console.print(f"[bold]{name}[/]", highlight=False)
        for item in tasks:
            note = " (when installed)" if item.optional else ""
            context.console.print(f"  {item.registry_name}{note}: {item.summary}", highlight=False)
    return ExitCode.OK


human_app = typer.Typer(help="Human baselines: an expert's time per challenge (Inspect's human agent).")
LogsArg = Annotated[list[Path], typer.Argument(help="Inspect log files (.eval or .json) to read.")]


def _read_logs(paths: list[Path]) -> list[tuple[str, Any]]:
    from inspect_ai.log import read_eval_log

    from bastion.evals import InvalidEvalRequest

    logs = []
    for path in paths:
        try:
            logs.append((str(path), read_eval_log(str(path))))
        except (OSError, ValueError) as e:
            raise InvalidEvalRequest(f"cannot read Inspect log {path}: {e}", hint="pass a .eval or .json log") from e
    return logs


@human_app.command("record")
def human_record(
    logs: LogsArg,
    expert: Annotated[str, typer.Option("--expert", help="Who worked the challenges (a name or a pseudonym).")],
    file: Annotated[Path, typer.Option("--file", help="The records file to update.")] = records.HUMAN_FILE,
) -> int:
    """Record an expert's time per challenge from the log of a human-agent run (``-T agent=human``)."""
    now = datetime.now(UTC)
    new = [r for where, log in _read_logs(logs) for r in records.human_results_from_log(log, where, expert, now)]
    merged = records.merge_human_results(records.human_results(file), new)
    records.save_human_results(merged, file)
    for result in new:
        minutes = records.human_minutes(result.challenge, merged)
        level = records.human_difficulty(minutes) or "not calibrated (unsolved)"
        context.console.print(
            f"{result.challenge}: {result.seconds / 60:.1f} min, {'solved' if result.solved else 'not solved'}; "
            f"difficulty from expert time: {level}",
            highlight=False,
        )
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    evals.add_typer(human_app, name="human")
    app.add_typer(evals, name="eval")
