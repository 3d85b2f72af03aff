"""Tables of the audit log: the append-only, hash-chained events and the one-row chain head.

The head row (id 1) holds the sequence number and hash of the newest event. Appenders lock it first
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers), which keeps the chain linear
under concurrent writers and lets ``verify`` notice events deleted from the end of the chain.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bastion.db.base import Base, UTCDateTime

GENESIS_HASH = "0" * 64
HEAD_ID = 1


class AuditEvent(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(sa.BigInteger(), primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_user_id: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    actor_org_id: Mapped[str | None] = mapped_column(sa.String(40))
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    resource_type: Mapped[str] = mapped_column(sa.String(40))
    resource_id: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON())
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class AuditChainHead(Base):
    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(sa.Integer(), primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(sa.BigInteger())
    last_hash: Mapped[str] = mapped_column(sa.String(64))
