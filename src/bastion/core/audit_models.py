"""Tables of the audit log: the append-only events and the one-row chain head.

Events are appended without coordination: a new row gets an ``id`` and nothing else of the chain. *Sealing*
(``bastion.core.audit.AuditChain.seal``) later gives every unsealed row, in ``id`` order, its ``seq`` (1, 2,
3 ...), ``prev_hash`` and keyed ``hash``, under a lock on the head row (id 1), which holds the sequence number
and hash of the newest sealed event. Reads therefore never wait on one another; writes seal in their own
transaction, so a committed change always has a sealed event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bastion.db.base import Base, UTCDateTime

GENESIS_HASH = "0" * 64
HEAD_ID = 1

# SQLite autoincrements only an INTEGER PRIMARY KEY (a 64-bit rowid anyway).
AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(AUTO_ID, primary_key=True, autoincrement=True)
    seq: Mapped[int | None] = mapped_column(sa.BigInteger(), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_user_id: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    actor_org_id: Mapped[str | None] = mapped_column(sa.String(40))
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    resource_type: Mapped[str] = mapped_column(sa.String(40))
    resource_id: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON())
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(64))


class AuditChainHead(Base):
    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(sa.Integer(), primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(sa.BigInteger())
    last_hash: Mapped[str] = mapped_column(sa.String(64))
