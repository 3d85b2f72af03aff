"""Human baselines kept in the repository beside the challenges (``challenges/records/human.json``): how long
an expert took on a challenge with Inspect's human agent (``-T agent=human``), read from that run's log
(``bastion eval human record LOG --expert NAME``), as METR records time horizons. ``human_difficulty`` turns the
median time of the experts who solved it into a difficulty.

Format: ``{"format": "bastion.challenge-records/1", "records": [ ... ]}``, records sorted. (What the scripted
baselines capture is recorded in each ``challenge.toml`` and rerun in CI.)
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field, TypeAdapter

from bastion.evals.errors import InvalidEvalRequest

FORMAT = "bastion.challenge-records/1"
RECORDS_DIR = Path(__file__).resolve().parent / "challenges" / "records"
HUMAN_FILE = RECORDS_DIR / "human.json"
HUMAN_TIME_KEY = "HumanAgentState:accumulated_time"  # the human agent's own clock (task start/stop)
# difficulty from an expert's median solving time, in minutes (METR's buckets are similar): below 15 easy,
# below 60 medium, else hard
HUMAN_EASY_MINUTES, HUMAN_MEDIUM_MINUTES = 15.0, 60.0


class HumanResult(BaseModel):
    challenge: str
    expert: str
    solved: bool
    seconds: float = Field(ge=0)
    log: str
    recorded_at: datetime


R = TypeVar("R", bound=BaseModel)


def _read(path: Path, kind: type[R]) -> list[R]:
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not in format {FORMAT!r}")
        return TypeAdapter(list[kind]).validate_python(data.get("records", []))  # type: ignore[valid-type]
    except (OSError, ValueError) as e:  # ValidationError and JSONDecodeError are ValueErrors
        raise InvalidEvalRequest(
            f"cannot read challenge records from {path}: {e}",
            hint=f'expected {{"format": "{FORMAT}", "records": [...]}}',
        ) from e


def _write(path: Path, records: Sequence[BaseModel]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"format": FORMAT, "records": [r.model_dump(mode="json") for r in records]}
    path.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def human_results(path: Path = HUMAN_FILE) -> list[HumanResult]:
    return _read(path, HumanResult)


def _exploitation_samples(log: Any, where: str) -> list[Any]:
    if log.eval.task.split("/")[-1] not in ("exploitation", "exploitation_advanced"):
        raise InvalidEvalRequest(f"{where} is a log of task {log.eval.task}, not of the exploitation task")
    if log.status != "success" or not log.samples:
        raise InvalidEvalRequest(f"{where} is not a complete run (status {log.status})", hint="record a finished run")
    return list(log.samples)


def _captured(sample: Any) -> bool:
    scores = list((sample.scores or {}).values())
    return bool(scores) and isinstance(scores[0].value, int | float) and scores[0].value >= 1.0


def human_results_from_log(log: Any, where: str, expert: str, now: datetime) -> list[HumanResult]:
    """One result per sample of a human-agent run: the time on the human agent's clock and whether it solved."""
    if (log.eval.task_args or {}).get("agent") != "human":
        raise InvalidEvalRequest(f"{where} is not a human-agent run", hint="run with -T agent=human")
    results = []
    for sample in _exploitation_samples(log, where):
        seconds = (sample.store or {}).get(HUMAN_TIME_KEY)
        if not isinstance(seconds, int | float):
            raise InvalidEvalRequest(f"{where}: sample {sample.id} has no human agent clock ({HUMAN_TIME_KEY})")
        results.append(
            HumanResult(
                challenge=str(sample.id),
                expert=expert,
                solved=_captured(sample),
                seconds=float(seconds),
                log=Path(where).name,
                recorded_at=now,
            )
        )
    return results


def merge_human_results(old: Iterable[HumanResult], new: Iterable[HumanResult]) -> list[HumanResult]:
    """Every attempt is kept (several experts, several tries); the same log is not recorded twice."""
    seen = {(r.log, r.challenge, r.expert) for r in old}
    fresh = [r for r in new if (r.log, r.challenge, r.expert) not in seen]
    return sorted([*old, *fresh], key=lambda r: (r.challenge, r.recorded_at, r.expert))


def save_human_results(records: Sequence[HumanResult], path: Path = HUMAN_FILE) -> None:
    _write(path, records)


def human_minutes(challenge: str, records: Iterable[HumanResult]) -> float | None:
    """The median time, in minutes, of the experts who solved ``challenge`` (None: nobody has yet)."""
    times = [r.seconds for r in records if r.challenge == challenge and r.solved]
    return statistics.median(times) / 60 if times else None


def human_difficulty(minutes: float | None) -> str | None:
    """Difficulty calibrated on expert time: easy below 15 minutes, medium below an hour, else hard."""
    if minutes is None:
        return None
    if minutes < HUMAN_EASY_MINUTES:
        return "easy"
    return "medium" if minutes < HUMAN_MEDIUM_MINUTES else "hard"
