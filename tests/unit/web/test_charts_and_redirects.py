"""The web shell's pure parts: where sign-in may send you back to, and the SVG pictures (escaped, described)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bastion.web.charts import Clock, Series, profile_chart, sla_burndown
from bastion.web.shell import safe_next

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("asked", "sent"),
    [
        ("/review/reviews/rev_1", "/review/reviews/rev_1"),
        ("/advisories?q=x", "/advisories?q=x"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("review", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_sign_in_only_sends_you_back_to_a_page_of_this_site(asked: str | None, sent: str) -> None:
    assert safe_next(asked) == sent


def test_the_profile_chart_escapes_names_and_describes_itself() -> None:
    svg = profile_chart(
        [Series("<script>alert(1)</script>", {"exploitation": 0.64}), Series("Alpha-3", {"exploitation": 0.41})]
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'role="img"' in svg
    assert "exploitation 64%" in svg and "Alpha-3: exploitation 41%" in svg  # the description a reader hears
    assert profile_chart([]) == ""


def test_a_bar_past_the_1_to_0_range_stays_inside_the_plot() -> None:
    svg = profile_chart([Series("m", {"raw": 7.0, "neg": -1.0})])
    assert 'width="420.0"' in svg and 'width="0.0"' in svg


def test_the_burn_down_says_where_each_case_stands() -> None:
    now = T0 + timedelta(days=10)
    svg = sla_burndown(
        [
            Clock("open", T0, T0 + timedelta(days=30), None),
            Clock("late", T0, T0 + timedelta(days=7), None),
            Clock("done", T0, T0 + timedelta(days=7), T0 + timedelta(days=2)),
        ],
        now,
    )
    assert "open: 33% of the window used, day 10 of 30, 20 left" in svg
    assert "late: 143% of the window used, 3 days overdue" in svg
    assert "done: 29% of the window used, fixed on day 2 of 7" in svg
    assert 'fill="#a3160b"' in svg  # the overdue bar in the danger colour
