"""The one audited unit of work every slice's use cases run in.

::

    with uow(actor, "finding.update", "finding", finding_id) as work:
        finding = work.session.get(FindingRow, finding_id)
        work.require(Action.UPDATE, resource_of(finding), what=f"finding {finding_id}")
        finding.severity = new
        work.record(from_severity=old, to_severity=new)  # the unit's own action, type and id

A unit is one transaction: it commits when the block ends and rolls back on any exception. Inside it:

- ``work.require`` asks the one access policy (``bastion.core.access``); a concealed denial is the very same
  ``NotFound`` as a missing id.
- ``work.record`` appends an audit event in the same transaction (it commits if and only if the change does).
- A *refusal* (a ``BastionError`` that is a 400, 401, 403, 404, 409 or 429) rolls the work back and is itself
  recorded, with its outcome and code, in a transaction of its own. Operational errors and bugs are not
  refusals; they are logged, not audited.
- Before a unit that changed anything commits, it seals the audit chain (``AuditChain.seal``), so every
  committed change has a sealed event; a unit that only read never takes the chain's lock, so audited reads
  do not queue on one another.
- Units nest: a use case that calls another's public method inside its own unit joins it through a savepoint
  (per thread or task, on the same database). A refusal inside the inner unit rolls back only the savepoint;
  its audit event survives whatever the outer unit does next.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from bastion.core import audit
from bastion.core.access import Action, Resource, authorize, decide
from bastion.core.audit import Actor, AuditChain, AuditOutcome
from bastion.core.audit_models import AuditEvent
from bastion.core.clock import Clock
from bastion.core.errors import (
    BastionError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthenticated,
)
from bastion.core.principal import Principal
from bastion.db import Database

_REFUSALS: tuple[tuple[type[BastionError], AuditOutcome], ...] = (
    (NotFound, AuditOutcome.NOT_FOUND),
    (Forbidden, AuditOutcome.DENIED),
    (Unauthenticated, AuditOutcome.DENIED),
    (TooManyRequests, AuditOutcome.THROTTLED),
    (Conflict, AuditOutcome.CONFLICT),
    (InvalidInput, AuditOutcome.INVALID),
)
_RECORDED = "_bastion_refusal_recorded"  # set on an error once its refusal is in the audit log
_WROTE = "bastion_wrote"  # session.info flag: this transaction changed something besides the audit log


def is_recorded(error: BaseException) -> bool:
    """Whether a unit of work already recorded this refusal (so a shell does not record it twice)."""
    return bool(getattr(error, _RECORDED, False))


def refusal_outcome(error: BaseException) -> AuditOutcome | None:
    """The audit outcome of a refusal, or None when ``error`` is no refusal (operational errors, bugs)."""
    if isinstance(error, BastionError):
        for kind, outcome in _REFUSALS:
            if isinstance(error, kind):
                return outcome
    return None


@dataclass(frozen=True, slots=True)
class _Refusal:
    at: datetime
    actor: Actor | None
    action: str
    resource_type: str
    resource_id: str | None
    outcome: AuditOutcome
    code: str
    error: BaseException  # not written: tells an outer unit that this error's refusal is already recorded


@dataclass(eq=False)
class Work:
    """What a use case holds inside a unit: the session, who acts, and the means to check and record."""

    session: Session
    actor: Actor | None
    action: str
    resource_type: str
    resource_id: str | None
    _uow: UnitOfWork
    _refusals: list[_Refusal] = field(default_factory=list)

    @property
    def now(self) -> datetime:
        return self._uow.clock.now()

    def require(self, action: Action, resource: Resource, *, what: str, refusal: str | None = None) -> None:
        """Raise unless the access policy allows ``action`` on ``resource``.

        Without ``refusal`` a concealed denial is the same ``NotFound`` as a missing ``what``, and any other
        denial a ``Forbidden`` naming the reason. With ``refusal`` (creating something, or acting on what the
        caller can already see) every denial is a ``Forbidden`` saying ``refusal``: there is nothing to conceal.
        """
        principal = self._principal()
        if refusal is None:
            authorize(principal, action, resource, what=what)
            return
        decision = decide(principal, action, resource)
        if not decision.allowed:
            raise Forbidden(refusal, details={"reason": decision.reason})

    def allowed(self, action: Action, resource: Resource) -> bool:
        """For lists and counts: does the policy allow this row (``Action.READ``: may it appear at all)?"""
        return decide(self._principal(), action, resource).allowed

    def record(
        self,
        action: str | None = None,
        resource_type: str | None = None,
        resource_id: str | None = None,
        /,
        **detail: Any,
    ) -> None:
        """Append an audit event in this transaction; by default the unit's own action, type and id."""
        audit.record(
            self.session,
            at=self.now,
            actor=self.actor,
            action=action or self.action,
            resource_type=resource_type or self.resource_type,
            resource_id=self.resource_id if resource_id is None and action is None else resource_id,
            detail=detail or None,
        )

    def _principal(self) -> Principal:
        if not isinstance(self.actor, Principal):
            raise TypeError("access decisions need a signed-in principal, not a system actor")
        return self.actor


_current: ContextVar[Work | None] = ContextVar("bastion_current_work", default=None)


def _mark_flush(session: Session, _flush: UOWTransaction) -> None:
    if session.new or session.dirty or session.deleted:
        session.info[_WROTE] = True


def _mark_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    tables = {mapper.local_table for mapper in state.all_mappers} if state.all_mappers else set()
    if tables != {AuditEvent.__table__}:
        state.session.info[_WROTE] = True


class UnitOfWork:
    """Opens units of work on one database; built once per process by the composition root."""

    def __init__(self, database: Database, clock: Clock, chain: AuditChain) -> None:
        self.database = database
        self.clock = clock
        self.chain = chain

    @contextmanager
    def __call__(
        self, actor: Actor | None, action: str, resource_type: str, resource_id: str | None = None
    ) -> Iterator[Work]:
        outer = _current.get()
        if outer is not None and outer._uow.database is self.database:
            with self._nested(outer, actor, action, resource_type, resource_id) as work:
                yield work
            return
        with self._root(actor, action, resource_type, resource_id) as work:
            yield work

    @contextmanager
    def _root(self, actor: Actor | None, action: str, resource_type: str, resource_id: str | None) -> Iterator[Work]:
        refusals: list[_Refusal] = []  # recorded in this transaction by nested units: lost if it rolls back
        try:
            with self.database.session() as session:
                event.listen(session, "after_flush", _mark_flush)
                event.listen(session, "do_orm_execute", _mark_execute)
                work = Work(session, actor, action, resource_type, resource_id, self, refusals)
                token = _current.set(work)
                try:
                    yield work
                finally:
                    _current.reset(token)
                session.flush()
                if session.info.get(_WROTE):
                    self.chain.seal(session)
        except BaseException as error:
            own = self._refusal(error, refusals, actor, action, resource_type, resource_id)
            lost = [*refusals, own] if own is not None else refusals
            if lost:
                with self.database.session() as session:
                    self._write_refusals(session, lost)
            raise

    @contextmanager
    def _nested(
        self, outer: Work, actor: Actor | None, action: str, resource_type: str, resource_id: str | None
    ) -> Iterator[Work]:
        session = outer.session
        work = Work(session, actor, action, resource_type, resource_id, self, outer._refusals)
        token = _current.set(work)
        try:
            with session.begin_nested():
                yield work
        except BaseException as error:
            own = self._refusal(error, outer._refusals, actor, action, resource_type, resource_id)
            if own is not None:  # the savepoint is rolled back: record it in the outer transaction now
                self._write_refusals(session, [own])
                outer._refusals.append(own)
            raise
        finally:
            _current.reset(token)

    def _refusal(  # noqa: PLR0917 - the unit's own four names, passed straight through
        self,
        error: BaseException,
        recorded: list[_Refusal],
        actor: Actor | None,
        action: str,
        resource_type: str,
        resource_id: str | None,
    ) -> _Refusal | None:
        """The refusal event for ``error``, or None if it is no refusal or a nested unit recorded it."""
        outcome = refusal_outcome(error)
        if outcome is None or any(r.error is error for r in recorded):
            return None
        code = error.code if isinstance(error, BastionError) else type(error).__name__
        return _Refusal(self.clock.now(), actor, action, resource_type, resource_id, outcome, code, error)

    def record_refusal(
        self, actor: Actor | None, action: str, resource_type: str, resource_id: str | None, error: BaseException
    ) -> None:
        """Record a refusal made outside any unit (a shell refusing a signed-in caller's malformed request), in a
        transaction of its own; nothing if ``error`` is no refusal or a unit already recorded it."""
        if is_recorded(error):
            return
        refusal = self._refusal(error, [], actor, action, resource_type, resource_id)
        if refusal is not None:
            with self.database.session() as session:
                self._write_refusals(session, [refusal])

    @staticmethod
    def _write_refusals(session: Session, refusals: list[_Refusal]) -> None:
        for refusal in refusals:
            with contextlib.suppress(AttributeError, TypeError):  # an error that takes no attributes
                setattr(refusal.error, _RECORDED, True)
            audit.record(
                session,
                at=refusal.at,
                actor=refusal.actor,
                action=refusal.action,
                resource_type=refusal.resource_type,
                resource_id=refusal.resource_id,
                outcome=refusal.outcome,
                detail={"code": refusal.code},
            )

    def seal(self) -> int:
        """Seal what reads appended (periodic work, and before the log is read or verified)."""
        return self.chain.seal_now()
