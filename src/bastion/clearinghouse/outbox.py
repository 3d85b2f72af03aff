"""The clearinghouse's outbox: notices (a vendor added to a case), SLA reminders and escalations, embargo
reminders and publications, written in the same transaction as what causes them, for delivery adapters
(email, webhook) to pick up. Enqueueing is idempotent (``dedupe_key`` is unique): however often the clock
ticks, each reminder goes once. Payloads carry ids and times only, never a flaw's details."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bastion.clearinghouse._base import OPERATIONS, ClearinghouseContext, new_id
from bastion.clearinghouse.models import OutboxRow
from bastion.clearinghouse.public import OutboxMessagePublic, OutboxPublic
from bastion.core.access import Action, not_found
from bastion.core.ids import NoticeID
from bastion.core.principal import Principal


class Topic:
    VENDOR_NOTIFIED = "clearinghouse.vendor_notified"
    SLA_REMINDER = "clearinghouse.sla.reminder"
    SLA_ESCALATION = "clearinghouse.sla.escalation"
    EMBARGO_REMINDER = "clearinghouse.embargo.reminder"
    PUBLISHED = "clearinghouse.published"


def enqueue(session: Session, *, topic: str, dedupe_key: str, payload: dict[str, Any], at: datetime) -> bool:
    """Add a message unless one with this key exists. Returns whether it was added."""
    if session.scalar(sa.select(OutboxRow.id).where(OutboxRow.dedupe_key == dedupe_key)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(OutboxRow(id=new_id("out"), topic=topic, dedupe_key=dedupe_key, payload=payload, created_at=at))
    except IntegrityError:  # a concurrent tick enqueued it first
        return False
    return True


def _public(row: OutboxRow) -> OutboxMessagePublic:
    return OutboxMessagePublic(
        id=row.id, topic=row.topic, payload=row.payload, created_at=row.created_at, delivered_at=row.delivered_at
    )


class OutboxService:
    def __init__(self, ctx: ClearinghouseContext) -> None:
        self._ctx = ctx

    def list(self, actor: Principal, *, pending_only: bool = False, topic: str | None = None) -> OutboxPublic:
        with self._ctx.uow(actor, "ch_outbox.list", "ch_outbox", None) as work:
            work.require(Action.READ, OPERATIONS, what="clearinghouse outbox", refusal="the outbox is for analysts")
            query = sa.select(OutboxRow).order_by(OutboxRow.created_at, OutboxRow.id)
            if pending_only:
                query = query.where(OutboxRow.delivered_at.is_(None))
            if topic:
                query = query.where(OutboxRow.topic == topic)
            rows = work.session.scalars(query).all()
            work.record(count=len(rows))
            return OutboxPublic(data=[_public(r) for r in rows], count=len(rows))

    def mark_delivered(self, actor: Principal, message_id: NoticeID) -> OutboxMessagePublic:
        with self._ctx.uow(actor, "ch_outbox.deliver", "ch_outbox", message_id) as work:
            work.require(Action.UPDATE, OPERATIONS, what="clearinghouse outbox", refusal="the outbox is for analysts")
            row = work.session.get(OutboxRow, message_id)
            if row is None:
                raise not_found(f"outbox message {message_id}")
            if row.delivered_at is None:
                row.delivered_at = work.now
            work.record(topic=row.topic)
            return _public(row)
