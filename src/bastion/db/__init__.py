"""Storage: one engine and session factory, one declarative base, one Alembic history."""

from bastion.db.base import Base, UTCDateTime
from bastion.db.database import Database

__all__ = ["Base", "Database", "UTCDateTime"]
