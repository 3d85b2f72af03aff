"""SemVer 2.0 precedence (crates.io, npm, Hex, Pub, SwiftURL, SEMVER ranges) and its relatives.

Keys are tuples ``(major, minor, patch, pre)`` where ``pre`` is ``(1,)`` for a release and
``(0, id, ...)`` for a pre-release, each identifier ``(0, int)`` or ``(1, str)``: numeric identifiers
sort before alphanumeric ones, and a shorter identifier list sorts first when all else is equal
(semver.org section 11). Build metadata is ignored, so ``1.0.0+a`` and ``1.0.0+b`` are equal.
"""

from __future__ import annotations

import re

from bastion.advisories.versions._base import invalid

_NUM = r"0|[1-9]\d*"
_PRE_ID = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
_STRICT = re.compile(
    rf"^({_NUM})\.({_NUM})\.({_NUM})(?:-({_PRE_ID}(?:\.{_PRE_ID})*))?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$"
)
# Lenient: optional "v", leading zeros, one or more numeric components, loose identifiers.
_LENIENT = re.compile(r"^[vV]?(\d+(?:\.\d+)*)(?:-([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?(?:\+[0-9a-zA-Z-.]*)?$")
_RELEASE = (1,)

SemverKey = tuple[object, ...]


def _pre_key(pre: str | None) -> tuple[object, ...]:
    if pre is None:
        return _RELEASE
    return (0, *((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")))


def strict_key(version: str, ecosystem: str = "SemVer") -> SemverKey:
    """SemVer 2.0 exactly as semver.org defines it (no "v", no leading zeros, three components)."""
    m = _STRICT.match(version)
    if m is None:
        raise invalid(ecosystem, version, "MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], e.g. 1.4.0-rc.1")
    return (int(m[1]), int(m[2]), int(m[3]), _pre_key(m[4]))


def lenient_key(version: str, ecosystem: str = "SemVer") -> SemverKey:
    """SemVer-like: a "v" prefix, leading zeros and 1 or 2 components (padded with zeros) are accepted.

    Used for Bitnami (``2023.03.13``) and for the events of SEMVER ranges, which real records do
    not always write strictly. Components beyond the third are compared too (``1.2.3.4`` > ``1.2.3``).
    """
    m = _LENIENT.match(version)
    if m is None:
        raise invalid(ecosystem, version, "MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], e.g. 1.4.0-rc.1")
    core = [int(p) for p in m[1].split(".")]
    core += [0] * (3 - len(core))
    return (core[0], core[1], core[2], _pre_key(m[2]), tuple(core[3:]))


def go_key(version: str) -> SemverKey:
    """Go module versions: SemVer with an optional "v" (OSV drops it); ``+incompatible`` is build metadata.

    Pseudo-versions (``v0.0.0-20191109021931-daa7c04131f5``) are SemVer pre-releases and need no
    special rule.
    """
    return strict_key(version[1:] if version.startswith("v") else version, "Go")
