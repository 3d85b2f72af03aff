"""The outbox: messages (reminders, closures, clearinghouse candidates) written in the same transaction as
the change that causes them, for delivery adapters (email, webhook; later) to pick up.

Enqueueing is idempotent: each message has a ``dedupe_key`` under a unique constraint, so a reminder for a
given deadline is never enqueued twice, even by two ``tick`` runs racing each other. Payloads carry ids and
times only, never review content.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bastion.core.access import Action, Resource, ResourceKind, authorize, not_found
from bastion.core.ids import OutboxMessageID
from bastion.core.principal import Principal
from bastion.review._base import ReviewContext, new_id
from bastion.review.models import OutboxRow
from bastion.review.schemas import OutboxMessagePublic, OutboxPublic


class Topic:
    REMINDER = "review.reminder"
    CLOSED = "review.closed"
    FINDING_SHARED = "finding.shared"
    FOR_CLEARINGHOUSE = "finding.for_clearinghouse"


def enqueue(session: Session, *, topic: str, dedupe_key: str, payload: dict[str, Any], at: datetime) -> bool:
    """Add a message unless one with this key exists. Returns whether it was added."""
    if session.scalar(sa.select(OutboxRow.id).where(OutboxRow.dedupe_key == dedupe_key)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(OutboxRow(id=new_id("msg"), topic=topic, dedupe_key=dedupe_key, payload=payload, created_at=at))
    except IntegrityError:  # a concurrent writer enqueued the same message first
        return False
    return True


def _public(row: OutboxRow) -> OutboxMessagePublic:
    return OutboxMessagePublic(
        id=row.id,
        topic=row.topic,
        payload=row.payload,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )


OUTBOX = Resource(kind=ResourceKind.OUTBOX)


class OutboxService:
    def __init__(self, ctx: ReviewContext) -> None:
        self._ctx = ctx

    def list_messages(self, actor: Principal, *, pending_only: bool = False, topic: str | None = None) -> OutboxPublic:
        with self._ctx.unit(actor, "outbox.list", "outbox", None) as session:
            authorize(actor, Action.READ, OUTBOX, what="outbox")
            query = sa.select(OutboxRow).order_by(OutboxRow.created_at, OutboxRow.id)
            if pending_only:
                query = query.where(OutboxRow.delivered_at.is_(None))
            if topic:
                query = query.where(OutboxRow.topic == topic)
            rows = session.scalars(query).all()
            self._ctx.record(session, actor, "outbox.list", "outbox", None, count=len(rows))
            return OutboxPublic(data=[_public(r) for r in rows], count=len(rows))

    def mark_delivered(self, actor: Principal, message_id: OutboxMessageID) -> OutboxMessagePublic:
        with self._ctx.unit(actor, "outbox.deliver", "outbox", message_id) as session:
            authorize(actor, Action.UPDATE, OUTBOX, what=f"outbox message {message_id}")
            row = session.get(OutboxRow, message_id, with_for_update=True, populate_existing=True)
            if row is None:
                raise not_found(f"outbox message {message_id}")
            first = row.delivered_at is None
            if first:
                row.delivered_at = self._ctx.clock.now()
            self._ctx.record(session, actor, "outbox.deliver", "outbox", message_id, topic=row.topic, first=first)
            return _public(row)
