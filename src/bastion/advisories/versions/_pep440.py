"""PyPI: PEP 440 ordering through ``packaging``, with a place for pre-PEP 440 ("legacy") versions.

Queries must be PEP 440 (:func:`pep440_key` raises otherwise). Records, though, list releases PyPI
accepted before PEP 440 (``0.9-eevee``, ``2013-01-21T20:33:09+0100``). :func:`pypi_record_key` orders
those the way setuptools' legacy versions and osv.dev do: before every PEP 440 version, and among
themselves by the lenient generic ordering. Keys are ``(1, Version)`` or ``(0, generic key)``.
"""

from __future__ import annotations

from packaging.version import InvalidVersion as PackagingInvalidVersion
from packaging.version import Version

from bastion.advisories.versions._base import invalid
from bastion.advisories.versions._generic import generic_key

PypiKey = tuple[int, object]


def pep440_key(version: str) -> PypiKey:
    """A PEP 440 version, normalized (``1.0`` == ``1.0.0``, ``1.0RC1`` == ``1.0rc1``)."""
    try:
        return (1, Version(version))
    except PackagingInvalidVersion as e:
        raise invalid("PyPI", version, "PEP 440: [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local], e.g. 2.31.0") from e


def pypi_record_key(version: str) -> PypiKey:
    """PEP 440 when possible, otherwise a legacy key sorting before every PEP 440 version."""
    try:
        return (1, Version(version))
    except PackagingInvalidVersion:
        return (0, generic_key(version, "PyPI"))
