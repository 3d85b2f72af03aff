"""Named locks for read-modify-write of shared state that has no row of its own to lock (a throttle's count
of failures for one address, "is any administrator left").

``lock_name`` holds until the caller's transaction ends. On PostgreSQL it is a transaction-level advisory lock
on a 64-bit key derived from the name; on SQLite every writing transaction already holds the database's write
lock from its first statement (``BEGIN IMMEDIATE``, see ``database.py``), which serialises such units anyway.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.orm import Session


def lock_key(name: str) -> int:
    """The advisory-lock key of ``name``: the first 8 bytes of its SHA-256, as a signed 64-bit integer."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)


def lock_name(session: Session, name: str) -> None:
    """Serialise the transactions that lock ``name``: wait for any other holder, hold until this one ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
