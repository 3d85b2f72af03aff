"""Tables of the identity slice: organisations, users, API tokens and web sessions.

``login_failures`` counts failed sign-ins per email address for the login throttle (``throttle.py``).
Credentials are stored only as SHA-256 digests of their secrets (``token_hash``); passwords only as
argon2 hashes. The migration ``0002_identity`` creates exactly these tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bastion.core.ids import SessionID, TokenID
from bastion.core.principal import OrgID, OrgKind, UserID
from bastion.db.base import Base, EnumText, UTCDateTime


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[OrgID] = mapped_column(sa.String(40), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[OrgKind] = mapped_column(EnumText(OrgKind, 32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class User(Base):
    __tablename__ = "users"

    id: Mapped[UserID] = mapped_column(sa.String(40), primary_key=True)
    org_id: Mapped[OrgID] = mapped_column(sa.String(40), sa.ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    roles: Mapped[list[Any]] = mapped_column(sa.JSON())
    clearance: Mapped[int] = mapped_column(sa.Integer())
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(sa.Boolean())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[TokenID] = mapped_column(sa.String(40), primary_key=True)
    user_id: Mapped[UserID] = mapped_column(sa.String(40), sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[SessionID] = mapped_column(sa.String(40), primary_key=True)
    user_id: Mapped[UserID] = mapped_column(sa.String(40), sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginFailure(Base):
    """One failed sign-in for an email address (known or not), kept while it counts for the throttle."""

    __tablename__ = "login_failures"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
