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

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.advisories.ecosystems import Ecosystem
from bastion.advisories.errors import InvalidVersion
from bastion.advisories.matching import commit_affected, compile_affected, listed_order_of
from bastion.advisories.models import Advisory, AdvisoryGeneration, AffectedCommit, AffectedPackage
from bastion.advisories.package_index import EMPTY, Hit, HitList, IndexedEntry, PackageIndex, no_entries
from bastion.advisories.problems import Problem, QueryProblem, problem_from
from bastion.advisories.record import StoredAffected
from bastion.advisories.timestamps import rfc3339
from bastion.core.memory import paused_cycle_collection
from bastion.db import Database
from bastion.db.sets import among

DEFAULT_PAGE_SIZE = 1000
CACHE_PACKAGES = 100_000


@dataclass(frozen=True, slots=True)
class PackageQuery:
    ecosystem: Ecosystem
    name: str  # normalized as the ecosystem compares names
    version: str | None


@dataclass(frozen=True, slots=True)
class CommitQuery:
    commit: str  # lowercase hex, 7 to 64 digits


Query = PackageQuery | CommitQuery


def page_token(query: Query, offset: int) -> str:
    payload = json.dumps({"o": offset, "q": _fingerprint(query)}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _fingerprint(query: Query) -> str:
    return hashlib.sha256(repr(query).encode()).hexdigest()[:16]


def offset_from_token(query: Query, token: str | None) -> int | QueryProblem:
    """Where the page the token asks for starts, or why the token cannot be used with this query."""
    if not token:
        return 0
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(payload["o"])
        fingerprint = payload["q"]
    except (ValueError, KeyError, TypeError):
        return QueryProblem(Problem.BAD_PAGE_TOKEN, "the page token is not one this server issued")
    if fingerprint != _fingerprint(query) or offset < 0:
        return QueryProblem(Problem.FOREIGN_PAGE_TOKEN, "the page token belongs to a different query")
    return offset


_GENERATION = sa.select(AdvisoryGeneration.value)


def read_generation(database: Database) -> int:
    """The data generation, read on a plain connection: the one query every answer costs, kept tiny."""
    with database.engine.connect() as connection:
        return connection.execute(_GENERATION).scalar() or 0


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

    def match_at_generation(self, queries: Sequence[Query]) -> tuple[int, list[HitList | QueryProblem]]:
        """The advisories (sorted by id) affecting each query, in the order given, withdrawn ones excluded;
        a query the data cannot answer (a version its ecosystem cannot read) gets its problem instead.
        Also returns the data generation the answers come from."""
        results: list[HitList | QueryProblem] = [EMPTY for _ in queries]
        packages = [(i, q) for i, q in enumerate(queries) if isinstance(q, PackageQuery)]
        commits = [(i, q) for i, q in enumerate(queries) if isinstance(q, CommitQuery)]
        generation, indexes = self._indexes_for(
            read_generation(self._database), {(q.ecosystem.name, q.name) for _, q in packages}
        )
        if commits:
            with self._database.read_session() as session:
                self._match_commits(session, commits, results)
        for index, query in packages:
            results[index] = match_package(query, indexes[(query.ecosystem.name, query.name)])
        return generation, results

    def _indexes_for(
        self, generation: int, keys: set[tuple[str, str]]
    ) -> tuple[int, dict[tuple[str, str], PackageIndex]]:
        with self._lock:
            if generation != self._generation:
                self._indexes.clear()
                self._generation = generation
            missing = keys - self._indexes.keys()
            if missing:
                with self._database.read_session() as session:
                    self._indexes.update(load_package_indexes(session, missing))
            found = {key: self._indexes[key] for key in keys}
            for key in keys:
                self._indexes.move_to_end(key)
            while len(self._indexes) > CACHE_PACKAGES:
                self._indexes.popitem(last=False)
            return generation, found

    def _match_commits(
        self, session: Session, queries: list[tuple[int, CommitQuery]], results: list[HitList | QueryProblem]
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
                if commit_affected(StoredAffected.from_stored(entry), query.commit):
                    found[row.id] = (row.id, rfc3339(row.modified))
            results[index] = HitList(sorted(found.values())) if found else EMPTY


def match_package(query: PackageQuery, package: PackageIndex) -> HitList | QueryProblem:
    """The advisories of ``package`` affecting the query's version (all of them without a version), or the
    query's problem: the one matching rule of ``/v1``, also used where a session's own data must be matched."""
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
            return problem_from(e)
        return package.affected(query.version, release, as_recorded=True)


def load_package_indexes(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], PackageIndex]:
    """The index of each (ecosystem, normalized name) from what ``session`` sees (withdrawn records left out):
    a caller inside a transaction that changed advisories sees its own changes."""
    with paused_cycle_collection():
        return _load_package_indexes(session, keys)


def _load_package_indexes(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], PackageIndex]:
    entries: dict[tuple[str, str], list[IndexedEntry]] = defaultdict(list)
    names = sorted({name for _, name in keys})
    batch = (len(names) or 1) if session.get_bind().dialect.name == "postgresql" else 500  # see ``among``
    for start in range(0, len(names), batch):
        rows = session.execute(
            sa.select(
                AffectedPackage.advisory_id,
                AffectedPackage.ecosystem,
                AffectedPackage.ecosystem_release,
                AffectedPackage.name,
                AffectedPackage.entry,
                AffectedPackage.listed_order,
                Advisory.modified,
            )
            .join(Advisory, Advisory.id == AffectedPackage.advisory_id)
            .where(among(session, AffectedPackage.name, names[start : start + batch]), Advisory.withdrawn.is_(None))
        )
        for row in rows:
            key = (row.ecosystem, row.name)
            if key in keys:
                ecosystem = Ecosystem(row.ecosystem, row.ecosystem_release)
                compiled = compile_affected(
                    ecosystem, StoredAffected.from_stored(row.entry), listed_in_order=listed_order_of(row.listed_order)
                )
                entries[key].append(
                    IndexedEntry(row.advisory_id, rfc3339(row.modified), row.ecosystem_release, compiled)
                )
    return {
        key: PackageIndex(Ecosystem(key[0]), entries[key]) if key in entries else no_entries(key[0]) for key in keys
    }
