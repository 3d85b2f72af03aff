"""A lenient ordering for ecosystems without a grammar we implement: digits numerically, words by text.

``1.10 > 1.9``, ``1.0a < 1.0.1`` (a word sorts before a number at the same place), separators
(``.``, ``-``, ``_``, ``+``...) only split tokens, and a version that is a prefix of another sorts first.
Every string has a key, so this is a total order on all strings (equal keys: equal versions).
"""

from __future__ import annotations

import re

from bastion.advisories.versions._base import check_text

_TOKEN = re.compile(r"\d+|[^\W\d_]+")

GenericKey = tuple[tuple[int, int | str], ...]


def generic_key(version: str, ecosystem: str = "this ecosystem") -> GenericKey:
    """Tokens ``(1, number)`` or ``(0, lowercased word)``; everything else separates tokens."""
    text = check_text(ecosystem, version)
    return tuple((1, int(t)) if t.isdigit() else (0, t.lower()) for t in _TOKEN.findall(text))
