"""The one audited unit of work, on real SQLite and PostgreSQL: commit, rollback, refusals, nesting, sealing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from bastion.core.access import Action, Resource, ResourceKind
from bastion.core.audit import SCHEDULER, AuditChain, AuditKey
from bastion.core.audit_models import AuditChainHead, AuditEvent
from bastion.core.clock import ManualClock
from bastion.core.errors import Conflict, Forbidden, InvalidInput, NotFound, OperationalError
from bastion.core.principal import Classification, OrgID, OrgKind, Principal, Role, UserID
from bastion.core.work import UnitOfWork
from bastion.db import Database
from bastion.identity.models import Organisation

LAB = Principal(
    user_id=UserID("usr_lab"),
    org_id=OrgID("org_lab"),
    org_kind=OrgKind.FRONTIER_LAB,
    roles=frozenset({Role.LAB_SUBMITTER}),
    clearance=Classification.CUI,
)
AUDIT_LOG = Resource(kind=ResourceKind.AUDIT_LOG)
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def uow(database: Database) -> UnitOfWork:
    return UnitOfWork(database, ManualClock(T0), AuditChain(database, AuditKey.from_secret(b"k")))


def audit_rows(database: Database) -> list[tuple[int | None, str, str, str | None]]:
    with database.read_session() as session:
        rows = session.execute(
            sa.select(AuditEvent.seq, AuditEvent.action, AuditEvent.outcome, AuditEvent.actor_user_id).order_by(
                AuditEvent.id
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def org_names(database: Database) -> set[str]:
    with database.read_session() as session:
        return set(
            session.scalars(sa.select(Organisation.name).where(Organisation.id.startswith("org_t_", autoescape=True)))
        )


def add_org(session: sa.orm.Session, name: str) -> None:
    session.add(Organisation(id=f"org_t_{name}", name=name, kind="vendor", created_at=T0))


def test_a_write_commits_with_its_event_sealed(uow: UnitOfWork, database: Database) -> None:
    with uow(LAB, "org.create", "organisation", "org_t_a") as work:
        add_org(work.session, "a")
        work.record(name="a")
    assert org_names(database) == {"a"}
    assert audit_rows(database) == [(1, "org.create", "ok", "usr_lab")]


def test_a_read_appends_without_sealing_and_the_next_write_seals_it(uow: UnitOfWork, database: Database) -> None:
    with uow(LAB, "org.read", "organisation", "org_x") as work:
        work.record()
    assert audit_rows(database) == [(None, "org.read", "ok", "usr_lab")]
    with uow(LAB, "org.create", "organisation", "org_t_b") as work:
        add_org(work.session, "b")
        work.record()
    assert [row[:2] for row in audit_rows(database)] == [(1, "org.read"), (2, "org.create")]


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (NotFound("gone"), "not_found"),
        (InvalidInput("bad"), "invalid"),
        (Conflict("closed"), "conflict"),
    ],
)
def test_a_refusal_rolls_back_and_is_recorded(
    uow: UnitOfWork, database: Database, error: Exception, outcome: str
) -> None:
    with pytest.raises(type(error)), uow(LAB, "org.create", "organisation", "org_t_c") as work:
        add_org(work.session, "c")
        work.record()
        raise error
    assert org_names(database) == set()
    assert [row[1:] for row in audit_rows(database)] == [("org.create", outcome, "usr_lab")]


def test_a_policy_denial_is_refused_and_recorded(uow: UnitOfWork, database: Database) -> None:
    with pytest.raises(Forbidden, match="for programme administrators"), uow(LAB, "audit.read", "audit_log") as work:
        work.require(Action.READ, AUDIT_LOG, what="audit log")
    assert [row[1:3] for row in audit_rows(database)] == [("audit.read", "denied")]


def test_an_operational_error_is_not_a_refusal(uow: UnitOfWork, database: Database) -> None:
    with pytest.raises(OperationalError), uow(LAB, "org.create", "organisation") as work:
        add_org(work.session, "d")
        raise OperationalError("disk full")
    assert audit_rows(database) == []


def test_nested_units_join_the_outer_transaction(uow: UnitOfWork, database: Database) -> None:
    with pytest.raises(RuntimeError), uow(LAB, "batch", "organisation") as outer:
        with uow(LAB, "org.create", "organisation", "org_t_e") as inner:
            assert inner.session is outer.session
            add_org(inner.session, "e")
        raise RuntimeError("the outer use case fails after the inner one succeeded")
    assert org_names(database) == set()  # all or nothing


def test_a_refused_nested_unit_rolls_back_only_its_savepoint_and_its_refusal_survives(
    uow: UnitOfWork, database: Database
) -> None:
    with uow(LAB, "batch", "organisation") as outer:
        add_org(outer.session, "f")
        with pytest.raises(Conflict), uow(LAB, "org.create", "organisation", "org_t_g") as inner:
            add_org(inner.session, "g")
            raise Conflict("exists")
        outer.record()
    assert org_names(database) == {"f"}
    assert [row[1:3] for row in audit_rows(database)] == [("org.create", "conflict"), ("batch", "ok")]


def test_a_nested_refusal_that_fails_the_outer_unit_is_recorded_once(uow: UnitOfWork, database: Database) -> None:
    with pytest.raises(NotFound), uow(LAB, "batch", "organisation") as outer:
        add_org(outer.session, "h")
        with uow(LAB, "org.read", "organisation", "org_missing"):
            raise NotFound("missing")
    assert org_names(database) == set()
    assert [row[1:3] for row in audit_rows(database)] == [("org.read", "not_found")]


def test_a_system_actor_is_named_in_the_log(uow: UnitOfWork, database: Database) -> None:
    with uow(SCHEDULER, "review.close", "review", "rev_1") as work:
        work.record(reason="window ended")
    assert audit_rows(database)[0][1:] == ("review.close", "ok", "system:scheduler")


@pytest.mark.postgres
def test_audited_reads_do_not_wait_for_the_chain_lock(_postgres_url: str) -> None:
    """While another transaction holds the chain head locked (a long write), audited reads still finish.
    (PostgreSQL only: SQLite serialises every writer, so there is no row lock to wait for.)"""
    database = Database(_postgres_url)
    uow = UnitOfWork(database, ManualClock(T0), AuditChain(database, AuditKey.from_secret(b"k")))
    locked = threading.Event()
    release = threading.Event()

    def hold_the_head() -> None:
        with database.session() as session:
            session.execute(sa.select(AuditChainHead).with_for_update())
            locked.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_head)
    holder.start()
    try:
        assert locked.wait(10)
        done = threading.Event()

        def read() -> None:
            with uow(LAB, "org.read", "organisation", "org_x") as work:
                work.record()
            done.set()

        reader = threading.Thread(target=read)
        reader.start()
        assert done.wait(10), "an audited read queued behind the chain lock"
        reader.join()
    finally:
        release.set()
        holder.join()
        database.dispose()
