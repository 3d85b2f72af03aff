"""``bastion demo`` seeds in one transaction: a failure halfway leaves nothing, and a second run is refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bastion.container import Container
from bastion.core.audit_models import AuditEvent
from bastion.identity.models import Organisation, User
from bastion.review.demo import DEMO_DOMAIN, seed_demo
from bastion.review.errors import ReviewStateError
from bastion.review.findings import FindingService
from bastion.review.models import FindingRow, ReviewRow, SubmissionRow
from bastion.runtime import Runtime
from tests.factories import verify_audit


def _counts(runtime: Runtime) -> dict[str, int]:
    with runtime.database.read_session() as session:
        return {
            "orgs": session.scalar(sa.select(sa.func.count()).select_from(Organisation)) or 0,
            "demo_users": session.scalar(
                sa.select(sa.func.count()).select_from(User).where(User.email.like(f"%@{DEMO_DOMAIN}"))
            )
            or 0,
            "submissions": session.scalar(sa.select(sa.func.count()).select_from(SubmissionRow)) or 0,
            "reviews": session.scalar(sa.select(sa.func.count()).select_from(ReviewRow)) or 0,
            "findings": session.scalar(sa.select(sa.func.count()).select_from(FindingRow)) or 0,
            "audit": session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) or 0,
        }


def test_a_failure_halfway_leaves_no_partial_seed_and_a_rerun_then_succeeds(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _counts(runtime)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ReviewStateError("simulated failure halfway through the demo", code="simulated")

    with monkeypatch.context() as patch:
        patch.setattr(FindingService, "respond", broken)  # after orgs, users, submissions, review, findings
        with pytest.raises(ReviewStateError, match="simulated failure"):
            seed_demo(Container(runtime))
    assert _counts(runtime) == before
    assert verify_audit(runtime).ok

    result = seed_demo(Container(runtime))
    after = _counts(runtime)
    assert after["demo_users"] == len(result.users) == 19  # 12 for the review, 5 for the clearinghouse, 2 defense
    assert after["submissions"] == before["submissions"] + 2
    assert after["findings"] == before["findings"] + 2
    assert verify_audit(runtime).ok


def test_running_the_demo_twice_is_a_clear_conflict_that_changes_nothing(runtime: Runtime) -> None:
    seed_demo(Container(runtime))
    seeded = _counts(runtime)
    with pytest.raises(ReviewStateError) as refused:
        seed_demo(Container(runtime))
    assert refused.value.code == "demo_exists"
    assert "already exists" in refused.value.message
    assert _counts(runtime) == seeded
