"""The append-only, keyed, hash-chained audit log: every read and write of protected content, every refusal.

**Appending** (``record``) inserts an event in the caller's transaction, so it commits if and only if the
caller's change does. It takes no lock: concurrent audited reads never queue on one another.

**Sealing** (``AuditChain.seal``) gives the unsealed events, in the order they were appended, their ``seq``
(1, 2, 3 ...), ``prev_hash`` and ``hash = HMAC(chain key, prev_hash || canonical JSON of the event)``, under
a lock on the one-row chain head. Every unit of work that changes state seals before it commits
(``bastion.core.work``), so a committed change always has a sealed event; events of reads are sealed by the
next write, by ``seal_now`` (periodic work, ``bastion audit verify``) or before the log is read.

**Verifying** (``AuditChain.verify``) recomputes the chain and reports the first event that was edited, deleted,
reordered or inserted. The chain key lives outside the database (``BASTION_AUDIT_KEY`` or a key file, by
default ``data_dir/audit.key``), so someone who can write the database but not read the key cannot re-chain
rewritten events or forge new ones. Truncating the end of the log and rolling the head back is caught by
**checkpoints**: ``AuditChain.checkpoint`` signs the head (seq and hash) for storage outside the database
(``bastion audit checkpoint``); ``verify`` against the latest checkpoint fails if the log no longer reaches it
or its event there changed. What happens after the latest checkpoint to events not yet sealed is not
covered; the README states the whole threat model.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session

from bastion.core.config import Settings
from bastion.core.errors import InvalidInput, OperationalError
from bastion.core.principal import Principal
from bastion.db import Database

from .audit_models import GENESIS_HASH, HEAD_ID, AuditChainHead, AuditEvent

# Keys that would put a credential into the log; ``record`` refuses them at any depth.
FORBIDDEN_DETAIL_KEYS = frozenset({"password", "password_hash", "token", "token_hash", "secret", "credentials"})
KEY_FILE_NAME = "audit.key"
_CHAIN_INFO = b"bastion audit chain v1"
_CHECKPOINT_INFO = b"bastion audit checkpoint v1"


class AuditOutcome(StrEnum):
    OK = "ok"
    DENIED = "denied"  # 401, 403
    NOT_FOUND = "not_found"  # 404: missing, or concealed
    INVALID = "invalid"  # 400: the request was malformed
    CONFLICT = "conflict"  # 409: refused by the current state
    THROTTLED = "throttled"  # 429


@dataclass(frozen=True, slots=True)
class SystemActor:
    """Bastion itself acting, not a person: the scheduler closing a review, an import, a worker."""

    name: str

    @property
    def user_id(self) -> str:
        return f"system:{self.name}"


SCHEDULER = SystemActor("scheduler")
WORKER = SystemActor("worker")  # a background job's own bookkeeping (an evaluation run's status)
Actor = Principal | SystemActor


class AuditEntry(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    seq: int | None  # None while the event waits to be sealed into the chain
    at: datetime
    actor_user_id: str | None
    actor_org_id: str | None
    action: str
    resource_type: str
    resource_id: str | None
    outcome: str
    detail: dict[str, Any]
    prev_hash: str | None
    hash: str | None


class AuditVerification(BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool
    events_checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    checkpoint_seq: int | None = None  # the checkpoint the log was verified against, if any


class Checkpoint(BaseModel):
    """The signed head of the chain at one moment, kept outside the database."""

    model_config = ConfigDict(frozen=True)

    seq: int
    hash: str
    at: datetime
    mac: str

    def line(self) -> str:
        return self.model_dump_json()

    @classmethod
    def latest_in(cls, path: Path) -> Checkpoint:
        """The last checkpoint in a file written by ``bastion audit checkpoint`` (one JSON object a line)."""
        try:
            lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        except OSError as e:
            raise InvalidInput(
                f"cannot read audit checkpoints from {path}: {e.strerror}",
                code="audit_checkpoint_unreadable",
                hint="give the file `bastion audit checkpoint --output FILE` wrote",
            ) from e
        if not lines:
            raise InvalidInput(f"{path} holds no audit checkpoint", code="audit_checkpoint_unreadable")
        try:
            return cls.model_validate_json(lines[-1])
        except ValidationError as e:
            raise InvalidInput(
                f"the last line of {path} is not an audit checkpoint", code="audit_checkpoint_unreadable"
            ) from e


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


def record(
    session: Session,
    *,
    at: datetime,
    actor: Actor | None,
    action: str,
    resource_type: str,
    resource_id: str | None,
    outcome: str = AuditOutcome.OK,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append one event, unsealed, in the caller's transaction: it commits if and only if the caller's change
    does. Takes no lock."""
    if at.tzinfo is None:
        raise ValueError("audit events need a timezone-aware time")
    clean_detail: dict[str, Any] = json.loads(canonical_json(dict(detail or {})))
    _check_no_secrets(clean_detail)
    session.execute(
        sa.insert(AuditEvent).values(
            at=at.astimezone(UTC),
            actor_user_id=actor.user_id if actor else None,
            actor_org_id=actor.org_id if isinstance(actor, Principal) else None,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            outcome=AuditOutcome(outcome).value,
            detail=clean_detail,
        )
    )


def _hashed_fields(event: Any) -> dict[str, Any]:
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


@dataclass(frozen=True, slots=True)
class AuditKey:
    """The chain's keys, derived from one secret kept outside the database."""

    chain: bytes
    checkpoints: bytes

    @classmethod
    def from_secret(cls, secret: bytes) -> AuditKey:
        if not secret:
            raise InvalidInput("the audit key is empty", code="audit_key_invalid", hint="set BASTION_AUDIT_KEY")
        return cls(
            chain=hmac.new(secret, _CHAIN_INFO, hashlib.sha256).digest(),
            checkpoints=hmac.new(secret, _CHECKPOINT_INFO, hashlib.sha256).digest(),
        )

    @classmethod
    def from_file(cls, path: Path) -> AuditKey:
        """Read the key file, creating it (mode 0600, 32 random bytes, never overwritten) if it is missing."""
        from bastion.core.crypto import read_or_create_key

        return cls.from_secret(read_or_create_key(path, lambda: secrets.token_hex(32).encode()))

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditKey:
        if settings.audit_key:
            return cls.from_secret(settings.audit_key.encode("utf-8"))
        return cls.from_file(settings.audit_key_file or settings.data_dir / KEY_FILE_NAME)

    def event_hash(self, prev_hash: str, fields: Mapping[str, Any]) -> str:
        message = (prev_hash + canonical_json(dict(fields))).encode("utf-8")
        return hmac.new(self.chain, message, hashlib.sha256).hexdigest()

    def checkpoint_mac(self, seq: int, hash_: str, at: datetime) -> str:
        message = f"{seq}:{hash_}:{at.astimezone(UTC).isoformat(timespec='microseconds')}".encode()
        return hmac.new(self.checkpoints, message, hashlib.sha256).hexdigest()


def _lock_head(session: Session) -> tuple[int, str]:
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: a write takes the database write lock, which then serialises sealers
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
            "the audit chain head is missing, so no event can be sealed",
            code="audit_chain_broken",
            hint="run `bastion audit verify` and restore the database from a backup",
        ) from e
    return int(last_seq), str(last_hash)


def _head(session: Session) -> tuple[int, str] | None:
    row = session.execute(
        sa.select(AuditChainHead.last_seq, AuditChainHead.last_hash).where(AuditChainHead.id == HEAD_ID)
    ).one_or_none()
    return None if row is None else (int(row[0]), str(row[1]))


_SEAL_COLUMNS = (
    AuditEvent.id,
    AuditEvent.at,
    AuditEvent.actor_user_id,
    AuditEvent.actor_org_id,
    AuditEvent.action,
    AuditEvent.resource_type,
    AuditEvent.resource_id,
    AuditEvent.outcome,
    AuditEvent.detail,
)


class AuditChain:
    """Seals, verifies and checkpoints the audit log of one database with one key."""

    def __init__(self, database: Database, key: AuditKey) -> None:
        self._db = database
        self._key = key

    def seal(self, session: Session) -> int:
        """Chain every unsealed event visible to ``session``, oldest first, in the caller's transaction."""
        last_seq, last_hash = _lock_head(session)
        rows = session.execute(sa.select(*_SEAL_COLUMNS).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id))
        updates: list[dict[str, Any]] = []
        for row in rows:
            seq = last_seq + 1
            fields = _hashed_fields(_Sealing(seq=seq, **row._mapping))
            digest = self._key.event_hash(last_hash, fields)
            updates.append({"id": row.id, "seq": seq, "prev_hash": last_hash, "hash": digest})
            last_seq, last_hash = seq, digest
        if not updates:
            return 0
        session.execute(sa.update(AuditEvent), updates)
        session.execute(
            sa.update(AuditChainHead)
            .where(AuditChainHead.id == HEAD_ID)
            .values(last_seq=last_seq, last_hash=last_hash)
            .execution_options(synchronize_session=False)
        )
        return len(updates)

    def seal_now(self) -> int:
        """Seal everything appended so far, in a transaction of its own."""
        with self._db.session() as session:
            return self.seal(session)

    def checkpoint(self, at: datetime) -> Checkpoint:
        """Seal, then sign the head: store the result outside the database."""
        with self._db.session() as session:
            self.seal(session)
            head = _head(session)
        assert head is not None  # seal() raised otherwise
        seq, digest = head
        return Checkpoint(seq=seq, hash=digest, at=at, mac=self._key.checkpoint_mac(seq, digest, at))

    def verify(self, *, checkpoint: Checkpoint | None = None) -> AuditVerification:
        """Recompute the sealed chain up to the head; report the first event that does not fit, and why.

        The head is read first, so events sealed while verifying are not mistaken for tampering; a sealed
        event beyond the head that no seal accounts for is reported as inserted. With ``checkpoint``, the log
        must still reach it, unchanged.
        """
        if checkpoint is not None and not hmac.compare_digest(
            checkpoint.mac, self._key.checkpoint_mac(checkpoint.seq, checkpoint.hash, checkpoint.at)
        ):
            return _bad(0, checkpoint.seq, "the checkpoint's signature does not match this audit key (forged?)")
        with self._db.read_session() as session:
            head = _head(session)
            if head is None:
                return _bad(0, 1, "the chain head row is missing")
            result, hash_there = self._walk(session, head, checkpoint.seq if checkpoint else None)
        if result.ok and checkpoint is not None:
            return _against(result, checkpoint, hash_there)
        return result

    def _walk(self, session: Session, head: tuple[int, str], want: int | None) -> tuple[AuditVerification, str | None]:
        """The verification, and the hash of event ``want`` as found (for a checkpoint)."""
        head_seq, head_hash = head
        found: str | None = None
        checked, prev_hash = 0, GENESIS_HASH
        statement = (
            sa.select(AuditEvent)
            .where(AuditEvent.seq.is_not(None))
            .order_by(AuditEvent.seq)
            .execution_options(yield_per=500)
        )
        for event in session.execute(statement).scalars():
            assert event.seq is not None
            if event.seq > head_seq and checked == head_seq:
                later = _head(session)
                if later is None or event.seq > later[0]:
                    return _bad(checked, event.seq, f"event {event.seq} lies beyond the chain head (inserted)"), None
                break  # sealed while we were verifying: not part of this check
            problem = self._problem(event, checked + 1, prev_hash)
            if problem is not None:
                return _bad(checked, *problem), None
            checked, prev_hash = checked + 1, event.hash or ""
            if event.seq == want:
                found = prev_hash
        if checked < head_seq:
            missing = f"events {checked + 1} to {head_seq} are missing from the end of the log"
            return _bad(checked, checked + 1, missing), None
        if head_hash != prev_hash:
            return _bad(checked, head_seq, f"the chain head does not match event {head_seq}"), None
        return AuditVerification(ok=True, events_checked=checked), found

    def _problem(self, event: AuditEvent, expected: int, prev_hash: str) -> tuple[int, str] | None:
        assert event.seq is not None
        if event.seq != expected:
            return expected, f"event {expected} is missing (the next event found is {event.seq})"
        if event.prev_hash != prev_hash:
            return event.seq, f"event {event.seq} does not link to the event before it (deleted or reordered)"
        expected_hash = self._key.event_hash(prev_hash, _hashed_fields(event))
        if not hmac.compare_digest(event.hash or "", expected_hash):
            return event.seq, f"event {event.seq} does not match its keyed hash (changed or forged)"
        return None


@dataclass(frozen=True, slots=True)
class _Sealing:
    """An event's stored values with the seq it is about to get (what its hash covers)."""

    seq: int
    id: int
    at: datetime
    actor_user_id: str | None
    actor_org_id: str | None
    action: str
    resource_type: str
    resource_id: str | None
    outcome: str
    detail: dict[str, Any]


def _against(result: AuditVerification, checkpoint: Checkpoint, hash_there: str | None) -> AuditVerification:
    checked = result.events_checked
    if checked < checkpoint.seq:
        return _bad(
            checked,
            checked + 1,
            f"the log ends at event {checked} but the checkpoint of {checkpoint.at:%Y-%m-%d %H:%M:%S} saw "
            f"{checkpoint.seq} events: events were removed from the end",
        )
    if hash_there != checkpoint.hash:
        return _bad(checked, checkpoint.seq, f"event {checkpoint.seq} differs from the checkpoint (rewritten)")
    return AuditVerification(ok=True, events_checked=checked, checkpoint_seq=checkpoint.seq)


def _bad(checked: int, seq: int, problem: str) -> AuditVerification:
    return AuditVerification(ok=False, events_checked=checked, first_bad_seq=seq, problem=problem)


def list_events(
    session: Session, *, after_seq: int = 0, limit: int = 100, resource_id: str | None = None
) -> tuple[list[AuditEntry], int]:
    """A page of sealed events in chain order, and the total count matching the filter (seal first)."""
    query = sa.select(AuditEvent).where(AuditEvent.seq.is_not(None))
    count_query = sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_not(None))
    if resource_id is not None:
        query = query.where(AuditEvent.resource_id == resource_id)
        count_query = count_query.where(AuditEvent.resource_id == resource_id)
    rows = session.execute(query.where(AuditEvent.seq > after_seq).order_by(AuditEvent.seq).limit(limit))
    total = int(session.execute(count_query).scalar_one())
    return [AuditEntry.model_validate(row) for row in rows.scalars()], total
