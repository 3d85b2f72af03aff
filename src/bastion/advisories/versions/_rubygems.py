"""RubyGems: ``Gem::Version`` ordering.

A version is ``N(.X)*`` with an optional ``-pre`` part (``-`` reads as ``.pre.``). It splits into
numeric and letter segments; any letter segment makes it a pre-release. Segments compare one by one,
a missing segment counting as 0; numbers compare numerically, letters as text, and a letter segment
sorts before any number (``1.0.a < 1.0 < 1.0.1``, ``1.0 == 1``). Zeros right before the first letter
segment and at the end do not count (``1.0.a == 1.a``), as in ``Gem::Version#canonical_segments``.
"""

from __future__ import annotations

import re
from typing import Any

from bastion.advisories.versions._base import CmpKey, invalid

_GRAMMAR = re.compile(r"^[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$")
_SEGMENT = re.compile(r"[0-9]+|[a-zA-Z]+")


def _strip_zeros(segments: list[int | str]) -> list[int | str]:
    while segments and segments[-1] == 0:
        segments.pop()
    return segments


class GemKey(CmpKey):
    """Sort key of a gem version; ``segments`` have trailing zeros removed, so equality is tuple equality."""

    __slots__ = ("segments",)

    def __init__(self, version: str) -> None:
        text = version.strip() or "0"
        if _GRAMMAR.match(text) is None:
            raise invalid("RubyGems", version, "1.2.3 or 1.2.3.pre / 1.2.3-rc1 (Gem::Version)")
        segments = [int(s) if s.isdigit() else s for s in _SEGMENT.findall(text.replace("-", ".pre."))]
        first_letter = next((i for i, s in enumerate(segments) if isinstance(s, str)), len(segments))
        self.segments = (*_strip_zeros(segments[:first_letter]), *_strip_zeros(segments[first_letter:]))

    def cmp(self, other: Any) -> int:
        assert isinstance(other, GemKey)
        a, b = self.segments, other.segments
        for i in range(max(len(a), len(b))):
            x = a[i] if i < len(a) else 0
            y = b[i] if i < len(b) else 0
            if x == y:
                continue
            if isinstance(x, str) and isinstance(y, int):
                return -1
            if isinstance(x, int) and isinstance(y, str):
                return 1
            return -1 if x < y else 1  # type: ignore[operator]  # same type here
        return 0

    def __hash__(self) -> int:
        return hash(self.segments)
