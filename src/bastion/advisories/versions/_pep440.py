"""PyPI: PEP 440 ordering through ``packaging``, with a place for pre-PEP 440 ("legacy") versions.

Queries must be PEP 440 (:func:`pep440_key` raises otherwise). Records, though, list releases PyPI
accepted before PEP 440 (``0.9-eevee``, ``2013-01-21T20:33:09+0100``). :func:`pypi_record_key` orders
those the way setuptools' legacy versions and osv.dev do: before every PEP 440 version, and among
themselves by the lenient generic ordering.

``packaging`` reads the version (the grammar and its normalization are its own); the key is then a plain
tuple of ints and strings holding PEP 440's order exactly as ``Version`` compares, so that sorting and
bisecting thousands of keys compares in C rather than through ``Version.__lt__`` (a package index of PyPI
records sorts a hundred thousand keys). Keys are ``(1, epoch, release, pre, post, dev, local)`` flattened,
or ``(0, generic key)`` for a legacy version.
"""

from __future__ import annotations

import re

from packaging.version import InvalidVersion as PackagingInvalidVersion
from packaging.version import Version

from bastion.advisories.versions._base import invalid
from bastion.advisories.versions._generic import generic_key

PypiKey = tuple[object, ...]

_PRE_RANK = {"a": 0, "b": 1, "rc": 2}
_DEV_ONLY, _FINAL = -1, 3  # a dev release without pre or post sorts before its alphas; a final after its rcs


def ordered(version: Version) -> PypiKey:
    """PEP 440's order as a tuple: equal exactly when the ``Version`` objects are, ordered as they are.

    Trailing zeros of the release do not count (``1.0 == 1``); a dev-only release comes before every
    pre-release of the same release; no post-release before any; a dev release before its own release; no
    local label before any, and local labels compare segment by segment, a number above any word.
    """
    release = version.release
    end = len(release)
    while end and release[end - 1] == 0:
        end -= 1
    pre, post, dev = version.pre, version.post, version.dev
    if pre is not None:
        pre_rank, pre_n = _PRE_RANK[pre[0]], pre[1]
    elif post is None and dev is not None:
        pre_rank, pre_n = _DEV_ONLY, 0
    else:
        pre_rank, pre_n = _FINAL, 0
    local = (
        ()
        if version.local is None
        else tuple((1, int(part)) if part.isdigit() else (0, part) for part in version.local.split("."))
    )
    return (
        1,
        version.epoch,
        release[:end],
        pre_rank,
        pre_n,
        0 if post is None else 1,
        post or 0,
        0 if dev is not None else 1,
        dev or 0,
        local,
    )


# A final release written as plain numbers (``2.31.0``), which is most versions records and SBOMs hold: its key
# is read off directly, as ``ordered(Version(...))`` would give it, without building a ``Version``.
_PLAIN_RELEASE = re.compile(r"[0-9]+(?:\.[0-9]+)*")


def _plain_release_key(version: str) -> PypiKey | None:
    if _PLAIN_RELEASE.fullmatch(version) is None:
        return None
    release = [int(part) for part in version.split(".")]
    while release and release[-1] == 0:
        release.pop()
    return (1, 0, tuple(release), _FINAL, 0, 0, 0, 1, 0, ())


def pep440_key(version: str) -> PypiKey:
    """A PEP 440 version, normalized (``1.0`` == ``1.0.0``, ``1.0RC1`` == ``1.0rc1``)."""
    plain = _plain_release_key(version)
    if plain is not None:
        return plain
    try:
        return ordered(Version(version))
    except PackagingInvalidVersion as e:
        raise invalid("PyPI", version, "PEP 440: [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local], e.g. 2.31.0") from e


def pypi_record_key(version: str) -> PypiKey:
    """PEP 440 when possible, otherwise a legacy key sorting before every PEP 440 version."""
    plain = _plain_release_key(version)
    if plain is not None:
        return plain
    try:
        return ordered(Version(version))
    except PackagingInvalidVersion:
        return (0, generic_key(version, "PyPI"))
