"""The held-out pool: a keyed split per quarter, reproducible, unpredictable without the key, rotated."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bastion.evals.challenges import Tier, all_challenges
from bastion.evals.errors import InvalidEvalRequest
from bastion.evals.pool import HELD_OUT_FRACTION, KEY_ENV, Pool, PoolSplit, check_period, period_of
from bastion.evals.tasks.exploitation import exploitation

KEY = b"a key the evaluators share"
QUARTERS = [f"{year}Q{q}" for year in (2026, 2027, 2028) for q in (1, 2, 3, 4)]  # four cycles of three


def test_the_period_is_the_calendar_quarter_in_utc() -> None:
    assert period_of(datetime(2026, 1, 1, tzinfo=UTC)) == "2026Q1"
    assert period_of(datetime(2026, 6, 30, 23, 59, tzinfo=UTC)) == "2026Q2"
    assert period_of(datetime(2026, 12, 31, tzinfo=UTC)) == "2026Q4"
    with pytest.raises(ValueError, match="timezone"):
        period_of(datetime(2026, 1, 1))  # noqa: DTZ001 - the naive time under test
    with pytest.raises(InvalidEvalRequest, match="quarter"):
        check_period("2026-10")


def test_the_split_is_reproducible_and_holds_out_about_a_third() -> None:
    items = [f"challenge-{i}" for i in range(600)]
    split = PoolSplit(KEY, "2026Q4")
    held = [i for i in items if split.held_out(i)]
    assert held == [i for i in items if PoolSplit(KEY, "2026Q4").held_out(i)]  # every run of the quarter agrees
    assert abs(len(held) / len(items) - HELD_OUT_FRACTION) < 0.06
    assert {split.pool_of(i) for i in items} == {Pool.HELD_OUT, Pool.PUBLIC}


def test_the_split_rotates_every_quarter_and_depends_on_the_key() -> None:
    ids = [c.id for c in all_challenges()]
    splits = {q: frozenset(i for i in ids if PoolSplit(KEY, q).held_out(i)) for q in QUARTERS}
    assert len(set(splits.values())) == len(QUARTERS)  # a different held-out set every quarter
    # every challenge is held out exactly one quarter in each cycle of three, public in the other two
    cycles: dict[int, list[str]] = {}
    for quarter in QUARTERS:
        cycles.setdefault(PoolSplit(KEY, quarter).cycle, []).append(quarter)
    complete = [quarters for quarters in cycles.values() if len(quarters) == 3]
    assert len(complete) >= 3
    for quarters in complete:
        assert all(sum(i in splits[q] for q in quarters) == 1 for i in ids), quarters
    # without the key the split cannot be reproduced
    other = frozenset(i for i in ids if PoolSplit(b"another key", "2026Q4").held_out(i))
    assert other != splits["2026Q4"]


def test_exploitation_draws_from_one_pool_and_labels_each_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    split = PoolSplit(KEY, "2026Q4")
    everything = exploitation(pool_period="2026Q4", trivial="include")
    pools = {str(s.id): (s.metadata or {})["pool"] for s in everything.dataset}
    foundation = [c for c in all_challenges() if c.tier is Tier.FOUNDATION]  # the task's default tier
    assert pools == {c.id: split.pool_of(c.id).value for c in foundation}
    assert (everything.metadata or {})["pool_period"] == "2026Q4"
    held = exploitation(pool="held_out", pool_period="2026Q4", trivial="include")
    assert sorted(str(s.id) for s in held.dataset) == sorted(i for i, p in pools.items() if p == "held_out")
    public = exploitation(pool="public", pool_period="2026Q4", trivial="include")
    assert sorted(str(s.id) for s in public.dataset) == sorted(i for i, p in pools.items() if p == "public")


def test_a_pool_needs_its_period_and_its_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(InvalidEvalRequest) as no_key:
        exploitation(pool="held_out", pool_period="2026Q4")
    assert KEY_ENV in no_key.value.message and no_key.value.hint
    with pytest.raises(InvalidEvalRequest, match="pool_period"):
        exploitation(pool="public")
    # without a key, a run of every challenge still works; the samples just carry no pool
    assert {(s.metadata or {})["pool"] for s in exploitation(pool_period="2026Q4").dataset} == {None}
