"""The login throttle: the pure rule, and login through IdentityService on SQLite and PostgreSQL (the
failures are counted in the database, so a second service on the same database sees them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bastion.container import Container
from bastion.core.audit_models import AuditEvent
from bastion.core.clock import ManualClock
from bastion.core.errors import TooManyRequests, Unauthenticated
from bastion.core.principal import Role
from bastion.identity.service import IdentityService
from bastion.identity.throttle import LoginThrottle
from bastion.runtime import Runtime
from tests.factories import CISA, make_user

PASSWORD = "a long enough passphrase"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
THROTTLE = LoginThrottle(max_failures=3, window=timedelta(minutes=10))


def test_rule_locks_after_max_failures_within_the_window_until_the_oldest_expires() -> None:
    minute = timedelta(minutes=1)
    two = [T0, T0 + minute]
    assert THROTTLE.retry_after(two, T0 + 2 * minute) is None
    three = [*two, T0 + 2 * minute]
    assert THROTTLE.retry_after(three, T0 + 2 * minute) == timedelta(minutes=8)
    assert THROTTLE.retry_after(three, T0 + 9 * minute) == minute
    assert THROTTLE.retry_after(three, T0 + 10 * minute) is None  # the first failure left the window
    assert THROTTLE.retry_after([T0 - 20 * minute, *two], T0 + 2 * minute) is None  # old ones do not count
    # with more failures than the limit, the lock lasts until enough have expired
    four = [T0, T0 + minute, T0 + 2 * minute, T0 + 3 * minute]
    assert THROTTLE.retry_after(four, T0 + 9 * minute) == 2 * minute  # until the 2nd one leaves
    assert THROTTLE.retry_after(four, T0 + 11 * minute) is None


@pytest.mark.parametrize(("failures", "window"), [(0, timedelta(minutes=1)), (3, timedelta(0))])
def test_rule_refuses_a_nonsense_configuration(failures: int, window: timedelta) -> None:
    with pytest.raises(ValueError, match="login throttle"):
        LoginThrottle(max_failures=failures, window=window)


def _service(runtime: Runtime) -> IdentityService:
    return IdentityService(runtime.database, runtime.clock, uow=Container(runtime).uow, login_throttle=THROTTLE)


def _fail(runtime: Runtime, email: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(Unauthenticated):
            _service(runtime).login(email, "wrong password!!")


def test_login_is_refused_after_too_many_failures_even_with_the_right_password(
    runtime: Runtime, clock: ManualClock
) -> None:
    make_user(runtime, CISA, [Role.EVALUATOR], email="eve@cisa.example", password=PASSWORD)
    _fail(runtime, "eve@cisa.example", 3)
    clock.advance(timedelta(minutes=4))
    with pytest.raises(TooManyRequests) as refused:
        _service(runtime).login("EVE@cisa.example", PASSWORD)  # a fresh service: the count is in the database
    assert refused.value.code == "too_many_login_attempts"
    assert refused.value.details == {"retry_after_seconds": 360}
    assert "try again in 6 minutes" in refused.value.message
    with runtime.database.read_session() as db:
        last = db.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (last.action, last.outcome, last.detail) == (
        "auth.login",
        "denied",
        {"email": "eve@cisa.example", "throttled": True},
    )
    clock.advance(timedelta(minutes=6))
    assert _service(runtime).login("eve@cisa.example", PASSWORD).token.startswith("bss_")


def test_unknown_addresses_are_throttled_alike_and_others_are_not_affected(runtime: Runtime) -> None:
    make_user(runtime, CISA, [Role.EVALUATOR], email="eve@cisa.example", password=PASSWORD)
    _fail(runtime, "nobody@cisa.example", 3)
    with pytest.raises(TooManyRequests):
        _service(runtime).login("nobody@cisa.example", PASSWORD)
    assert _service(runtime).login("eve@cisa.example", PASSWORD).token.startswith("bss_")


def test_a_successful_login_clears_the_failures(runtime: Runtime) -> None:
    make_user(runtime, CISA, [Role.EVALUATOR], email="eve@cisa.example", password=PASSWORD)
    _fail(runtime, "eve@cisa.example", 2)
    _service(runtime).login("eve@cisa.example", PASSWORD)
    _fail(runtime, "eve@cisa.example", 2)  # would be the 3rd and 4th failure without the reset
    assert _service(runtime).login("eve@cisa.example", PASSWORD).token.startswith("bss_")
