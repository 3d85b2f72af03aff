"""Tables of the vulnerability database.

``advisories`` keeps each record as received (``raw``, ``raw_sha256``) beside the parsed document served by the
API. ``affected_packages`` is the normalized form used for matching (one row per affected package, indexed by
ecosystem and normalized name). ``advisory_aliases`` groups aliases. ``affected_commits`` indexes GIT range
events so a commit query is a lookup. ``kev_entries`` is the CISA Known Exploited Vulnerabilities catalogue.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bastion.db import Base, UTCDateTime


class Advisory(Base):
    __tablename__ = "advisories"

    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    modified: Mapped[datetime] = mapped_column(UTCDateTime())
    published: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn: Mapped[datetime | None] = mapped_column(UTCDateTime())
    summary: Mapped[str | None] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.String(500))
    raw: Mapped[str] = mapped_column(sa.Text)
    raw_format: Mapped[str] = mapped_column(sa.String(8))
    raw_sha256: Mapped[str] = mapped_column(sa.String(64))
    document: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AdvisoryAlias(Base):
    __tablename__ = "advisory_aliases"

    advisory_id: Mapped[str] = mapped_column(sa.ForeignKey("advisories.id", ondelete="CASCADE"), primary_key=True)
    alias: Mapped[str] = mapped_column(sa.String(255), primary_key=True, index=True)


class AffectedPackage(Base):
    __tablename__ = "affected_packages"
    __table_args__ = (sa.Index("ix_affected_packages_lookup", "ecosystem", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    advisory_id: Mapped[str] = mapped_column(sa.ForeignKey("advisories.id", ondelete="CASCADE"), index=True)
    ecosystem: Mapped[str] = mapped_column(sa.String(100))  # canonical base name, e.g. "Debian"
    ecosystem_release: Mapped[str | None] = mapped_column(sa.String(100))  # e.g. "11" of "Debian:11"
    name: Mapped[str] = mapped_column(sa.String(500))  # normalized as the ecosystem compares names
    entry: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # the record's `affected` element, as received
    # {"ordering": ORDERING_REVISION, "versions": entry's readable `versions` in the ecosystem's order}
    listed_order: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)


class AffectedCommit(Base):
    __tablename__ = "affected_commits"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    advisory_id: Mapped[str] = mapped_column(sa.ForeignKey("advisories.id", ondelete="CASCADE"), index=True)
    commit: Mapped[str] = mapped_column(sa.String(64), index=True)
    affected_index: Mapped[int] = mapped_column()  # which element of `affected` the event belongs to


class KevEntry(Base):
    __tablename__ = "kev_entries"

    cve_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    vendor: Mapped[str] = mapped_column(sa.String(500))
    product: Mapped[str] = mapped_column(sa.String(500))
    name: Mapped[str] = mapped_column(sa.Text)
    date_added: Mapped[date] = mapped_column(sa.Date)
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    known_ransomware_use: Mapped[str | None] = mapped_column(sa.String(32))
    required_action: Mapped[str | None] = mapped_column(sa.Text)
    catalog_version: Mapped[str] = mapped_column(sa.String(64))
    raw_sha256: Mapped[str] = mapped_column(sa.String(64))


class AdvisoryGeneration(Base):
    """One row counting changes to the matching data; caches of it compare against this number."""

    __tablename__ = "advisory_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger)
