"""The audit log's hash chain on real SQLite and PostgreSQL: appends, and tampering with the stored rows."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bastion.core import audit
from bastion.core.audit_models import GENESIS_HASH, AuditEvent
from bastion.core.principal import Classification, OrgID, OrgKind, Principal, Role, UserID
from bastion.db import Database

ACTOR = Principal(
    user_id=UserID("usr_eve"),
    org_id=OrgID("org_programme_office"),
    org_kind=OrgKind.PROGRAMME_OFFICE,
    roles=frozenset({Role.PROGRAMME_ADMIN}),
    clearance=Classification.SECRET,
)
T0 = datetime(2026, 11, 2, 9, 0, 0, 123456, tzinfo=UTC)


def append(database: Database, count: int, *, start: int = 0) -> None:
    for i in range(start, start + count):
        with database.session() as session:
            audit.record(
                session,
                at=T0 + timedelta(seconds=i),
                actor=ACTOR if i % 2 else None,
                action="submission.read",
                resource_type="submission",
                resource_id=f"sub_{i}",
                detail={"i": i, "note": "é ünïcode", "nested": {"b": [1, 2.5, None], "a": True}},
            )


def events(database: Database) -> list[AuditEvent]:
    with database.read_session() as session:
        rows = list(session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)))
        session.expunge_all()  # keep the loaded values after the read session ends
        return rows


def test_appended_events_form_a_chain_that_verifies(database: Database) -> None:
    append(database, 5)
    rows = events(database)
    assert [e.seq for e in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(rows))
    assert rows[1].actor_user_id == "usr_eve" and rows[0].actor_user_id is None
    assert rows[2].at == T0 + timedelta(seconds=2)
    result = audit.verify(database)
    assert result.ok and result.events_checked == 5 and result.first_bad_seq is None


def test_empty_log_verifies(database: Database) -> None:
    result = audit.verify(database)
    assert result.ok and result.events_checked == 0


def test_event_is_rolled_back_with_the_callers_change(database: Database) -> None:
    append(database, 1)
    with pytest.raises(RuntimeError), database.session() as session:
        audit.record(session, at=T0, actor=ACTOR, action="x.create", resource_type="x", resource_id="x_1")
        raise RuntimeError("the change failed")
    assert [e.seq for e in events(database)] == [1]
    append(database, 1, start=1)
    assert audit.verify(database).ok


def test_secrets_are_refused_in_detail(database: Database) -> None:
    with pytest.raises(ValueError, match="credentials must never"), database.session() as session:
        audit.record(
            session,
            at=T0,
            actor=None,
            action="auth.login",
            resource_type="user",
            resource_id=None,
            detail={"attempt": {"Password": "hunter2"}},
        )
    assert events(database) == []


def test_edited_event_is_detected(database: Database) -> None:
    append(database, 5)
    with database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET action = 'submission.delete' WHERE seq = 3"))
    result = audit.verify(database)
    assert not result.ok
    assert result.first_bad_seq == 3
    assert "content was changed" in (result.problem or "")
    assert result.events_checked == 2


def test_edited_detail_is_detected(database: Database) -> None:
    append(database, 4)
    with database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET detail = :d WHERE seq = 2"), {"d": '{"i": 99}'})
    result = audit.verify(database)
    assert (result.ok, result.first_bad_seq) == (False, 2)


def test_edit_with_a_recomputed_hash_breaks_the_next_link(database: Database) -> None:
    append(database, 4)
    row = events(database)[1]
    forged = audit.event_hash(row.prev_hash, {**audit._hashed_fields(row), "outcome": "denied"})
    with database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET outcome = 'denied', hash = :h WHERE seq = 2"), {"h": forged})
    result = audit.verify(database)
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert "does not link" in (result.problem or "")


def test_deleted_event_is_detected(database: Database) -> None:
    append(database, 5)
    with database.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_events WHERE seq = 3"))
    result = audit.verify(database)
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert "event 3 is missing" in (result.problem or "")


def test_deleted_last_event_is_detected(database: Database) -> None:
    append(database, 5)
    with database.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_events WHERE seq = 5"))
    result = audit.verify(database)
    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert "missing from the end" in (result.problem or "")


def test_deleted_and_renumbered_events_are_detected(database: Database) -> None:
    append(database, 5)
    with database.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_events WHERE seq = 2"))
        for seq in (3, 4, 5):
            conn.execute(sa.text("UPDATE audit_events SET seq = :new WHERE seq = :old"), {"new": seq - 1, "old": seq})
    result = audit.verify(database)
    assert (result.ok, result.first_bad_seq) == (False, 2)


def test_swapped_events_are_detected(database: Database) -> None:
    append(database, 5)
    with database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET seq = -1 WHERE seq = 3"))
        conn.execute(sa.text("UPDATE audit_events SET seq = 3 WHERE seq = 4"))
        conn.execute(sa.text("UPDATE audit_events SET seq = 4 WHERE seq = -1"))
    result = audit.verify(database)
    assert (result.ok, result.first_bad_seq) == (False, 3)


def test_inserted_event_beyond_the_head_is_detected(database: Database) -> None:
    append(database, 3)
    last = events(database)[-1]
    with database.engine.begin() as conn:
        conn.execute(
            sa.insert(AuditEvent).values(
                seq=4,
                at=T0,
                actor_user_id=None,
                actor_org_id=None,
                action="forged",
                resource_type="x",
                resource_id=None,
                outcome="ok",
                detail={},
                prev_hash=last.hash,
                hash="f" * 64,
            )
        )
    result = audit.verify(database)
    assert (result.ok, result.first_bad_seq) == (False, 4)


def test_appending_after_tampering_does_not_heal_the_chain(database: Database) -> None:
    append(database, 3)
    with database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET resource_id = 'sub_x' WHERE seq = 1"))
    append(database, 2, start=3)
    result = audit.verify(database)
    assert (result.ok, result.first_bad_seq) == (False, 1)


def test_concurrent_appends_keep_one_valid_chain(database: Database) -> None:
    """Writers in several threads (own connections, own transactions) never fork or break the chain."""
    threads = 4
    per_thread = 25
    barrier = threading.Barrier(threads)
    failures: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            append(database, per_thread, start=n * per_thread)
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            failures.append(e)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert failures == []
    rows = events(database)
    assert [e.seq for e in rows] == list(range(1, threads * per_thread + 1))
    assert sorted(e.resource_id for e in rows) == sorted(f"sub_{i}" for i in range(threads * per_thread))
    result = audit.verify(database)
    assert result.ok and result.events_checked == threads * per_thread
