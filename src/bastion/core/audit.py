"""The append-only, hash-chained audit log of every read and write of review content.

Each event stores ``seq`` (1, 2, 3 ...), ``prev_hash`` (the previous event's hash, or 64 zeros) and
``hash = sha256(prev_hash || canonical JSON of the event)``. ``verify`` recomputes the chain and reports the
first event that was edited (hash mismatch), deleted (gap in ``seq`` or broken ``prev_hash``) or moved.
There is no code path that updates or deletes an event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum, StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session

from bastion.core.audit_models import GENESIS_HASH, HEAD_ID, AuditChainHead, AuditEvent
from bastion.core.errors import OperationalError
from bastion.core.principal import Principal
from bastion.db import Database

# Keys that would put a credential into the log; ``record`` refuses them at any depth.
FORBIDDEN_DETAIL_KEYS = frozenset({"password", "password_hash", "token", "token_hash", "secret", "credentials"})


class AuditOutcome(StrEnum):
    OK = "ok"
    DENIED = "denied"
    NOT_FOUND = "not_found"


class AuditEntry(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    seq: int
    at: datetime
    actor_user_id: str | None
    actor_org_id: str | None
    action: str
    resource_type: str
    resource_id: str | None
    outcome: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class AuditVerification(BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool
    events_checked: int
    first_bad_seq: int | None = None
    problem: str | None = None


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"audit detail values must be JSON data, not {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 as is: the same bytes for the same data on every backend."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def _check_no_secrets(value: Any, path: str = "detail") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).lower() in FORBIDDEN_DETAIL_KEYS:
                raise ValueError(f"{path}.{key}: credentials must never be written to the audit log")
            _check_no_secrets(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            _check_no_secrets(item, path)


def event_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(dict(fields))).encode("utf-8")).hexdigest()


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_user_id": event.actor_user_id,
        "actor_org_id": event.actor_org_id,
        "action": event.action,
        "resource_type": event.resource_type,
        "resource_id": event.resource_id,
        "outcome": event.outcome,
        "detail": event.detail,
    }


def _lock_head(session: Session) -> tuple[int, str]:
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: a write takes the database write lock, which then serialises appenders
        # until this transaction ends. (PostgreSQL gets the row lock from FOR UPDATE below.)
        session.execute(
            sa.update(AuditChainHead)
            .where(AuditChainHead.id == HEAD_ID)
            .values(last_seq=AuditChainHead.last_seq)
            .execution_options(synchronize_session=False)
        )
    statement = (
        sa.select(AuditChainHead.last_seq, AuditChainHead.last_hash)
        .where(AuditChainHead.id == HEAD_ID)
        .with_for_update()
    )
    try:
        last_seq, last_hash = session.execute(statement).one()
    except NoResultFound as e:
        raise OperationalError(
            "the audit chain head is missing, so no event can be appended",
            code="audit_chain_broken",
            hint="run `bastion audit verify` and restore the database from a backup",
        ) from e
    return int(last_seq), str(last_hash)


def record(
    session: Session,
    *,
    at: datetime,
    actor: Principal | None,
    action: str,
    resource_type: str,
    resource_id: str | None,
    outcome: str = "ok",
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append one event in the caller's transaction: it commits if and only if the caller's change does."""
    if at.tzinfo is None:
        raise ValueError("audit events need a timezone-aware time")
    clean_detail: dict[str, Any] = json.loads(canonical_json(dict(detail or {})))
    _check_no_secrets(clean_detail)
    last_seq, last_hash = _lock_head(session)
    event = AuditEvent(
        seq=last_seq + 1,
        at=at.astimezone(UTC),
        actor_user_id=actor.user_id if actor else None,
        actor_org_id=actor.org_id if actor else None,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        outcome=AuditOutcome(outcome).value,
        detail=clean_detail,
        prev_hash=last_hash,
    )
    event.hash = event_hash(last_hash, _hashed_fields(event))
    session.execute(sa.insert(AuditEvent).values({c: getattr(event, c) for c in _COLUMNS}))
    session.execute(
        sa.update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(last_seq=event.seq, last_hash=event.hash)
        .execution_options(synchronize_session=False)
    )


_COLUMNS = tuple(column.key for column in sa.inspect(AuditEvent).columns)


def _head(session: Session) -> tuple[int, str] | None:
    row = session.execute(
        sa.select(AuditChainHead.last_seq, AuditChainHead.last_hash).where(AuditChainHead.id == HEAD_ID)
    ).one_or_none()
    return None if row is None else (int(row[0]), str(row[1]))


def verify(database: Database) -> AuditVerification:
    """Recompute the chain up to the head; report the first event that does not fit, and why.

    The head is read first, so events appended while verifying are not mistaken for tampering; an
    event beyond the head that no append accounts for is reported as inserted.
    """
    with database.read_session() as session:
        head = _head(session)
        if head is None:
            return _bad(0, 1, "the chain head row is missing")
        head_seq, head_hash = head
        checked, prev_hash = 0, GENESIS_HASH
        statement = sa.select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=500)
        for event in session.execute(statement).scalars():
            if event.seq > head_seq and checked == head_seq:
                later = _head(session)
                if later is None or event.seq > later[0]:
                    return _bad(checked, event.seq, f"event {event.seq} lies beyond the chain head (inserted)")
                break  # appended while we were verifying: not part of this check
            problem = _problem(event, checked + 1, prev_hash)
            if problem is not None:
                return _bad(checked, *problem)
            checked, prev_hash = checked + 1, event.hash
    if checked < head_seq:
        return _bad(checked, checked + 1, f"events {checked + 1} to {head_seq} are missing from the end of the log")
    if head_hash != prev_hash:
        return _bad(checked, head_seq, f"the chain head does not match event {head_seq}")
    return AuditVerification(ok=True, events_checked=checked)


def _bad(checked: int, seq: int, problem: str) -> AuditVerification:
    return AuditVerification(ok=False, events_checked=checked, first_bad_seq=seq, problem=problem)


def _problem(event: AuditEvent, expected: int, prev_hash: str) -> tuple[int, str] | None:
    if event.seq != expected:
        return expected, f"event {expected} is missing (the next event found is {event.seq})"
    if event.prev_hash != prev_hash:
        return event.seq, f"event {event.seq} does not link to the event before it (deleted or reordered)"
    if event.hash != event_hash(event.prev_hash, _hashed_fields(event)):
        return event.seq, f"event {event.seq} does not match its hash (its content was changed)"
    return None


def list_events(
    session: Session, *, after_seq: int = 0, limit: int = 100, resource_id: str | None = None
) -> tuple[list[AuditEntry], int]:
    """A page of events in chain order, and the total count matching the filter."""
    query = sa.select(AuditEvent)
    count_query = sa.select(sa.func.count()).select_from(AuditEvent)
    if resource_id is not None:
        query = query.where(AuditEvent.resource_id == resource_id)
        count_query = count_query.where(AuditEvent.resource_id == resource_id)
    rows = session.execute(query.where(AuditEvent.seq > after_seq).order_by(AuditEvent.seq).limit(limit))
    total = int(session.execute(count_query).scalar_one())
    return [AuditEntry.model_validate(row) for row in rows.scalars()], total
