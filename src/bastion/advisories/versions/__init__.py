"""Version ordering per ecosystem: ``sort_key`` gives a total order, ``compare`` a three-way answer.

Each ecosystem maps to an :class:`Ordering` with two key functions: ``key`` for versions a user asks
about (strict where the ecosystem has a grammar: PEP 440, SemVer, apk, PVP, NuGet, Gem::Version, so a
typo is an ``invalid_version`` error rather than a silent "not affected") and ``record_key`` for
versions found in advisories (the same, except PyPI, where pre-PEP 440 releases listed by records get
a place before every PEP 440 version). Ecosystems without a grammar here use a lenient generic order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from bastion.advisories.ecosystems import Ecosystem
from bastion.advisories.errors import InvalidVersion
from bastion.advisories.versions._apk import apk_key
from bastion.advisories.versions._composer import composer_key
from bastion.advisories.versions._dpkg import dpkg_key
from bastion.advisories.versions._generic import generic_key
from bastion.advisories.versions._hackage import pvp_key
from bastion.advisories.versions._maven import MavenKey
from bastion.advisories.versions._nuget import nuget_key
from bastion.advisories.versions._pep440 import pep440_key, pypi_record_key
from bastion.advisories.versions._rubygems import GemKey
from bastion.advisories.versions._semver import go_key, lenient_key, strict_key

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

__all__ = [
    "GENERIC",
    "ORDERING_REVISION",
    "SEMVER",
    "Ordering",
    "compare",
    "listed_in_order",
    "ordering_for",
    "record_key",
    "record_keys",
    "sort_key",
]

# Bump when any ordering here changes how it sorts or which versions it reads: orders stored with this number
# (``affected_packages.listed_order``, see :func:`listed_in_order`) are then ignored until recomputed.
ORDERING_REVISION = 1

KeyFunction = Callable[[str], Any]


@dataclass(frozen=True, slots=True)
class Ordering:
    """How one ecosystem orders its versions."""

    name: str
    key: KeyFunction
    record_key: KeyFunction

    @classmethod
    def single(cls, name: str, key: KeyFunction) -> Ordering:
        """An ordering whose records and queries share one grammar."""
        return cls(name, key, key)


def _named(function: Callable[[str, str], Any], ecosystem: str) -> KeyFunction:
    return lambda version: function(version, ecosystem)


SEMVER = Ordering.single("SemVer 2.0 (lenient)", _named(lenient_key, "SemVer"))
GENERIC = Ordering.single("generic", _named(generic_key, "generic"))
_STRICT_SEMVER = {"crates.io", "npm", "Hex", "Pub"}
_APK = {"Alpine", "Wolfi", "Chainguard"}


def _ordering(name: str) -> Ordering:  # noqa: PLR0911 - a lookup table with a few shared entries
    if name == "PyPI":
        return Ordering("PEP 440", pep440_key, pypi_record_key)
    if name in _STRICT_SEMVER:
        return Ordering.single("SemVer 2.0", _named(strict_key, name))
    if name in {"Go", "Kubernetes"}:
        return Ordering.single("Go module versions (SemVer)", go_key)
    if name in {"Bitnami", "SwiftURL"}:
        return Ordering.single("SemVer-like", _named(lenient_key, name))
    if name in {"Hackage", "GHC"}:
        return Ordering.single("PVP", _named(pvp_key, name))
    if name in {"Debian", "Ubuntu"}:
        return Ordering.single("dpkg", dpkg_key)
    if name in _APK:
        return Ordering.single("apk", apk_key)
    special: dict[str, Ordering] = {
        "Maven": Ordering.single("Maven ComparableVersion", MavenKey),
        "RubyGems": Ordering.single("Gem::Version", GemKey),
        "NuGet": Ordering.single("NuGetVersion", nuget_key),
        "Packagist": Ordering.single("Composer", composer_key),
    }
    return special.get(name) or Ordering.single("generic", _named(generic_key, name))


@cache
def _ordering_by_name(name: str) -> Ordering:
    return _ordering(name)


def ordering_for(ecosystem: Ecosystem) -> Ordering:
    """The ordering of an ecosystem (the release suffix, e.g. ``Debian:11``, does not change it)."""
    return _ordering_by_name(ecosystem.name)


@lru_cache(maxsize=65536)
def _cached_key(name: str, version: str) -> Any:
    return _ordering_by_name(name).key(version)


@lru_cache(maxsize=262144)
def _cached_record_key(name: str, version: str) -> Any:
    return _ordering_by_name(name).record_key(version)


def record_key(ecosystem: Ecosystem, version: str) -> SupportsRichComparison:
    """Like :func:`sort_key` for versions found in records (PyPI: legacy releases get a key too)."""
    key: SupportsRichComparison = _cached_record_key(ecosystem.name, version)
    return key


def record_keys(ecosystem: Ecosystem, versions: Iterable[str]) -> list[SupportsRichComparison]:
    """:func:`record_key` of each version the ordering can read, in order; the others are left out. (Records
    list thousands of versions, so this saves a call per version.)"""
    name = ecosystem.name
    keys: list[SupportsRichComparison] = []
    for version in versions:
        try:
            keys.append(_cached_record_key(name, version))
        except InvalidVersion:
            continue
    return keys


def sort_key(ecosystem: Ecosystem, version: str) -> SupportsRichComparison:
    """A key giving the ecosystem's total order; raises InvalidVersion where the grammar is strict."""
    key: SupportsRichComparison = _cached_key(ecosystem.name, version)
    return key


def compare(ecosystem: Ecosystem, a: str, b: str) -> int:
    """-1, 0 or 1 as version ``a`` sorts before, equal to or after ``b`` in ``ecosystem``."""
    ka, kb = _cached_key(ecosystem.name, a), _cached_key(ecosystem.name, b)
    return -1 if ka < kb else (1 if kb < ka else 0)


def listed_in_order(ecosystem: Ecosystem, versions: Iterable[str]) -> list[str]:
    """The versions the ordering can read, in its order (the others are left out): stored with an ``affected``
    entry when it is imported, so a later match can bisect its listed versions computing only the keys it
    probes, instead of a key for each of the hundreds of versions a record may list."""
    name = ecosystem.name
    keyed = []
    for version in versions:
        try:
            keyed.append((_cached_record_key(name, version), version))
        except InvalidVersion:
            continue
    keyed.sort(key=lambda pair: pair[0])
    return [version for _, version in keyed]
