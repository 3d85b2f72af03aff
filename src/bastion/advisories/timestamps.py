"""The one way Bastion writes an OSV timestamp: RFC 3339, UTC, always a four-digit year.

``%Y`` in a strftime format does not pad years below 1000 on glibc, so the OSV placeholder time (year 1) came out as
``1-01-01T00:00:00Z``, which RFC 3339 parsers (protobuf's Timestamp, Rust's jiff, Python's own) reject. Every
timestamp that leaves the advisories slice is written here.
"""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(value: datetime) -> str:
    """``2024-05-01T12:00:00Z``, with ``.ffffff`` when there are microseconds. A naive time is taken as UTC."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    text = f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"
