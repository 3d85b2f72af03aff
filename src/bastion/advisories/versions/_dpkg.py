"""Debian and Ubuntu: dpkg's ordering of ``[epoch:]upstream[-revision]`` (Debian Policy 5.6.12).

Each part alternates a non-digit run and a digit run. Non-digit runs compare character by character
with ``~`` before the end of the run, the end before letters, letters before other characters;
digit runs compare as numbers (a missing run counts as 0). The key encodes each run so that plain
tuple comparison gives exactly that: a non-digit run becomes its character weights plus an end
mark (0), and every part ends with an empty run, so ``1.0~rc1 < 1.0 < 1.0.1`` falls out.
"""

from __future__ import annotations

import re

from bastion.advisories.versions._base import check_text, invalid

_RUNS = re.compile(r"(\D*)(\d*)")
_END: tuple[int, ...] = (0,)

DpkgKey = tuple[int, tuple[object, ...], tuple[object, ...]]


def _weight(c: str) -> int:
    if c == "~":
        return -1
    if c.isalpha() and c.isascii():
        return ord(c)
    return ord(c) + 256


def _part_key(part: str) -> tuple[object, ...]:
    pairs: list[tuple[tuple[int, ...], int]] = []
    for letters, digits in _RUNS.findall(part):
        if not letters and not digits:
            continue
        pairs.append(((*(_weight(c) for c in letters), 0), int(digits) if digits else 0))
    while pairs and pairs[-1] == (_END, 0):  # "" and "0" are the same revision
        pairs.pop()
    pairs.append((_END, 0))
    return tuple(pairs)


def dpkg_key(version: str) -> DpkgKey:
    """The dpkg sort key; raises InvalidVersion for empty strings, spaces or a non-numeric epoch."""
    text = check_text("Debian", version)
    epoch_text, sep, rest = text.partition(":")
    if not sep:
        epoch_text, rest = "0", text
    if not epoch_text.isdigit() or not rest:
        raise invalid("Debian", version, "[epoch:]upstream[-revision], e.g. 1:2.36-9+deb12u4")
    upstream, dash, revision = rest.rpartition("-")
    if not dash:
        upstream, revision = rest, ""
    return (int(epoch_text), _part_key(upstream), _part_key(revision))
