"""Maven: the ordering of ``org.apache.maven.artifact.versioning.ComparableVersion`` (Maven 3).

A version is split on ``.``, ``-`` and digit/letter transitions into numbers, qualifiers and
sub-lists (each ``-`` or transition opens a sub-list); trailing "null" items (``0``, ``""``, ``ga``,
``final``, ``release``, empty lists) are dropped. Qualifiers order as
``alpha < beta < milestone < rc = cr < snapshot < "" (release) < sp < others`` (others by text);
``a1``/``b1``/``m1`` abbreviate alpha/beta/milestone when followed by a digit. Comparing item to
item: number > list > qualifier; a missing item compares as null (``1 = 1.0 = 1-ga``,
``1-alpha < 1 < 1-sp < 1.0.1``). Every string is a Maven version.
"""

from __future__ import annotations

from typing import Any

from bastion.advisories.versions._base import CmpKey, check_text

_QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}
_RELEASE = _QUALIFIERS.index("")

Item = int | tuple[int, str] | list[Any]  # number | (qualifier rank, unknown text) | sub-list


def _qualifier(text: str, followed_by_digit: bool) -> tuple[int, str]:
    if followed_by_digit and text in _SHORT:
        text = _SHORT[text]
    text = _ALIASES.get(text, text)
    if text in _QUALIFIERS:
        return (_QUALIFIERS.index(text), "")
    return (len(_QUALIFIERS), text)


def _is_null(item: Item) -> bool:
    return item in (0, (_RELEASE, ""), [])


def _parse(version: str) -> list[Any]:
    text = version.lower()
    root: list[Any] = []
    current, stack = root, [root]
    sub: list[Any]
    start, digit = 0, False

    def item(end: int, *, followed_by_digit: bool = False) -> Item:
        chunk = text[start:end]
        return int(chunk) if digit else _qualifier(chunk, followed_by_digit)

    for i, c in enumerate(text):
        if c in ".-":
            current.append(0 if i == start else item(i))
            start = i + 1
            if c == "-":
                current.append(sub := [])
                current, digit = sub, False
                stack.append(sub)
        elif c.isdigit():
            if not digit and i > start:
                current.append(item(i, followed_by_digit=True))
                current.append(sub := [])
                current, start = sub, i
                stack.append(sub)
            digit = True
        else:
            if digit and i > start:
                current.append(item(i))
                current.append(sub := [])
                current, start = sub, i
                stack.append(sub)
            digit = False
    if len(text) > start:
        current.append(item(len(text)))
    for lst in reversed(stack):
        for i in range(len(lst) - 1, -1, -1):
            if _is_null(lst[i]):
                del lst[i]
            elif not isinstance(lst[i], list):
                break
    return root


def _cmp(a: Item | None, b: Item | None) -> int:  # noqa: PLR0911 - one return per case of the Maven rules
    if a is None:
        return 0 if b is None else -_cmp(b, None)
    if isinstance(a, int):
        if b is None:
            return 0 if a == 0 else 1
        if isinstance(b, int):
            return (a > b) - (a < b)
        return 1
    if isinstance(a, tuple):
        if b is None:
            b = (_RELEASE, "")
        if isinstance(b, tuple):
            return (a > b) - (a < b)
        return -1
    if b is None:
        return next((r for r in (_cmp(x, None) for x in a) if r), 0)
    if isinstance(b, int):
        return -1
    if isinstance(b, tuple):
        return 1
    for i in range(max(len(a), len(b))):
        r = _cmp(a[i] if i < len(a) else None, b[i] if i < len(b) else None)
        if r:
            return r
    return 0


class MavenKey(CmpKey):
    """Sort key of a Maven version."""

    __slots__ = ("items",)

    def __init__(self, version: str) -> None:
        self.items = _parse(check_text("Maven", version))

    def cmp(self, other: Any) -> int:
        assert isinstance(other, MavenKey)
        return _cmp(self.items, other.items)
