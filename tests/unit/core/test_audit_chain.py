"""The audit log on real SQLite and PostgreSQL: appends, sealing, and tampering with the stored rows.

The attacker in these tests can write the database (as its administrator can) but does not hold the audit key.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bastion.core import audit
from bastion.core.audit import AuditChain, AuditKey, Checkpoint
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
KEY = AuditKey.from_secret(b"the audit key, kept outside the database")


def chain(database: Database) -> AuditChain:
    return AuditChain(database, KEY)


def append(database: Database, count: int, *, start: int = 0, seal: bool = True) -> None:
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
            if seal:
                chain(database).seal(session)


def events(database: Database) -> list[AuditEvent]:
    with database.read_session() as session:
        rows = list(session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)))
        session.expunge_all()  # keep the loaded values after the read session ends
        return rows


def verify(database: Database, checkpoint: Checkpoint | None = None) -> audit.AuditVerification:
    return chain(database).verify(checkpoint=checkpoint)


def test_sealed_events_form_a_keyed_chain_that_verifies(database: Database) -> None:
    append(database, 5)
    rows = events(database)
    assert [e.seq for e in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(rows))
    assert rows[1].actor_user_id == "usr_eve" and rows[0].actor_user_id is None
    assert rows[2].at == T0 + timedelta(seconds=2)
    result = verify(database)
    assert result.ok and result.events_checked == 5 and result.first_bad_seq is None


def test_appends_take_no_seq_until_sealed_and_seal_in_append_order(database: Database) -> None:
    append(database, 3, seal=False)
    assert [e.seq for e in events(database)] == [None, None, None]
    assert verify(database).events_checked == 0  # nothing sealed yet: nothing to check
    assert chain(database).seal_now() == 3
    rows = events(database)
    assert [(e.seq, e.resource_id) for e in rows] == [(1, "sub_0"), (2, "sub_1"), (3, "sub_2")]
    assert chain(database).seal_now() == 0
    assert verify(database).ok


def test_empty_log_verifies(database: Database) -> None:
    result = verify(database)
    assert result.ok and result.events_checked == 0


def test_event_is_rolled_back_with_the_callers_change(database: Database) -> None:
    append(database, 1)
    with pytest.raises(RuntimeError), database.session() as session:
        audit.record(session, at=T0, actor=ACTOR, action="x.create", resource_type="x", resource_id="x_1")
        raise RuntimeError("the change failed")
    assert [e.seq for e in events(database)] == [1]
    append(database, 1, start=1)
    assert verify(database).ok


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
    result = verify(database)
    assert not result.ok
    assert result.first_bad_seq == 3
    assert "changed or forged" in (result.problem or "")
    assert result.events_checked == 2


def test_edited_detail_is_detected(database: Database) -> None:
    append(database, 4)
    with database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET detail = :d WHERE seq = 2"), {"d": '{"i": 99}'})
    result = verify(database)
    assert (result.ok, result.first_bad_seq) == (False, 2)


def _unkeyed_hash(prev_hash: str, event: AuditEvent, **changes: object) -> str:
    """What an attacker without the key can compute: the plain SHA-256 chain of the earlier design."""
    fields = {**audit._hashed_fields(event), **changes}
    return hashlib.sha256((prev_hash + audit.canonical_json(fields)).encode()).hexdigest()


def test_rewritten_and_rechained_events_are_detected(database: Database) -> None:
    """The database administrator rewrites an event and re-chains every later one with a hash of their own:
    without the key, the first rewritten event no longer matches."""
    append(database, 5)
    rows = events(database)
    prev = rows[1].hash
    with database.engine.begin() as conn:
        for row in rows[2:]:
            outcome = "denied" if row.seq == 3 else row.outcome
            digest = _unkeyed_hash(prev or "", row, outcome=outcome)
            conn.execute(
                sa.text("UPDATE audit_events SET outcome = :o, prev_hash = :p, hash = :h WHERE seq = :s"),
                {"o": outcome, "p": prev, "h": digest, "s": row.seq},
            )
            prev = digest
        conn.execute(sa.text("UPDATE audit_chain_head SET last_hash = :h"), {"h": prev})
    result = verify(database)
    assert (result.ok, result.first_bad_seq) == (False, 3)


def test_forged_event_appended_with_a_consistent_head_is_detected(database: Database) -> None:
    append(database, 3)
    last = events(database)[-1]
    forged = AuditEvent(
        seq=4,
        at=T0,
        actor_user_id="usr_mallory",
        actor_org_id=None,
        action="finding.update",
        resource_type="finding",
        resource_id="fnd_1",
        outcome="ok",
        detail={},
    )
    digest = _unkeyed_hash(last.hash or "", forged)
    with database.engine.begin() as conn:
        conn.execute(
            sa.insert(AuditEvent).values(
                seq=4,
                at=T0,
                actor_user_id="usr_mallory",
                actor_org_id=None,
                action="finding.update",
                resource_type="finding",
                resource_id="fnd_1",
                outcome="ok",
                detail={},
                prev_hash=last.hash,
                hash=digest,
            )
        )
        conn.execute(sa.text("UPDATE audit_chain_head SET last_seq = 4, last_hash = :h"), {"h": digest})
    result = verify(database)
    assert (result.ok, result.first_bad_seq) == (False, 4)


def test_truncated_tail_with_the_head_rolled_back_is_caught_by_a_checkpoint(database: Database) -> None:
    append(database, 5)
    checkpoint = chain(database).checkpoint(T0 + timedelta(hours=1))
    assert checkpoint.seq == 5
    rows = events(database)
    with database.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_events WHERE seq > 3"))
        conn.execute(sa.text("UPDATE audit_chain_head SET last_seq = 3, last_hash = :h"), {"h": rows[2].hash})
    assert verify(database).ok  # without the checkpoint the shortened chain is self-consistent
    result = verify(database, checkpoint)
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert "removed from the end" in (result.problem or "")


def test_a_rewrite_below_the_checkpoint_is_caught_even_if_later_events_are_rebuilt(database: Database) -> None:
    append(database, 4)
    checkpoint = chain(database).checkpoint(T0)
    with database.engine.begin() as conn:  # replace everything with a different, self-consistent keyless log
        conn.execute(sa.text("DELETE FROM audit_events"))
        conn.execute(sa.text("UPDATE audit_chain_head SET last_seq = 0, last_hash = :g"), {"g": GENESIS_HASH})
    append(database, 4, start=10)  # sealed with the real key (as if the attacker had it for these)
    result = verify(database, checkpoint)
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert "differs from the checkpoint" in (result.problem or "")


def test_checkpoint_verifies_later_growth_and_rejects_a_forged_checkpoint(database: Database) -> None:
    append(database, 3)
    checkpoint = chain(database).checkpoint(T0)
    append(database, 2, start=3)
    result = verify(database, checkpoint)
    assert result.ok and result.checkpoint_seq == 3 and result.events_checked == 5
    other = AuditChain(database, AuditKey.from_secret(b"someone else's key")).checkpoint(T0)
    refused = verify(database, other)
    assert not refused.ok and "signature" in (refused.problem or "")


def test_checkpoint_file_round_trip_reads_the_last_line(tmp_path: object, database: Database) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    append(database, 2)
    first = chain(database).checkpoint(T0)
    append(database, 1, start=2)
    second = chain(database).checkpoint(T0 + timedelta(minutes=1))
    path = tmp_path / "checkpoints.jsonl"
    path.write_text(first.line() + "\n" + second.line() + "\n")
    assert Checkpoint.latest_in(path) == second


def test_deleted_event_is_detected(database: Database) -> None:
    append(database, 5)
    with database.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_events WHERE seq = 3"))
    result = verify(database)
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert "event 3 is missing" in (result.problem or "")


def test_deleted_last_event_is_detected(database: Database) -> None:
    append(database, 5)
    with database.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_events WHERE seq = 5"))
    result = verify(database)
    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert "missing from the end" in (result.problem or "")


def test_swapped_events_are_detected(database: Database) -> None:
    append(database, 5)
    with database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET seq = -1 WHERE seq = 3"))
        conn.execute(sa.text("UPDATE audit_events SET seq = 3 WHERE seq = 4"))
        conn.execute(sa.text("UPDATE audit_events SET seq = 4 WHERE seq = -1"))
    result = verify(database)
    assert (result.ok, result.first_bad_seq) == (False, 3)


def test_appending_after_tampering_does_not_heal_the_chain(database: Database) -> None:
    append(database, 3)
    with database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET resource_id = 'sub_x' WHERE seq = 1"))
    append(database, 2, start=3)
    result = verify(database)
    assert (result.ok, result.first_bad_seq) == (False, 1)


def test_concurrent_appends_and_seals_keep_one_valid_chain(database: Database) -> None:
    """Appenders (some sealing, some not) in several threads never fork or break the chain."""
    threads = 4
    per_thread = 25
    barrier = threading.Barrier(threads)
    failures: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            append(database, per_thread, start=n * per_thread, seal=n % 2 == 0)
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            failures.append(e)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert failures == []
    chain(database).seal_now()
    rows = sorted(events(database), key=lambda e: e.seq or 0)
    assert [e.seq for e in rows] == list(range(1, threads * per_thread + 1))
    assert sorted(e.resource_id or "" for e in rows) == sorted(f"sub_{i}" for i in range(threads * per_thread))
    result = verify(database)
    assert result.ok and result.events_checked == threads * per_thread
