"""Every affected entry of one package, answering "which advisories affect version v?" fast. Pure.

Whether an entry affects ``v`` depends only on how ``v`` compares with the entry's boundary keys (its
events, limits and listed versions). So once a package has been asked about a few times (``BUILD_AFTER``),
its boundaries are gathered and sorted; a query version is located among them by bisection (position, and
whether it equals the boundary there), and the answer for that location is computed once by the full
matcher and remembered. Every later version in the same location gets the remembered answer: O(log n)
instead of one comparison walk per entry. Before that, each query asks the entries directly: a package an
SBOM scan asks about once never pays for every boundary key.

Versions listed verbatim but unreadable by the ecosystem's grammar (PyPI's pre-PEP 440 releases) have no
location; they always take the full matcher. Readable listed versions are boundaries themselves, so their
location (equal to that boundary) already decides them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import orjson

from bastion.advisories.ecosystems import Ecosystem
from bastion.advisories.errors import InvalidVersion
from bastion.advisories.matching import CompiledAffected, semver_key
from bastion.advisories.versions import record_key, sort_key

MEMO_LIMIT = 4096  # locations remembered per package
BUILD_AFTER = 4  # located queries a package answers from its entries before its boundaries are built


@dataclass(frozen=True, slots=True)
class IndexedEntry:
    advisory_id: str
    modified: str  # RFC 3339, as the API returns it (formatted once, not per answer)
    release: str | None  # e.g. "11" for an entry of "Debian:11"
    compiled: CompiledAffected


Hit = tuple[str, str]  # (advisory id, its modified time in RFC 3339)


class HitList(tuple[Hit, ...]):
    """The advisories answering one query, sorted by id: a tuple of hits that also knows its OSV form.

    Answers are remembered per version location, so the serialized form is too: a batch of a thousand
    queries is then a join of ready-made fragments, computed once per data generation.
    """

    @cached_property
    def osv_json(self) -> bytes:
        """The hits as OSV's minimal vulnerability list: ``[{"id": ..., "modified": ...}, ...]``."""
        return orjson.dumps([{"id": vuln_id, "modified": modified} for vuln_id, modified in self])

    @cached_property
    def osv_result_json(self) -> bytes:
        """The hits as one result of a batch answer: ``{"vulns": [...]}``, or ``{}`` when there are none."""
        return b'{"vulns":' + self.osv_json + b"}" if self else b"{}"


EMPTY = HitList()


def _locate(keys: Sequence[Any], key: Any) -> tuple[int, bool]:
    position = bisect_left(keys, key)
    return position, position < len(keys) and not key < keys[position]


class _Boundaries:
    """Every boundary key of a package's entries, sorted: (ecosystem-ordering keys, SemVer keys)."""

    __slots__ = ("ecosystem", "semver")

    def __init__(self, entries: Sequence[IndexedEntry]) -> None:
        ecosystem_keys: list[Any] = []
        semver_keys: list[Any] = []
        for entry in entries:
            eco, sem = entry.compiled.boundaries()
            ecosystem_keys.extend(eco)
            semver_keys.extend(sem)
        self.ecosystem = sorted(ecosystem_keys)
        self.semver = sorted(semver_keys)


class PackageIndex:
    """The boundaries are gathered and sorted once the package has answered ``BUILD_AFTER`` located queries,
    not before: a package asked about once or twice (each package of an SBOM scan, and its smallest upgrade)
    is answered by its entries directly, without the cost of every boundary key; one asked about again and
    again (an API serving many clients) gets the index."""

    def __init__(self, ecosystem: Ecosystem, entries: Sequence[IndexedEntry]) -> None:
        self.ecosystem = ecosystem
        self._entries = tuple(entries)
        self._exact = frozenset().union(*(entry.compiled.exact for entry in self._entries))
        self._boundaries: _Boundaries | None = None
        self._unlocated = 0  # located queries answered before the boundaries were built
        self._memo: dict[tuple[Any, ...], HitList] = {}
        self._exact_memo: dict[tuple[str, str | None, bool], HitList] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def lists(self, version: str) -> bool:
        """Whether some entry lists ``version`` verbatim in its ``versions``."""
        return version in self._exact

    def everything(self, release: str | None) -> HitList:
        """Every advisory with an entry for this package (no version given)."""
        location = ("*", release)
        hits = self._memo.get(location)
        if hits is None:
            hits = self._memo[location] = self._collect(release, lambda _: True)
        return hits

    def affected(self, version: str, release: str | None, *, as_recorded: bool = False) -> HitList:
        """Advisories affecting ``version``; raises InvalidVersion where the ecosystem cannot read it."""
        exact = (version, release, as_recorded)
        known = self._exact_memo.get(exact)  # the same version string asked again: no parsing, no search
        if known is not None:
            return known
        hits = self._locate_and_match(version, release, as_recorded=as_recorded)
        if len(self._exact_memo) < MEMO_LIMIT:
            self._exact_memo[exact] = hits
        return hits

    def _locate_and_match(self, version: str, release: str | None, *, as_recorded: bool) -> HitList:
        try:
            key = (record_key if as_recorded else sort_key)(self.ecosystem, version)
        except InvalidVersion:
            if version in self._exact:  # listed verbatim though unreadable: only the full matcher knows
                return self._scan(version, release, as_recorded)
            raise
        boundaries = self._boundaries
        if boundaries is None:
            if self._unlocated < BUILD_AFTER:
                self._unlocated += 1
                return self._scan(version, release, as_recorded)
            boundaries = self._boundaries = _Boundaries(self._entries)
        sem = semver_key(version)  # SEMVER ranges never include a version SemVer cannot read
        location = (
            release,
            as_recorded,
            _locate(boundaries.ecosystem, key),
            None if sem is None else _locate(boundaries.semver, sem),
        )
        hits = self._memo.get(location)
        if hits is None:
            hits = self._scan(version, release, as_recorded)
            if len(self._memo) < MEMO_LIMIT:
                self._memo[location] = hits
        return hits

    def _scan(self, version: str, release: str | None, as_recorded: bool) -> HitList:
        return self._collect(release, lambda entry: entry.compiled.matches(version, as_recorded=as_recorded))

    def _collect(self, release: str | None, test: Any) -> HitList:
        found: dict[str, Hit] = {}
        for entry in self._entries:
            if entry.advisory_id in found or (release is not None and entry.release != release):
                continue
            if test(entry):
                found[entry.advisory_id] = (entry.advisory_id, entry.modified)
        return HitList(sorted(found.values())) if found else EMPTY


@cache
def no_entries(ecosystem: str) -> PackageIndex:
    """The index of a package no advisory names: one per ecosystem, shared (its answers depend only on the
    version: none, or the version's problem). Most components of an SBOM are such packages."""
    return PackageIndex(Ecosystem(ecosystem), ())
