"""NuGet: ``NuGetVersion`` ordering (SemVer 2.0 with up to four numeric parts).

``1.2`` == ``1.2.0`` == ``1.2.0.0``; pre-release labels compare like SemVer but case-insensitively
(``1.0.0-Beta == 1.0.0-beta``); build metadata is ignored.
"""

from __future__ import annotations

import re

from bastion.advisories.versions._base import invalid

_GRAMMAR = re.compile(
    r"^[vV]?(\d+(?:\.\d+){0,3})(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)

NugetKey = tuple[object, ...]


def nuget_key(version: str) -> NugetKey:
    """The NuGet sort key; raises InvalidVersion outside ``N(.N){0,3}[-pre][+build]``."""
    m = _GRAMMAR.match(version.strip())
    if m is None:
        raise invalid("NuGet", version, "1.2.3[.4][-prerelease][+metadata], e.g. 13.0.3")
    parts = [int(p) for p in m[1].split(".")]
    parts += [0] * (4 - len(parts))
    if m[2] is None:
        pre: tuple[object, ...] = (1,)
    else:
        pre = (0, *((0, int(p)) if p.isdigit() else (1, p.lower()) for p in m[2].split(".")))
    return (*parts, pre)
