"""Every OSV timestamp Bastion writes is RFC 3339 with a four-digit year, and reads back as the same instant."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bastion.advisories.timestamps import rfc3339

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$")
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))])


NAIVE_BOUNDS = (datetime(1, 1, 2), datetime(9999, 12, 30))  # noqa: DTZ001 - hypothesis wants naive bounds


@given(st.datetimes(min_value=NAIVE_BOUNDS[0], max_value=NAIVE_BOUNDS[1], timezones=ZONES))
def test_any_time_is_rfc3339_with_four_digit_year(value: datetime) -> None:
    text = rfc3339(value)
    assert RFC3339.match(text), text
    assert datetime.fromisoformat(text.replace("Z", "+00:00")) == value


def test_the_osv_placeholder_keeps_its_zeros() -> None:
    assert rfc3339(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00Z"
    assert rfc3339(datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC)) == "0999-12-31T23:59:59Z"
    naive = datetime(2024, 5, 1, 12, 0, 0, 250000)  # noqa: DTZ001 - a naive time is read as UTC
    assert rfc3339(naive) == "2024-05-01T12:00:00.250000Z"


def test_no_other_formatter_writes_osv_times() -> None:
    """The class of the defect: a second formatter (``strftime("%Y")`` drops the zeros of year 1 on glibc)."""
    root = Path(__file__).resolve().parents[3] / "src" / "bastion"
    offenders = [
        str(path.relative_to(root))
        for folder in ("advisories", "api")
        for path in (root / folder).rglob("*.py")
        if "strftime(" in path.read_text("utf-8")
    ]
    assert offenders == []
