"""PyPI's sort key is a plain tuple for speed; it must order exactly as ``packaging.version.Version`` does.

Checked over every version string the real PyPI records hold (listed versions and range events) and
neighbours of each (pre-, post-, dev-releases, local labels, other spellings): sorted by ``Version``,
each adjacent pair must compare the same way by key (less, or equal exactly when the versions are equal),
which makes the two total orders identical on all of them. Hypothesis adds arbitrary PEP 440 versions.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import InvalidVersion as PackagingInvalidVersion
from packaging.version import Version

from bastion.advisories.ecosystems import Ecosystem
from bastion.advisories.versions import record_key, sort_key
from bastion.advisories.versions._pep440 import ordered
from tests.unit.advisories.real_records import entry_versions, real_records

PYPI = Ecosystem("PyPI")


def _pypi_versions(shared: Path) -> set[str]:
    return {
        version
        for record in real_records(shared / "osv")
        for entry in record.get("affected") or []
        if (entry.get("package") or {}).get("ecosystem") == "PyPI"
        for version in entry_versions(entry)
    }


def _neighbours(versions: Iterable[str]) -> set[str]:
    suffixes = ("a1", "b2", "rc1", ".dev0", ".post1", ".post1.dev3", "+local.7", "+1.a", ".0", "-1", "_rc2")
    spelled = {f"1!{v}" for v in versions} | {v.upper() for v in versions}
    return {f"{v}{s}" for v in versions for s in suffixes} | spelled


def _assert_same_order(versions: Iterable[str]) -> int:
    parsed = []
    for text in set(versions):
        try:
            parsed.append((Version(text), text))
        except PackagingInvalidVersion:
            continue
    parsed.sort(key=lambda pair: pair[0])
    for (va, a), (vb, b) in pairwise(parsed):
        ka, kb = sort_key(PYPI, a), sort_key(PYPI, b)
        assert ka == record_key(PYPI, a)  # a PEP 440 version reads alike in queries and records
        if va == vb:
            assert ka == kb, (a, b)
        else:
            assert ka < kb and not kb < ka and ka != kb, (a, b)
    return len(parsed)


def test_key_orders_every_pypi_version_of_the_real_data_as_packaging_does(shared_data: Path) -> None:
    versions = _pypi_versions(shared_data)
    sample = random.Random(20261127).sample(sorted(versions), 2000)
    assert _assert_same_order(versions | _neighbours(sample)) > 20_000


def test_legacy_versions_sort_before_every_pep440_version() -> None:
    legacy = record_key(PYPI, "0.9-eevee")
    assert legacy < record_key(PYPI, "0.dev0") and legacy < record_key(PYPI, "0!0")
    assert record_key(PYPI, "0.9-doduo") < legacy  # among themselves: the generic order


_SEGMENT = st.integers(min_value=0, max_value=12)
_PEP440 = st.builds(
    lambda epoch, release, pre, post, dev, local: (
        f"{epoch}!" * (epoch > 0) + ".".join(map(str, release)) + pre + post + dev + local
    ),
    st.integers(min_value=0, max_value=2),
    st.lists(_SEGMENT, min_size=1, max_size=4),
    st.sampled_from(["", "a0", "a1", "b1", "rc0", "rc2", "c1", "alpha3", "preview1"]),
    st.sampled_from(["", ".post0", ".post1", "-2", ".rev1"]),
    st.sampled_from(["", ".dev0", ".dev5"]),
    st.sampled_from(["", "+0", "+1", "+abc", "+abc.1", "+1.abc", "+a-b_c", "+ubuntu.2"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PEP440, min_size=2, max_size=30))
def test_key_orders_arbitrary_pep440_versions_as_packaging_does(versions: list[str]) -> None:
    _assert_same_order(versions)


@pytest.mark.parametrize(("a", "b"), [("1.0", "1.0.0"), ("1.0RC1", "1.0rc1"), ("1.0-1", "1.0.post1"), ("1+A", "1+a")])
def test_equal_spellings_have_equal_keys(a: str, b: str) -> None:
    assert sort_key(PYPI, a) == sort_key(PYPI, b)


def test_plain_releases_read_without_packaging_get_the_key_packaging_gives(shared_data: Path) -> None:
    """``1.2.0`` and the like skip building a ``Version``: the key must be the one ``Version`` gives."""
    versions = {v for v in _pypi_versions(shared_data) if v.replace(".", "").isdigit()}
    versions |= {"0", "0.0", "00.01", "1.0.0.0", "10.020.3", "2026.11.27"}
    assert len(versions) > 5000
    assert [v for v in versions if sort_key(PYPI, v) != ordered(Version(v))] == []
