"""Packagist: Composer's normalization followed by PHP's ``version_compare``.

Composer strips a leading ``v`` and pads the numeric part to four components (``1.2`` ->
``1.2.0.0``). ``version_compare`` then splits at separators (``. - _ +``) and at digit/letter
changes; numbers compare numerically, words by their special form, matched by prefix:
``dev < alpha = a < beta = b < RC = rc < (number) < pl = p`` and any other word below ``dev``
(two other words are equal). When one version runs out, the next token of the other decides
against a virtual number: a number or ``p``/``patch`` makes it newer, anything else older
(``1.0.0.0-beta1 < 1.0.0.0 < 1.0.0.0-patch1 < 1.0.0.1``). ``dev-<branch>`` sorts lowest.
"""

from __future__ import annotations

import re

from bastion.advisories.versions._base import check_text

_NUMERIC = re.compile(r"^(\d+(?:\.\d+)*)(.*)$")
_TOKEN = re.compile(r"\d+|[^\d._+-]+")
_FORMS = (("dev", 1), ("alpha", 2), ("a", 2), ("beta", 3), ("b", 3), ("rc", 4), ("pl", 6), ("p", 6))
_NUMBER = 5
_END = (_NUMBER, -1)  # sits just below every number: what "ran out" compares as

ComposerKey = tuple[tuple[int, int], ...]


def _form(word: str) -> int:
    return next((rank for prefix, rank in _FORMS if word.startswith(prefix)), 0)


def composer_key(version: str) -> ComposerKey:
    """The Packagist sort key; every non-empty string without spaces has one."""
    text = check_text("Packagist", version).lower()
    if text.startswith("v") and text[1:2].isdigit():
        text = text[1:]
    m = _NUMERIC.match(text)
    if m is not None:
        parts = m[1].split(".")
        text = ".".join(parts + ["0"] * (4 - len(parts))) + m[2]
    tokens = tuple((_NUMBER, int(t)) if t.isdigit() else (_form(t), 0) for t in _TOKEN.findall(text))
    return (*tokens, _END)
