"""The review window as pure arithmetic: deadlines, close reasons, reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bastion.review.window import (
    CloseReason,
    WindowConfig,
    WindowFacts,
    WindowStatus,
    deadline,
    due_reminder,
    evaluate,
    reminder_schedule,
)

OPENED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
DEFAULT = WindowConfig()


def test_thirty_days_by_default() -> None:
    facts = WindowFacts(opened_at=OPENED)
    assert deadline(facts, DEFAULT) == (OPENED + 30 * DAY, CloseReason.WINDOW_ELAPSED)
    assert evaluate(facts, DEFAULT, OPENED + 30 * DAY - timedelta(seconds=1)).status is WindowStatus.OPEN
    closed = evaluate(facts, DEFAULT, OPENED + 30 * DAY)
    assert closed.status is WindowStatus.CLOSED
    assert closed.close_reason is CloseReason.WINDOW_ELAPSED


def test_an_earlier_intended_release_date_closes_first() -> None:
    facts = WindowFacts(opened_at=OPENED, intended_release_at=OPENED + 12 * DAY)
    assert deadline(facts, DEFAULT) == (OPENED + 12 * DAY, CloseReason.RELEASE_DATE)
    assert evaluate(facts, DEFAULT, OPENED + 12 * DAY).close_reason is CloseReason.RELEASE_DATE


def test_a_release_date_already_past_closes_at_opening() -> None:
    facts = WindowFacts(opened_at=OPENED, intended_release_at=OPENED - 3 * DAY)
    assert deadline(facts, DEFAULT) == (OPENED, CloseReason.RELEASE_DATE)
    assert reminder_schedule(facts, DEFAULT) == []


def test_a_later_release_date_does_not_extend_the_window() -> None:
    facts = WindowFacts(opened_at=OPENED, intended_release_at=OPENED + 90 * DAY)
    assert deadline(facts, DEFAULT) == (OPENED + 30 * DAY, CloseReason.WINDOW_ELAPSED)


def test_both_limits_are_configurable() -> None:
    facts = WindowFacts(opened_at=OPENED, intended_release_at=OPENED + 5 * DAY)
    assert deadline(facts, WindowConfig(window_days=10, close_at_release=False)) == (
        OPENED + 10 * DAY,
        CloseReason.WINDOW_ELAPSED,
    )
    with pytest.raises(ValueError, match="window_days"):
        WindowConfig(window_days=0)


def test_consented_extensions_move_the_deadline() -> None:
    facts = WindowFacts(opened_at=OPENED, intended_release_at=OPENED + 12 * DAY, extension_days=7)
    assert deadline(facts, DEFAULT) == (OPENED + 19 * DAY, CloseReason.RELEASE_DATE)
    assert deadline(WindowFacts(opened_at=OPENED, extension_days=7), DEFAULT)[0] == OPENED + 37 * DAY


def test_release_closes_at_once_with_reason_released() -> None:
    released = OPENED + 3 * DAY
    facts = WindowFacts(opened_at=OPENED, released_at=released)
    state = evaluate(facts, DEFAULT, released)
    assert state.status is WindowStatus.CLOSED
    assert state.close_reason is CloseReason.RELEASED
    assert state.closes_at == released
    assert state.deadline == OPENED + 30 * DAY  # the schedule is still reported


def test_withdrawal_closes_the_window() -> None:
    facts = WindowFacts(opened_at=OPENED, withdrawn_at=OPENED + DAY)
    state = evaluate(facts, DEFAULT, OPENED + 2 * DAY)
    assert (state.status, state.close_reason) == (WindowStatus.CLOSED, CloseReason.WITHDRAWN)


def test_a_release_after_the_window_closed_does_not_change_why_it_closed() -> None:
    facts = WindowFacts(opened_at=OPENED, released_at=OPENED + 40 * DAY)
    state = evaluate(facts, DEFAULT, OPENED + 41 * DAY)
    assert state.close_reason is CloseReason.WINDOW_ELAPSED


def test_there_is_no_state_that_holds_a_release() -> None:
    assert {s.value for s in WindowStatus} == {"open", "closed"}
    assert "blocked" not in {r.value for r in CloseReason}


def test_reminders_seven_days_and_one_day_before_the_close() -> None:
    facts = WindowFacts(opened_at=OPENED)
    schedule = reminder_schedule(facts, DEFAULT)
    assert [(r.label, r.due_at) for r in schedule] == [("7d", OPENED + 23 * DAY), ("1d", OPENED + 29 * DAY)]


def test_reminders_that_would_fall_before_opening_are_skipped() -> None:
    facts = WindowFacts(opened_at=OPENED, intended_release_at=OPENED + 3 * DAY)
    assert [r.label for r in reminder_schedule(facts, DEFAULT)] == ["1d"]


def test_due_reminder_is_the_latest_one_whose_time_has_come() -> None:
    facts = WindowFacts(opened_at=OPENED)
    assert due_reminder(facts, DEFAULT, OPENED + 22 * DAY) is None
    first = due_reminder(facts, DEFAULT, OPENED + 23 * DAY)
    assert first is not None and first.label == "7d"
    late = due_reminder(facts, DEFAULT, OPENED + 29 * DAY + timedelta(hours=1))
    assert late is not None and late.label == "1d"  # the overtaken 7-day reminder is not sent
    assert due_reminder(facts, DEFAULT, OPENED + 30 * DAY) is None  # closed: no reminders


def test_no_reminders_after_release() -> None:
    facts = WindowFacts(opened_at=OPENED, released_at=OPENED + 2 * DAY)
    assert due_reminder(facts, DEFAULT, OPENED + 29 * DAY) is None
