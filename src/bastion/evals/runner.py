"""Run a suite with Inspect AI: one ``eval_set`` per task, each in its own log directory, then each of the task's
trivial agents (``bastion.evals.baselines``) in the same harness, in ``baselines/<task>/<name>``, so that the
profile can show them beside the model. Baselines run one epoch each: they are scripted, not sampled.

Resuming is Inspect's: calling ``eval_set`` again with the same log directory skips tasks whose log is
complete and retries incomplete ones, reusing the samples already finished. So an interrupted run, run again
by its job, only does the work that is left. Progress is reported per task.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from pydantic import TypeAdapter, ValidationError

from bastion.core.files import private_dir, secure_tree
from bastion.evals.errors import EvalExecutionFailed, EvalRunConflict, InvalidEvalRequest
from bastion.jobs.interface import Progress

ModelFactory = Callable[[str], Any]  # "provider/model" -> what Inspect accepts as a model (str or Model)


@dataclass(frozen=True, slots=True)
class RunSpec:
    model: str
    tasks: tuple[str, ...]  # task names, e.g. ("vuln_identification", "safeguards")
    log_dir: Path
    limit: int | None = 10
    epochs: int | None = None  # attempts per sample; None: each task's own (5 for exploitation, else 1)
    grader_model: str | None = None
    data_dir: str | None = None
    max_samples: int | None = None  # samples run concurrently per task (Inspect's default when None)
    max_tokens: int | None = None  # cap on each generation (the model's default when None)
    task_args: dict[str, dict[str, Any]] = field(default_factory=dict)  # per-task extra arguments
    baselines: bool = True  # also run each task's trivial agents beside the model
    pool_period: str | None = None  # the held-out pool period the run draws from (recorded on every log)

    def __post_init__(self) -> None:
        if "/" not in self.model:
            raise InvalidEvalRequest(
                f"model {self.model!r} is not of the form PROVIDER/MODEL", hint="e.g. openai/gpt-4o"
            )
        if self.epochs is not None and self.epochs < 1:
            raise InvalidEvalRequest(f"epochs must be at least 1, got {self.epochs}")
        if self.limit is not None and self.limit < 1:
            raise InvalidEvalRequest(f"limit must be a positive number of samples, got {self.limit}")
        if not self.tasks:
            raise InvalidEvalRequest("no tasks to run")

    def stored_params(self) -> dict[str, Any]:
        """What a run's row keeps in ``params`` (its model, tasks and log directory have columns of their own)."""
        params: dict[str, Any] = _SPEC.dump_python(self, mode="json", exclude=_COLUMNS)
        return params

    @classmethod
    def from_stored(cls, model: str, tasks: Sequence[str], log_dir: str, params: Mapping[str, Any]) -> RunSpec:
        """The spec of a stored run, validated as one record (``stored_params`` wrote it)."""
        try:
            return _SPEC.validate_python({**params, "model": model, "tasks": tuple(tasks), "log_dir": log_dir})
        except ValidationError as e:
            raise EvalRunConflict(f"the stored parameters of the run in {log_dir} are not a run spec: {e}") from e


_COLUMNS = {"model", "tasks", "log_dir"}
_SPEC: TypeAdapter[RunSpec] = TypeAdapter(RunSpec)


def _task_args(spec: RunSpec, name: str) -> dict[str, Any]:
    args: dict[str, Any] = {"limit": spec.limit}
    if spec.data_dir is not None:
        args["data_dir"] = spec.data_dir
    if spec.grader_model is not None and name in ("safeguards", "prompt_injection"):
        args["grader_model"] = spec.grader_model
    if spec.pool_period is not None and name in ("exploitation", "exploitation_advanced"):
        args["pool_period"] = spec.pool_period
    args.update(spec.task_args.get(name, {}))
    return args


def create_task(name: str, args: dict[str, Any]) -> Any:
    """Create a Bastion task by its short name (``bastion/<name>`` in Inspect's registry) with the arguments
    it takes: the run's common arguments (``limit``, ``data_dir``, ...) only where the task declares them."""
    from inspect_ai.util import registry_info

    from bastion.evals._registry import TASKS  # also registers the tasks and the sandbox with Inspect

    factory = TASKS.get(name)
    if factory is None:
        raise InvalidEvalRequest(f"unknown task {name!r}", hint=f"known tasks: {', '.join(TASKS)}")
    params = set(registry_info(factory).metadata["params"])
    return factory(**{key: value for key, value in args.items() if key in params})


def _local_path(location: str) -> Path:
    """Inspect reports log locations as ``file:`` URIs for local directories."""
    parsed = urlparse(location)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(location)


class InspectRunner:
    def __init__(self, model_factory: ModelFactory | None = None) -> None:
        self._model_factory = model_factory or (lambda name: name)

    def run(self, spec: RunSpec, progress: Progress) -> list[Path]:
        """Run (or resume) every task and its baselines; returns the log files (the model's first, then the
        baselines', told apart by ``metadata["baseline"]``). Raises if a task cannot complete."""
        from bastion.evals.baselines import baselines_for
        from bastion.evals.tasks._common import epochs_with_pass_at

        log_files: list[Path] = []
        for index, name in enumerate(spec.tasks):
            progress(index / len(spec.tasks), f"task {index + 1}/{len(spec.tasks)}: {name}")
            task_dir = spec.log_dir / name
            epochs = epochs_with_pass_at(spec.epochs) if spec.epochs is not None else None
            pool = {"pool_period": spec.pool_period}
            log_files += self._eval(
                spec, name, task_dir, model=self._model_factory(spec.model), epochs=epochs, metadata=pool
            )
            for baseline in baselines_for(name) if spec.baselines else ():
                progress(index / len(spec.tasks), f"task {index + 1}/{len(spec.tasks)}: {name}, {baseline.name}")
                kind = "agent" if baseline.agent else "model"
                log_files += self._eval(
                    spec,
                    name,
                    spec.log_dir / "baselines" / name / baseline.slug,  # apart: eval_set owns its directory
                    model=baseline.model_for_run(),
                    solver=baseline.solver(),
                    epochs=epochs_with_pass_at(1),
                    metadata={**pool, "baseline": baseline.name, "baseline_kind": kind},
                )
        progress(1.0, "all tasks complete")
        return log_files

    @staticmethod
    def _eval(spec: RunSpec, name: str, task_dir: Path, *, model: Any, **options: Any) -> list[Path]:
        from inspect_ai import eval_set

        task = create_task(name, _task_args(spec, name))
        try:
            success, logs = eval_set(
                [task],
                log_dir=str(private_dir(task_dir)),
                model=model,
                model_roles={"grader": spec.grader_model} if spec.grader_model else None,
                display="none",
                retry_attempts=1,
                retry_wait=1,
                log_format="eval",
                log_buffer=1,  # flush every finished sample: a killed run loses only those in flight
                max_samples=spec.max_samples,
                max_tokens=spec.max_tokens,
                **options,
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
        return [_local_path(log.location) for log in logs]
