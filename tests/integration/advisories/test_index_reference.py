"""``/v1``'s package indexes, built from the database, against a straightforward reference over all the real data.

The reference reads each stored ``affected`` entry as the OSV specification says (listed versions, then each
SEMVER/ECOSYSTEM range's events sorted and walked) with the plainest keys there are: PyPI through
``packaging.version.Version`` itself (legacy releases before every PEP 440 version), other ecosystems through
their ordering. It knows nothing of compiled entries, boundary bisection, remembered locations, tuple keys or
how indexes are loaded; every package of every source is asked about its own boundary versions and neighbours
of them, in one batch through ``QueryService`` as ``/v1`` asks, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

import pytest
import sqlalchemy as sa
from packaging.version import InvalidVersion as PackagingInvalidVersion
from packaging.version import Version

from bastion.advisories import matching, package_index
from bastion.advisories.ecosystems import Ecosystem
from bastion.advisories.errors import InvalidVersion
from bastion.advisories.models import Advisory, AffectedPackage
from bastion.advisories.package_index import HitList
from bastion.advisories.problems import QueryProblem
from bastion.advisories.query import PackageQuery, QueryService
from bastion.advisories.versions import SEMVER, ordering_for
from bastion.advisories.versions._generic import generic_key
from tests.integration.advisories.conftest import Loaded

Key = Callable[[str], Any]


def _pypi_record(version: str) -> Any:
    try:
        return (1, Version(version))
    except PackagingInvalidVersion:
        return (0, generic_key(version, "PyPI"))


def _pypi_query(version: str) -> Any:
    try:
        return (1, Version(version))
    except PackagingInvalidVersion:
        raise InvalidVersion(f"{version!r} is not PEP 440") from None


def _keys(ecosystem: str) -> tuple[Key, Key]:
    """(key of a query version, key of a record version) by the plainest means."""
    if ecosystem == "PyPI":
        return _pypi_query, _pypi_record
    ordering = ordering_for(Ecosystem(ecosystem))
    return ordering.key, ordering.record_key


def _read(key: Key, version: str) -> Any:
    try:
        return key(version)
    except InvalidVersion:
        return None


def _in_range(rng: Mapping[str, Any], query: Any, record: Key) -> bool:
    events: list[tuple[str, Any]] = []
    limits: list[Any] = []
    unlimited = False
    for event in rng["events"]:
        ((kind, value),) = event.items()
        if kind == "introduced" and value == "0":
            events.append((kind, None))
        elif kind == "limit" and "*" in value:
            unlimited = True
        elif (key := _read(record, value)) is not None:
            (limits.append(key) if kind == "limit" else events.append((kind, key)))
    if limits and not unlimited and not any(query < limit for limit in limits):
        return False
    affected = False
    for kind, key in sorted(events, key=lambda e: (0,) if e[1] is None else (1, e[1])):
        if kind == "introduced" and (key is None or query >= key):
            affected = True
        elif (kind == "fixed" and query >= key) or (kind == "last_affected" and query > key):
            affected = False
    return affected


def _affects(ecosystem: str, entry: Mapping[str, Any], version: str, as_recorded: bool) -> bool:
    query_key, record_key = _keys(ecosystem)
    listed = [str(v) for v in entry.get("versions") or ()]
    if version in listed:
        return True
    query = (record_key if as_recorded else query_key)(version)
    if any((key := _read(record_key, v)) is not None and key == query for v in listed):
        return True
    for rng in entry.get("ranges") or ():
        if rng["type"] == "ECOSYSTEM" and _in_range(rng, query, record_key):
            return True
        if rng["type"] == "SEMVER":
            semver = _read(SEMVER.key, version)
            if semver is not None and _in_range(rng, semver, SEMVER.record_key):
                return True
    return False


def _expected(ecosystem: str, entries: list[tuple[str, dict[str, Any]]], version: str) -> set[str] | None:
    """The advisories affecting ``version``, or None where ``/v1`` must answer with a problem."""
    try:
        _keys(ecosystem)[0](version)
        as_recorded = False
    except InvalidVersion:
        if not any(version in (entry.get("versions") or ()) for _, entry in entries):
            return None
        as_recorded = True  # listed verbatim though the grammar cannot read it: read as the records are
    return {vid for vid, entry in entries if _affects(ecosystem, entry, version, as_recorded)}


def _candidates(entries: list[tuple[str, dict[str, Any]]], rng: random.Random) -> list[str]:
    versions: set[str] = set()
    for _, entry in entries:
        versions.update(str(v) for v in entry.get("versions") or ())
        for range_ in entry.get("ranges") or ():
            if range_["type"] != "GIT":
                versions.update(str(v) for e in range_["events"] for v in e.values() if v != "0")
    boundaries = sorted(versions)
    chosen = set(rng.sample(boundaries, min(len(boundaries), 25)))
    for version in sorted(chosen)[:10]:  # neighbours: just after, pre-, dev-, post-releases, other spellings
        chosen |= {f"{version}{suffix}" for suffix in (".1", "-rc.1", "rc1", "a1", ".dev0", ".0", ".post1", "+local.1")}
    return sorted(chosen | {"0.0.1", "99999.0.0"})


@pytest.mark.parametrize(
    ("build_after", "stored_order"),
    [(0, True), (10**9, True), (0, False)],
    ids=["package index", "entries alone", "package index, orders recomputed"],
)
def test_every_package_answers_as_the_reference_does(
    loaded: Loaded, monkeypatch: pytest.MonkeyPatch, build_after: int, stored_order: bool
) -> None:
    """Through each way an answer is computed: a package's sorted boundaries (built after a few queries), its
    entries alone (a package asked about once), and with the listed versions' stored order ignored."""
    monkeypatch.setattr(package_index, "BUILD_AFTER", build_after)
    if not stored_order:
        monkeypatch.setattr(matching, "ORDERING_REVISION", matching.ORDERING_REVISION + 1)
    database = loaded.runtime.database
    packages: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    with database.read_session() as session:
        rows = session.execute(
            sa.select(
                AffectedPackage.ecosystem, AffectedPackage.name, AffectedPackage.advisory_id, AffectedPackage.entry
            )
            .join(Advisory, Advisory.id == AffectedPackage.advisory_id)
            .where(Advisory.withdrawn.is_(None))
            .order_by(AffectedPackage.id)
        )
        for ecosystem, name, advisory_id, entry in rows:
            packages[(ecosystem, name)].append((advisory_id, entry))
    rng = random.Random(20261127)
    queries = [
        PackageQuery(Ecosystem(ecosystem), name, version)
        for (ecosystem, name), entries in sorted(packages.items())
        for version in _candidates(entries, rng)
    ]
    _, answers = QueryService(database).match_at_generation(queries)
    wrong = []
    affected = problems = 0
    for query, answer in zip(queries, answers, strict=True):
        expected = _expected(query.ecosystem.name, packages[(query.ecosystem.name, query.name)], str(query.version))
        if expected is None:
            problems += 1
            if not isinstance(answer, QueryProblem):
                wrong.append((query, "expected a problem", answer))
            continue
        if not isinstance(answer, HitList) or {vid for vid, _ in answer} != expected:
            wrong.append((query, sorted(expected), answer))
        affected += bool(expected)
    assert not wrong, wrong[:10]
    assert {ecosystem for ecosystem, _ in packages} >= {"PyPI", "crates.io", "Bitnami", "Hackage"}
    assert len(queries) > 30_000 and affected > 10_000 and problems > 100  # it really compared many answers
