"""Is a package version affected by one OSV ``affected`` entry? (the OSV schema's Evaluation section)

The entry is the validated record of ``record.py`` (``Affected``); entries read back from the database are
read as ``StoredAffected`` (their versions and ranges, typed), without validating them a second time.

A version is affected when it is listed in ``versions`` or lies in any SEMVER/ECOSYSTEM range.

- ``versions``: the query equals a listed string exactly, or equals a listed version under the
  ecosystem's ordering (PEP 440: ``1.0`` == ``1.0.0``).
- A range: its events are sorted by version (stable, so ties keep the record's order) and walked
  upwards: at or after ``introduced`` the version becomes affected, at or after ``fixed`` it stops,
  strictly after ``last_affected`` it stops. ``introduced: "0"`` is before every version. If the
  range has ``limit`` events, the version must also be below one of them (``"*"`` is infinity).
- SEMVER ranges use SemVer precedence (read leniently: ``v`` prefix, ``2023.03.13``); ECOSYSTEM ranges
  use the ecosystem's ordering. A query that SemVer cannot read is outside SEMVER ranges.
- The query must be a version of its ecosystem where the ecosystem has a grammar (InvalidVersion),
  except that a string listed verbatim in ``versions`` matches without being parsed (PyPI records
  list pre-PEP 440 releases such as ``0.9-eevee``).
- An event the range's ordering cannot read is a defect of the record: it is left out and reported
  in ``CompiledAffected.problems``. Leaving out a ``fixed`` errs towards reporting the version.

GIT ranges are not used for versions. Without the repository's commit graph, ``commit_affected``
decides only what the events themselves say (see its docstring).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from bastion.advisories.ecosystems import Ecosystem
from bastion.advisories.errors import InvalidCommit, InvalidVersion
from bastion.advisories.record import Matchable, Range, StoredRange
from bastion.advisories.versions import ORDERING_REVISION, SEMVER, listed_in_order, record_key, record_keys, sort_key

__all__ = [
    "CompiledAffected",
    "commit_affected",
    "compile_affected",
    "is_affected",
    "listed_order_of",
    "semver_key",
    "stored_listed_order",
]

_INTRODUCED, _FIXED, _LAST_AFFECTED = 0, 1, 2
_KINDS = {"introduced": _INTRODUCED, "fixed": _FIXED, "last_affected": _LAST_AFFECTED}


@dataclass(frozen=True, slots=True)
class _Range:
    semver: bool
    events: tuple[tuple[int, Any], ...]  # (kind, key) sorted by key; key None = introduced "0"
    limits: tuple[Any, ...] | None  # None: no limit (or a "*" limit)

    def contains(self, key: Any) -> bool:
        if self.limits is not None and not any(key < limit for limit in self.limits):
            return False
        affected = False
        for kind, event in self.events:
            if kind == _INTRODUCED:
                if event is None or key >= event:
                    affected = True
            elif kind == _FIXED:
                if key >= event:
                    affected = False
            elif key > event:
                affected = False
        return affected


@lru_cache(maxsize=65536)
def _semver_record_key(version: str) -> Any:
    return SEMVER.record_key(version)


@lru_cache(maxsize=65536)
def _semver_key(version: str) -> Any:
    try:
        return SEMVER.key(version)
    except InvalidVersion:
        return None


def semver_key(version: str) -> Any:
    """The SemVer key SEMVER ranges compare with, or None when SemVer cannot read the version."""
    return _semver_key(version)


def stored_listed_order(ecosystem: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    """What ``affected_packages.listed_order`` holds for an entry: its readable listed versions in the
    ecosystem's order, and the revision of the orderings that sorted them."""
    versions = [str(v) for v in entry.get("versions") or ()]
    return {"ordering": ORDERING_REVISION, "versions": listed_in_order(Ecosystem(ecosystem), versions)}


def listed_order_of(stored: Mapping[str, Any] | None) -> Sequence[str] | None:
    """The stored order, if the orderings of this code sorted it (else None: it is recomputed)."""
    if not stored or stored.get("ordering") != ORDERING_REVISION:
        return None
    versions: Sequence[str] = stored["versions"]
    return versions


class _KeysInOrder(Sequence[Any]):
    """The keys of versions known to be in key order, each computed only when a bisection probes it."""

    __slots__ = ("_ecosystem", "_versions")

    def __init__(self, ecosystem: Ecosystem, versions: Sequence[str]) -> None:
        self._ecosystem = ecosystem
        self._versions = versions

    def __len__(self) -> int:
        return len(self._versions)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [record_key(self._ecosystem, v) for v in self._versions[index]]
        return record_key(self._ecosystem, self._versions[index])


class CompiledAffected:
    """One ``affected`` entry with its versions and events parsed once, for fast repeated matching.

    ``listed_in_order`` (the entry's readable listed versions already in the ecosystem's order, as stored at
    import) spares computing a key for every listed version: a match then computes only the keys its bisection
    probes. Without it the keys are computed, and sorted, the first time a match needs them."""

    __slots__ = ("_exact", "_listed", "_listed_versions", "_ranges", "ecosystem", "problems")

    def __init__(
        self, ecosystem: Ecosystem, affected: Matchable, *, listed_in_order: Sequence[str] | None = None
    ) -> None:
        self.ecosystem = ecosystem
        problems: list[str] = []
        listed = [str(v) for v in affected.versions]
        self._exact = frozenset(listed)
        self._listed_versions = listed
        # an unreadable listed version is not among the keys: it still matches through _exact
        self._listed: Sequence[Any] | None = (
            None if listed_in_order is None else _KeysInOrder(ecosystem, listed_in_order)
        )
        ranges = []
        given: Sequence[Range | StoredRange] = affected.ranges
        for index, rng in enumerate(given):
            if rng.type in ("SEMVER", "ECOSYSTEM"):
                ranges.append(self._compile_range(index, rng, problems, semver=rng.type == "SEMVER"))
        self._ranges = tuple(ranges)
        self.problems = tuple(problems)

    def _compile_range(self, index: int, rng: Range | StoredRange, problems: list[str], *, semver: bool) -> _Range:
        read = _semver_record_key if semver else partial(record_key, self.ecosystem)
        events: list[tuple[int, Any]] = []
        limits: list[Any] | None = []
        for event in rng.events:
            for name, value in event.items():
                text = str(value)
                if name == "introduced" and text == "0":
                    events.append((_INTRODUCED, None))
                    continue
                if name == "limit" and "*" in text:
                    limits = None
                    continue
                try:
                    key = read(text)
                except InvalidVersion:
                    problems.append(f"ranges[{index}]: {name} {text!r} is not a version of this ordering")
                    continue
                if name == "limit":
                    if limits is not None:
                        limits.append(key)
                elif name in _KINDS:
                    events.append((_KINDS[name], key))
        events.sort(key=_event_order)
        return _Range(semver, tuple(events), tuple(limits) if limits else None)

    @property
    def exact(self) -> frozenset[str]:
        """The ``versions`` strings exactly as the record lists them."""
        return self._exact

    def boundaries(self) -> tuple[list[Any], list[Any]]:
        """Every key a query version is compared with: (ecosystem-ordering keys, SemVer keys).

        Two versions that compare the same way with all of them are affected alike, which is what lets a
        package index answer many versions from one computation (``bastion.advisories.package_index``).
        """
        ecosystem_keys: list[Any] = list(self._listed_keys())
        semver_keys: list[Any] = []
        for rng in self._ranges:
            target = semver_keys if rng.semver else ecosystem_keys
            target.extend(key for _, key in rng.events if key is not None)
            target.extend(rng.limits or ())
        return ecosystem_keys, semver_keys

    def matches(self, version: str, *, as_recorded: bool = False) -> bool:
        """Whether ``version`` is affected; raises InvalidVersion if it is not a version here.

        ``as_recorded`` reads ``version`` with the grammar of record data (PyPI legacy releases).
        """
        if version in self._exact:
            return True
        key: Any = (record_key if as_recorded else sort_key)(self.ecosystem, version)
        listed = self._listed_keys()
        if listed:
            i = bisect_left(listed, key)
            if i < len(listed) and not key < listed[i]:
                return True
        return self._in_ranges(version, key)

    def _listed_keys(self) -> Sequence[Any]:
        if self._listed is None:
            self._listed = sorted(record_keys(self.ecosystem, self._listed_versions))
        return self._listed

    def in_ranges(self, version: str, *, as_recorded: bool = False) -> bool:
        """Whether the ranges alone include ``version`` (``as_recorded``: read it as record data)."""
        key = (record_key if as_recorded else sort_key)(self.ecosystem, version)
        return self._in_ranges(version, key)

    def _in_ranges(self, version: str, key: Any) -> bool:
        for rng in self._ranges:
            if rng.semver:
                semver_key = _semver_key(version)
                if semver_key is not None and rng.contains(semver_key):
                    return True
            elif rng.contains(key):
                return True
        return False


def _event_order(event: tuple[int, Any]) -> tuple[Any, ...]:
    return (0,) if event[1] is None else (1, event[1])  # introduced "0" first; keys never meet it


def compile_affected(
    ecosystem: Ecosystem, affected: Matchable, *, listed_in_order: Sequence[str] | None = None
) -> CompiledAffected:
    """Parse an ``affected`` entry once; then ``.matches(version)`` answers quickly."""
    return CompiledAffected(ecosystem, affected, listed_in_order=listed_in_order)


def is_affected(ecosystem: Ecosystem, affected: Matchable, version: str) -> bool:
    """Whether ``version`` of the entry's package is affected (the OSV evaluation algorithm)."""
    return CompiledAffected(ecosystem, affected).matches(version)


_HEX = re.compile(r"^[0-9a-f]{7,64}$")


def commit_affected(affected: Matchable, commit: str) -> bool:
    """What GIT ranges say about ``commit`` without the repository graph.

    True only when a range's ``introduced`` or ``last_affected`` event is this commit and none of
    that range's ``fixed``/``limit`` events is. An abbreviated hash (at least 7 hex digits; SHA-1
    or SHA-256) matches an event that starts with it. Any other commit gives False, which here
    means "not decidable from the record alone", not "safe": deciding whether a commit lies between
    events needs the repository (``git merge-base --is-ancestor``).
    """
    text = commit.strip().lower()
    if _HEX.match(text) is None:
        raise InvalidCommit(
            f"{commit!r} is not a Git commit hash",
            hint="give 7 to 64 hexadecimal digits, e.g. 6c939cb6f6dfbd273609577b0022542d31ae2802",
        )
    ranges: Sequence[Range | StoredRange] = affected.ranges
    for rng in ranges:
        if rng.type != "GIT":
            continue
        hits = _commit_hits(rng.events, text)
        if hits & {"introduced", "last_affected"} and not hits & {"fixed", "limit"}:
            return True
    return False


def _commit_hits(events: Sequence[Mapping[str, Any]], commit: str) -> set[str]:
    return {
        name
        for event in events
        for name, value in event.items()
        if str(value).lower().startswith(commit) and str(value) != "0"
    }
