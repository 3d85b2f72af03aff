"""The held-out pool: challenges that are never shown to labs, rotated every quarter.

Each quarter is a pool period (``2026Q4``). Quarters are grouped in cycles of ``FOLDS`` (3); at the start of each
cycle every challenge is dealt into one of ``FOLDS`` folds by a keyed hash of the cycle and its id, and the i-th
quarter of the cycle holds out the i-th fold. So every challenge is held out exactly one quarter in three, and
public the other two (rotation: none stays in either pool for good); which quarter is reproducible by whoever
holds the key (every run of a quarter agrees) and unpredictable without it (a lab cannot tell which challenges are
held out now, nor which will be); a challenge added later is dealt in the same way without moving the others.

The key is a deployment secret, ``BASTION_EVAL_POOL_KEY``; the runner records the period on every run (its
parameters, its Inspect logs, its profile) and the exploitation task reports the model's rate on the held-out
and the public challenges apart (``held_out_rate`` / ``public_rate``): a model that does much better on the
public ones may have seen them.

"Never shown to labs": nothing a lab can read carries task content. Eval runs and their evidence (the Inspect
logs) are review content that the access policy never shares with a lab, the lab's report holds only findings
released to it, and the scores on the lab's own submission are per task. ``tests/integration/evals/
test_held_out.py`` walks every API route as the lab and proves it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bastion.evals.errors import InvalidEvalRequest

KEY_ENV = "BASTION_EVAL_POOL_KEY"
FOLDS = 3  # one quarter in FOLDS held out
HELD_OUT_FRACTION = 1 / FOLDS
_PERIOD = re.compile(r"^(\d{4})Q([1-4])$")


class Pool(StrEnum):
    ALL = "all"
    PUBLIC = "public"
    HELD_OUT = "held_out"


def period_of(when: datetime) -> str:
    """The pool period (a calendar quarter in UTC) that ``when`` falls in: ``2026Q4``."""
    if when.tzinfo is None:
        raise ValueError("the pool period needs a timezone-aware time")
    return f"{when.year}Q{(when.month - 1) // 3 + 1}"


def check_period(period: str) -> str:
    if not _PERIOD.match(period):
        raise InvalidEvalRequest(f"pool period {period!r} is not a quarter", hint="e.g. 2026Q4")
    return period


def _quarter_number(period: str) -> int:
    match = _PERIOD.match(check_period(period))
    assert match is not None  # check_period raised otherwise
    return int(match.group(1)) * 4 + int(match.group(2)) - 1


@dataclass(frozen=True, slots=True)
class PoolSplit:
    """The split of one period under one key."""

    key: bytes
    period: str

    def __post_init__(self) -> None:
        check_period(self.period)
        if not self.key:
            raise InvalidEvalRequest("the held-out pool key is empty", hint=f"set {KEY_ENV}")

    @classmethod
    def from_environment(cls, period: str) -> PoolSplit:
        key = os.environ.get(KEY_ENV, "")
        if not key:
            raise InvalidEvalRequest(
                f"the held-out pool needs its key in {KEY_ENV}",
                hint=f"set {KEY_ENV} to a secret shared by the evaluators (e.g. `openssl rand -hex 32`)",
            )
        return cls(key.encode(), period)

    @property
    def cycle(self) -> int:
        """The cycle of ``FOLDS`` consecutive quarters this period belongs to."""
        return _quarter_number(self.period) // FOLDS

    def held_out(self, item: str) -> bool:
        turn = _quarter_number(self.period) % FOLDS
        digest = hmac.new(self.key, f"{self.cycle}\0{item}".encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") % FOLDS == turn

    def pool_of(self, item: str) -> Pool:
        return Pool.HELD_OUT if self.held_out(item) else Pool.PUBLIC
