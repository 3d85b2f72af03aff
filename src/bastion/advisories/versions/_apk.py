"""Alpine (apk-tools): ``digits{.digits}[letter]{_suffix[N]}[~hash][-rN]``.

apk compares token by token. Where both versions have the same kind of token, values decide;
where kinds differ, a pre-release suffix (``_alpha _beta _pre _rc``) loses, otherwise the version
whose token comes *earlier* in the grammar wins (``1.2.1 > 1.2a > 1.2_p1 > 1.2-r1 > 1.2 > 1.2_rc1``).
Each token is encoded as ``(rank, value)`` with ranks in that order, then compared as a tuple.
"""

from __future__ import annotations

import re

from bastion.advisories.versions._base import invalid

_GRAMMAR = re.compile(
    r"^(\d+(?:\.\d+)*)([a-z])?((?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)\d*)*)(~[0-9a-f]+)?(-r\d+)?$"
)
_SUFFIX = re.compile(r"_([a-z]+)(\d*)")
_PRE = ("alpha", "beta", "pre", "rc")
_POST = ("cvs", "svn", "git", "hg", "p")
_DIGIT, _LETTER, _POST_SUFFIX, _HASH, _REVISION, _END, _PRE_SUFFIX = 6, 5, 4, 3, 2, 1, 0

ApkKey = tuple[tuple[int, object], ...]


def apk_key(version: str) -> ApkKey:
    """The apk sort key; raises InvalidVersion for strings outside apk's grammar."""
    m = _GRAMMAR.match(version)
    if m is None:
        raise invalid("Alpine", version, "1.2.3[a][_rc1|_p2...][-r0], e.g. 3.0.8-r3")
    digits, letter, suffixes, commit, revision = m.groups()
    tokens: list[tuple[int, object]] = [(_DIGIT, int(d)) for d in digits.split(".")]
    if letter:
        tokens.append((_LETTER, letter))
    for name, number in _SUFFIX.findall(suffixes):
        n = int(number) if number else -1
        if name in _PRE:
            tokens.append((_PRE_SUFFIX, (_PRE.index(name), n)))
        else:
            tokens.append((_POST_SUFFIX, (_POST.index(name), n)))
    if commit:
        tokens.append((_HASH, commit[1:]))
    if revision:
        tokens.append((_REVISION, int(revision[2:])))
    tokens.append((_END, 0))
    return tuple(tokens)
