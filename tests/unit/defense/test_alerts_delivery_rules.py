"""The pure rules of alert delivery: the backoff schedule, the signature, what a webhook URL may be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bastion.defense.delivery import backoff, sign, verify_signature, webhook_url_problem

MINUTE = timedelta(minutes=1)


def test_the_wait_doubles_after_each_failure_up_to_the_cap() -> None:
    waits = [backoff(n, base=MINUTE, cap=timedelta(minutes=10)) for n in range(7)]
    assert waits == [timedelta(0), MINUTE, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE, 10 * MINUTE, 10 * MINUTE]
    assert backoff(10_000, base=MINUTE, cap=timedelta(days=1)) == timedelta(days=1)


def test_the_signature_covers_the_timestamp_and_the_body() -> None:
    at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    stamp = int(at.timestamp())
    signature = sign("s3cret", stamp, b'{"a":1}')
    assert signature.startswith("v1=") and len(signature) == 3 + 64
    check = {"body": b'{"a":1}', "timestamp": str(stamp), "signature": signature, "now": at}
    assert verify_signature("s3cret", **check)  # type: ignore[arg-type]
    assert not verify_signature("other", **check)  # type: ignore[arg-type]
    assert not verify_signature("s3cret", **{**check, "body": b'{"a":2}'})  # type: ignore[arg-type]
    assert not verify_signature("s3cret", **{**check, "timestamp": str(stamp + 1)})  # type: ignore[arg-type]
    assert not verify_signature("s3cret", **{**check, "now": at + timedelta(minutes=6)})  # type: ignore[arg-type]
    assert not verify_signature("s3cret", **{**check, "timestamp": None})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://soc.treasury.example/hooks/bastion", None),
        ("http://10.0.0.5:8080/hook", None),
        ("ftp://soc.example/hook", "starts with https://"),
        ("https:///path", "names a host"),
        ("https://user:pw@soc.example/hook", "carries no credentials"),
        ("https://soc.example/hook#x", "no #fragment"),
    ],
)
def test_what_a_webhook_url_may_be(url: str, problem: str | None) -> None:
    found = webhook_url_problem(url)
    assert (found is None) if problem is None else (found is not None and problem in found)
