"""Hackage and GHC: PVP versions, dot-separated numbers compared as lists (``1.0 < 1.0.0 < 1.0.1``).

This is ``Data.Version``'s ordering, which Cabal uses: ``1.0`` and ``1.0.0`` are different versions.
"""

from __future__ import annotations

import re

from bastion.advisories.versions._base import invalid

_GRAMMAR = re.compile(r"^\d+(?:\.\d+)*$")


def pvp_key(version: str, ecosystem: str = "Hackage") -> tuple[int, ...]:
    """The key of a PVP version; raises InvalidVersion unless it is ``N(.N)*``."""
    if _GRAMMAR.match(version) is None:
        raise invalid(ecosystem, version, "dot-separated numbers, e.g. 2.10.0.1")
    return tuple(int(p) for p in version.split("."))
