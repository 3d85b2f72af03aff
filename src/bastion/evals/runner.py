"""Run a suite with Inspect AI: one ``eval_set`` per task, each in its own log directory.

Resuming is Inspect's: calling ``eval_set`` again with the same log directory skips tasks whose log is
complete and retries incomplete ones, reusing the samples already finished. So an interrupted run, run again
by its job, only does the work that is left. Progress is reported per task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from bastion.core.files import private_dir, secure_tree
from bastion.evals.errors import EvalExecutionFailed, InvalidEvalRequest
from bastion.jobs.interface import Progress

ModelFactory = Callable[[str], Any]  # "provider/model" -> what Inspect accepts as a model (str or Model)


@dataclass(frozen=True, slots=True)
class RunSpec:
    model: str
    tasks: tuple[str, ...]  # task names, e.g. ("vuln_identification", "safeguards")
    log_dir: Path
    limit: int | None = 10
    epochs: int = 1
    grader_model: str | None = None
    data_dir: str | None = None
    max_samples: int | None = None  # samples run concurrently per task (Inspect's default when None)
    max_tokens: int | None = None  # cap on each generation (the model's default when None)
    task_args: dict[str, dict[str, Any]] = field(default_factory=dict)  # per-task extra arguments

    def __post_init__(self) -> None:
        if "/" not in self.model:
            raise InvalidEvalRequest(
                f"model {self.model!r} is not of the form PROVIDER/MODEL", hint="e.g. openai/gpt-4o"
            )
        if self.epochs < 1:
            raise InvalidEvalRequest(f"epochs must be at least 1, got {self.epochs}")
        if self.limit is not None and self.limit < 1:
            raise InvalidEvalRequest(f"limit must be a positive number of samples, got {self.limit}")
        if not self.tasks:
            raise InvalidEvalRequest("no tasks to run")


def _task_args(spec: RunSpec, name: str) -> dict[str, Any]:
    args: dict[str, Any] = {"limit": spec.limit}
    if spec.data_dir is not None:
        args["data_dir"] = spec.data_dir
    if spec.grader_model is not None and name in ("safeguards", "prompt_injection"):
        args["grader_model"] = spec.grader_model
    args.update(spec.task_args.get(name, {}))
    return args


def create_task(name: str, args: dict[str, Any]) -> Any:
    """Create a registered task by its short name (``bastion/<name>`` in Inspect's registry)."""
    from inspect_ai._eval.registry import task_create  # the CLI's own resolver: entry points + arg filter

    import bastion.evals._registry  # noqa: F401 - registers the bastion tasks and sandbox

    try:
        return task_create(f"bastion/{name}", **args)
    except Exception as e:
        if type(e).__name__ == "PrerequisiteError":
            raise InvalidEvalRequest(f"task {name!r} is not available in this installation") from e
        raise


def _local_path(location: str) -> Path:
    """Inspect reports log locations as ``file:`` URIs for local directories."""
    parsed = urlparse(location)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(location)


class InspectRunner:
    def __init__(self, model_factory: ModelFactory | None = None) -> None:
        self._model_factory = model_factory or (lambda name: name)

    def run(self, spec: RunSpec, progress: Progress) -> list[Path]:
        """Run (or resume) every task; returns the log files. Raises if a task cannot complete."""
        from inspect_ai import eval_set

        log_files: list[Path] = []
        for index, name in enumerate(spec.tasks):
            progress(index / len(spec.tasks), f"task {index + 1}/{len(spec.tasks)}: {name}")
            task = create_task(name, _task_args(spec, name))
            task_dir = private_dir(spec.log_dir / name)
            try:
                success, logs = eval_set(
                    [task],
                    log_dir=str(task_dir),
                    model=self._model_factory(spec.model),
                    model_roles={"grader": spec.grader_model} if spec.grader_model else None,
                    epochs=spec.epochs,
                    display="none",
                    retry_attempts=1,
                    retry_wait=1,
                    log_format="eval",
                    log_buffer=1,  # flush every finished sample: a killed run loses only those in flight
                    max_samples=spec.max_samples,
                    max_tokens=spec.max_tokens,
                )
            except Exception as e:
                raise EvalExecutionFailed(
                    f"task {name} could not run: {e}", details={"task": name, "log_dir": str(task_dir)}
                ) from e
            if not success:
                errors = [log.error.message for log in logs if log.error is not None]
                raise EvalExecutionFailed(
                    f"task {name} did not complete: {'; '.join(errors) or 'see the Inspect log'}",
                    hint="run again to resume; finished samples are kept",
                    details={"task": name, "log_dir": str(task_dir)},
                )
            secure_tree(task_dir)  # Inspect writes with the default umask; the logs are the server's alone
            log_files.extend(_local_path(log.location) for log in logs)
        progress(1.0, "all tasks complete")
        return log_files
