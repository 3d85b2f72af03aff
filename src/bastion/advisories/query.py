"""The OSV query service: which advisories affect this package version, purl or commit.

Package queries are answered from per-package indexes (``package_index``) built from ``affected_packages``
on first use and kept while the data's generation is unchanged; a warm batch costs one tiny SQL query.
Withdrawn advisories never match.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.advisories.ecosystems import (
    Ecosystem,
    normalize_package_name,
    package_from_purl,
    parse_ecosystem,
)
from bastion.advisories.errors import InvalidQuery, InvalidVersion
from bastion.advisories.matching import commit_affected, compile_affected
from bastion.advisories.models import Advisory, AdvisoryGeneration, AffectedCommit, AffectedPackage
from bastion.advisories.package_index import Hit, IndexedEntry, PackageIndex
from bastion.db import Database

DEFAULT_PAGE_SIZE = 1000
CACHE_PACKAGES = 100_000


@dataclass(frozen=True, slots=True)
class PackageQuery:
    ecosystem: Ecosystem
    name: str  # normalized
    version: str | None

    @classmethod
    def build(cls, *, ecosystem: str | None, name: str | None, purl: str | None, version: str | None) -> PackageQuery:
        given = {"package.ecosystem": ecosystem, "package.name": name, "package.purl": purl, "version": version}
        for field, text in given.items():
            if text and "\x00" in text:  # no package has one, and PostgreSQL cannot compare text holding one
                raise InvalidQuery(f"{field} contains a NUL character", hint="remove the NUL character (\\u0000)")
        if purl:
            if ecosystem or name:
                raise InvalidQuery(
                    "give either a purl or a package name and ecosystem, not both",
                    hint='e.g. {"package": {"purl": "pkg:pypi/jinja2@3.1.2"}}',
                )
            package = package_from_purl(purl)
            if package.version and version:
                raise InvalidQuery(
                    "the version is given twice: in the purl and in the version field",
                    hint="drop one of them",
                )
            return cls(
                package.ecosystem,
                normalize_package_name(package.ecosystem, package.name),
                package.version or version or None,
            )
        if not name or not ecosystem:
            missing = "ecosystem" if name else "name"
            raise InvalidQuery(
                f"package.{missing} is required when no purl is given",
                hint='e.g. {"version": "2.4.1", "package": {"name": "jinja2", "ecosystem": "PyPI"}}',
            )
        eco = parse_ecosystem(ecosystem)
        return cls(eco, normalize_package_name(eco, name), version or None)


@dataclass(frozen=True, slots=True)
class CommitQuery:
    commit: str

    @classmethod
    def build(cls, commit: str) -> CommitQuery:
        value = commit.strip().lower()
        if not (7 <= len(value) <= 64) or any(c not in "0123456789abcdef" for c in value):
            raise InvalidQuery(
                f"commit {commit!r} is not a git commit hash",
                hint="give a full 40-character (or 64-character) hex commit hash",
            )
        return cls(value)


Query = PackageQuery | CommitQuery


def rfc3339(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def page_token(query: Query, offset: int) -> str:
    payload = json.dumps({"o": offset, "q": _fingerprint(query)}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _fingerprint(query: Query) -> str:
    return hashlib.sha256(repr(query).encode()).hexdigest()[:16]


def offset_from_token(query: Query, token: str | None) -> int:
    if not token:
        return 0
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(payload["o"])
        fingerprint = payload["q"]
    except (ValueError, KeyError, TypeError) as e:
        raise InvalidQuery("page_token is not a token this server issued", hint="omit it to start over") from e
    if fingerprint != _fingerprint(query) or offset < 0:
        raise InvalidQuery(
            "page_token belongs to a different query",
            hint="send the same query with the token it returned",
        )
    return offset


class QueryService:
    """Answers queries from per-package indexes kept in memory and checked against the database.

    Every import that changes the data bumps ``advisory_generation`` in the same transaction; each call
    reads it (one cheap query) and drops the indexes when it moved, so several API processes stay correct
    without talking to each other.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._indexes: OrderedDict[tuple[str, str], PackageIndex] = OrderedDict()
        self._generation: int | None = None
        self._lock = threading.Lock()

    def match_many(self, queries: Sequence[Query]) -> list[list[Hit]]:
        """Advisory ids (sorted) affecting each query, in the order given. Withdrawn ones excluded."""
        return self.match_at_generation(queries)[1]

    def match_at_generation(self, queries: Sequence[Query]) -> tuple[int, list[list[Hit]]]:
        """``match_many``, plus the data generation the answers come from (pass it on to
        ``AdvisoryService.documents`` so the records served are from the same data, at no extra query)."""
        results: list[list[Hit]] = [[] for _ in queries]
        packages = [(i, q) for i, q in enumerate(queries) if isinstance(q, PackageQuery)]
        commits = [(i, q) for i, q in enumerate(queries) if isinstance(q, CommitQuery)]
        with self._database.read_session() as session:
            generation, indexes = self._indexes_for(session, {(q.ecosystem.name, q.name) for _, q in packages})
            if commits:
                self._match_commits(session, commits, results)
        for index, query in packages:
            package = indexes[(query.ecosystem.name, query.name)]
            results[index] = list(self._match(index, query, package))
        return generation, results

    @staticmethod
    def _match(index: int, query: PackageQuery, package: PackageIndex) -> tuple[Hit, ...]:
        release = query.ecosystem.release
        if query.version is None:
            return package.everything(release)
        try:
            return package.affected(query.version, release)
        except InvalidVersion as e:
            # Not a version under the ecosystem's grammar. If the data itself lists it (PyPI's pre-PEP 440
            # releases such as paramiko 0.9-doduo), it is a real release: read it as the records do.
            # Otherwise it is a mistake in the query, and the caller is told which one.
            if not package.lists(query.version):
                e.details = {**e.details, "query_index": index}
                raise
            return package.affected(query.version, release, as_recorded=True)

    def _indexes_for(
        self, session: Session, keys: set[tuple[str, str]]
    ) -> tuple[int, dict[tuple[str, str], PackageIndex]]:
        with self._lock:
            generation = session.scalar(sa.select(AdvisoryGeneration.value)) or 0
            if generation != self._generation:
                self._indexes.clear()
                self._generation = generation
            missing = keys - self._indexes.keys()
            if missing:
                self._load(session, missing)
            found = {key: self._indexes[key] for key in keys}
            for key in keys:
                self._indexes.move_to_end(key)
            while len(self._indexes) > CACHE_PACKAGES:
                self._indexes.popitem(last=False)
            return generation, found

    def _load(self, session: Session, keys: set[tuple[str, str]]) -> None:
        entries: dict[tuple[str, str], list[IndexedEntry]] = defaultdict(list)
        names = sorted({name for _, name in keys})
        for start in range(0, len(names), 500):
            rows = session.execute(
                sa.select(
                    AffectedPackage.advisory_id,
                    AffectedPackage.ecosystem,
                    AffectedPackage.ecosystem_release,
                    AffectedPackage.name,
                    AffectedPackage.entry,
                    Advisory.modified,
                )
                .join(Advisory, Advisory.id == AffectedPackage.advisory_id)
                .where(AffectedPackage.name.in_(names[start : start + 500]), Advisory.withdrawn.is_(None))
            )
            for row in rows:
                key = (row.ecosystem, row.name)
                if key in keys:
                    ecosystem = Ecosystem(row.ecosystem, row.ecosystem_release)
                    compiled = compile_affected(ecosystem, row.entry)
                    entries[key].append(
                        IndexedEntry(row.advisory_id, rfc3339(row.modified), row.ecosystem_release, compiled)
                    )
        for key in keys:
            self._indexes[key] = PackageIndex(Ecosystem(key[0]), entries.get(key, []))

    def _match_commits(
        self, session: Session, queries: list[tuple[int, CommitQuery]], results: list[list[Hit]]
    ) -> None:
        for index, query in queries:
            condition = (
                AffectedCommit.commit == query.commit
                if len(query.commit) in (40, 64)
                else AffectedCommit.commit.startswith(query.commit, autoescape=True)
            )
            rows = session.execute(
                sa.select(Advisory.id, Advisory.modified, Advisory.document, AffectedCommit.affected_index)
                .join(AffectedCommit, AffectedCommit.advisory_id == Advisory.id)
                .where(condition, Advisory.withdrawn.is_(None))
            ).all()
            found: dict[str, Hit] = {}
            for row in rows:
                entry = (row.document.get("affected") or [])[row.affected_index]
                if commit_affected(entry, query.commit):
                    found[row.id] = (row.id, rfc3339(row.modified))
            results[index] = sorted(found.values())
