"""Reading advisories: by id, by alias (a CVE id finds every record that aliases it), with KEV status."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.advisories.errors import AdvisoryNotFound
from bastion.advisories.models import Advisory, AdvisoryAlias, AffectedPackage, KevEntry
from bastion.advisories.query import read_generation
from bastion.db import Database
from bastion.db.sets import among

KEV_KEY = "bastion_known_exploited"
CACHE_DOCUMENTS = 50_000
MAX_ALIAS_HOPS = 4


class StoredAdvisory:
    """A served record (annotated with known-exploited status) and, computed once, its JSON.

    Kept per process until the data generation moves; shared by every request: read it, never change it.
    """

    __slots__ = ("_json", "document")

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._json: bytes | None = None

    @property
    def osv_json(self) -> bytes:
        if self._json is None:
            self._json = orjson.dumps(self.document)
        return self._json


@dataclass(frozen=True, slots=True)
class AdvisoryLookup:
    """The record answering an id, and the whole alias group it belongs to (sorted ids)."""

    record: StoredAdvisory
    group: list[str]

    @property
    def document(self) -> dict[str, Any]:
        return self.record.document


@dataclass(frozen=True, slots=True)
class DatabaseStats:
    advisories: int
    withdrawn: int
    affected_packages: int
    kev_entries: int
    ecosystems: dict[str, int]


class AdvisoryService:
    """Reads advisories. Served documents are cached per process until the data's generation moves."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._cache: OrderedDict[str, StoredAdvisory] = OrderedDict()
        self._generation: int | None = None
        self._lock = threading.Lock()

    def get(self, vuln_id: str) -> AdvisoryLookup:
        """The record with this id, or else the first record (by id) whose alias group contains it.

        Withdrawn records are returned by id (they carry ``withdrawn``); they are never query results.
        """
        with self._database.read_session() as session:
            group = self._alias_group(session, vuln_id)
            if not group:
                raise AdvisoryNotFound(
                    f"no advisory with id or alias {vuln_id}",
                    hint="ids look like PYSEC-2023-1, RUSTSEC-2021-0001, GHSA-xxxx-xxxx-xxxx or CVE-2021-44228",
                )
            chosen = vuln_id if self._exists(session, vuln_id) else self._first_present(session, group)
            record = StoredAdvisory(self._documents(session, [chosen])[chosen])
        return AdvisoryLookup(record, group)

    def documents(self, ids: Sequence[str], *, generation: int | None = None) -> dict[str, dict[str, Any]]:
        """Full records for ``ids`` (those that exist), annotated with known-exploited status."""
        return {vid: record.document for vid, record in self.records(ids, generation=generation).items()}

    def records(self, ids: Sequence[str], *, generation: int | None = None) -> dict[str, StoredAdvisory]:
        """The served records for ``ids`` (those that exist), cached per data generation.

        ``generation``: the data generation the caller's answers came from (``QueryService``); given, it
        saves reading it again.
        """
        wanted = list(dict.fromkeys(ids))
        if generation is None:
            generation = read_generation(self._database)
        with self._lock:
            if generation != self._generation:
                self._cache.clear()
                self._generation = generation
            found = {vid: self._cache[vid] for vid in wanted if vid in self._cache}
        missing = [vid for vid in wanted if vid not in found]
        if missing:
            with self._database.read_session() as session:
                fetched = {vid: StoredAdvisory(doc) for vid, doc in self._documents(session, missing).items()}
            found.update(fetched)
            with self._lock:
                if generation == self._generation:
                    self._cache.update(fetched)
                    while len(self._cache) > CACHE_DOCUMENTS:
                        self._cache.popitem(last=False)
        return {vid: found[vid] for vid in wanted if vid in found}

    def known_exploited(self, ids: Iterable[str]) -> set[str]:
        """The CVE ids among ``ids`` that the KEV catalogue lists (exploited in the wild)."""
        cves = sorted({i.upper() for i in ids if i.upper().startswith("CVE-")})
        if not cves:
            return set()
        with self._database.read_session() as session:
            return set(session.scalars(sa.select(KevEntry.cve_id).where(KevEntry.cve_id.in_(cves))))

    def stats(self) -> DatabaseStats:
        with self._database.read_session() as session:
            count = sa.func.count()
            ecosystems = dict(
                session.execute(
                    sa.select(AffectedPackage.ecosystem, sa.func.count(sa.distinct(AffectedPackage.advisory_id)))
                    .group_by(AffectedPackage.ecosystem)
                    .order_by(AffectedPackage.ecosystem)
                ).all()
            )
            return DatabaseStats(
                advisories=session.scalar(sa.select(count).select_from(Advisory)) or 0,
                withdrawn=session.scalar(sa.select(count).where(Advisory.withdrawn.is_not(None))) or 0,
                affected_packages=session.scalar(sa.select(count).select_from(AffectedPackage)) or 0,
                kev_entries=session.scalar(sa.select(count).select_from(KevEntry)) or 0,
                ecosystems=ecosystems,
            )

    def _exists(self, session: Session, vuln_id: str) -> bool:
        return session.get(Advisory, vuln_id) is not None

    def _first_present(self, session: Session, group: Iterable[str]) -> str:
        present = session.scalars(
            sa.select(Advisory.id)
            .where(Advisory.id.in_(list(group)))
            .order_by(Advisory.withdrawn.is_not(None), Advisory.id)
        ).first()
        assert present is not None  # a group is built from existing records
        return present

    def _alias_group(self, session: Session, vuln_id: str) -> list[str]:
        """The alias group around ``vuln_id``: the transitive closure of the alias relation (bounded hops).

        Empty when no stored record is in the group, i.e. the id is unknown.
        """
        group = {vuln_id}
        frontier = {vuln_id}
        for _ in range(MAX_ALIAS_HOPS):
            rows = session.execute(
                sa.select(AdvisoryAlias.advisory_id, AdvisoryAlias.alias).where(
                    sa.or_(AdvisoryAlias.alias.in_(frontier), AdvisoryAlias.advisory_id.in_(frontier))
                )
            ).all()
            found = {r.advisory_id for r in rows} | {r.alias for r in rows}
            frontier = found - group
            group |= found
            if not frontier:
                break
        present = session.scalar(sa.select(sa.func.count()).where(Advisory.id.in_(sorted(group))))
        return sorted(group) if present else []

    def _documents(self, session: Session, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        rows = session.execute(sa.select(Advisory.id, Advisory.document).where(among(session, Advisory.id, ids))).all()
        documents = {row.id: dict(row.document) for row in rows}
        aliases: dict[str, set[str]] = {vid: {vid} for vid in documents}
        for advisory_id, alias in session.execute(
            sa.select(AdvisoryAlias.advisory_id, AdvisoryAlias.alias).where(
                among(session, AdvisoryAlias.advisory_id, documents)
            )
        ):
            aliases[advisory_id].add(alias)
        cves = {a for names in aliases.values() for a in names if a.startswith("CVE-")}
        kev = (
            {
                row.cve_id: row
                for row in session.scalars(sa.select(KevEntry).where(among(session, KevEntry.cve_id, cves)))
            }
            if cves
            else {}
        )
        for vid, document in documents.items():
            listed = sorted(a for a in aliases[vid] if a in kev)
            if listed:
                specific = dict(document.get("database_specific") or {})
                specific[KEV_KEY] = [_kev_summary(kev[cve]) for cve in listed]
                document["database_specific"] = specific
        return documents


def _kev_summary(entry: KevEntry) -> dict[str, Any]:
    return {
        "cve": entry.cve_id,
        "date_added": entry.date_added.isoformat(),
        "due_date": entry.due_date.isoformat() if entry.due_date else None,
        "known_ransomware_use": entry.known_ransomware_use,
        "required_action": entry.required_action,
    }
