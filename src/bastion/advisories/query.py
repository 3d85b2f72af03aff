"""The OSV query service: which advisories affect this package version, purl or commit.

A batch of queries costs one SQL round trip for all package queries (plus one for commits): candidate
``affected_packages`` rows are fetched by (ecosystem, normalized name), then matched in memory with ranges
compiled once and cached per row. Withdrawn advisories never match.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bastion.advisories.ecosystems import (
    Ecosystem,
    normalize_package_name,
    package_from_purl,
    parse_ecosystem,
)
from bastion.advisories.errors import InvalidQuery
from bastion.advisories.matching import CompiledAffected, commit_affected, compile_affected
from bastion.advisories.models import Advisory, AffectedCommit, AffectedPackage
from bastion.core.errors import BastionError
from bastion.db import Database

DEFAULT_PAGE_SIZE = 1000
CACHE_SIZE = 200_000


@dataclass(frozen=True, slots=True)
class PackageQuery:
    ecosystem: Ecosystem
    name: str  # normalized
    version: str | None

    @classmethod
    def build(cls, *, ecosystem: str | None, name: str | None, purl: str | None, version: str | None) -> PackageQuery:
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


@dataclass(frozen=True, slots=True)
class Match:
    id: str
    modified: datetime


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
    def __init__(self, database: Database) -> None:
        self._database = database
        self._compiled: OrderedDict[tuple[int, str, datetime], CompiledAffected] = OrderedDict()

    def match_many(self, queries: Sequence[Query]) -> list[list[Match]]:
        """Advisory ids (sorted) affecting each query, in the order given. Withdrawn ones excluded."""
        results: list[list[Match]] = [[] for _ in queries]
        packages = [(i, q) for i, q in enumerate(queries) if isinstance(q, PackageQuery)]
        commits = [(i, q) for i, q in enumerate(queries) if isinstance(q, CommitQuery)]
        with self._database.read_session() as session:
            if packages:
                self._match_packages(session, packages, results)
            if commits:
                self._match_commits(session, commits, results)
        return results

    def _match_packages(
        self, session: sa.orm.Session, queries: list[tuple[int, PackageQuery]], results: list[list[Match]]
    ) -> None:
        names = sorted({q.name for _, q in queries})
        rows = session.execute(
            sa.select(
                AffectedPackage.id,
                AffectedPackage.advisory_id,
                AffectedPackage.ecosystem,
                AffectedPackage.ecosystem_release,
                AffectedPackage.name,
                AffectedPackage.entry,
                Advisory.modified,
            )
            .join(Advisory, Advisory.id == AffectedPackage.advisory_id)
            .where(AffectedPackage.name.in_(names), Advisory.withdrawn.is_(None))
        ).all()
        candidates: dict[tuple[str, str], list[Any]] = defaultdict(list)
        for row in rows:
            candidates[(row.ecosystem, row.name)].append(row)
        for index, query in queries:
            found: dict[str, Match] = {}
            for row in candidates.get((query.ecosystem.name, query.name), ()):
                if query.ecosystem.release and row.ecosystem_release != query.ecosystem.release:
                    continue
                if row.advisory_id in found:
                    continue
                try:
                    hit = query.version is None or self._compiled_for(row, query.ecosystem).matches(query.version)
                except BastionError as e:  # e.g. not a version of this ecosystem: say which query
                    e.details = {**e.details, "query_index": index}
                    raise
                if hit:
                    found[row.advisory_id] = Match(row.advisory_id, row.modified)
            results[index] = sorted(found.values(), key=lambda m: m.id)

    def _compiled_for(self, row: Any, ecosystem: Ecosystem) -> CompiledAffected:
        key = (row.id, row.advisory_id, row.modified)
        compiled = self._compiled.get(key)
        if compiled is None:
            row_eco = Ecosystem(row.ecosystem, row.ecosystem_release) if row.ecosystem_release else ecosystem
            compiled = compile_affected(row_eco, row.entry)
            self._compiled[key] = compiled
            if len(self._compiled) > CACHE_SIZE:
                self._compiled.popitem(last=False)
        return compiled

    def _match_commits(
        self, session: sa.orm.Session, queries: list[tuple[int, CommitQuery]], results: list[list[Match]]
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
            found: dict[str, Match] = {}
            for row in rows:
                entry = (row.document.get("affected") or [])[row.affected_index]
                if commit_affected(entry, query.commit):
                    found[row.id] = Match(row.id, row.modified)
            results[index] = sorted(found.values(), key=lambda m: m.id)
