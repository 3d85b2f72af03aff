"""Version ordering per ecosystem: known orderings from each ecosystem's documentation, and hypothesis
properties (each ordering is a total order consistent with equality)."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.advisories.ecosystems import parse_ecosystem
from bastion.advisories.errors import InvalidVersion
from bastion.advisories.versions import compare, sort_key

# Each row: ecosystem, versions in strictly increasing order (from the ecosystem's docs and tools).
ASCENDING = [
    (
        "PyPI",
        ["1.0.dev0", "1.0a1", "1.0a2.dev1", "1.0b1", "1.0rc1", "1.0", "1.0.post1", "1.0.1", "1.1", "1!0.1"],
    ),
    (
        "crates.io",
        [
            "0.0.0-0",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.10.0",
            "2.0.0",
        ],
    ),
    ("npm", ["1.2.3-1", "1.2.3-a", "1.2.3", "1.2.10", "10.0.0"]),
    ("Go", ["v0.0.0-20191109021931-daa7c04131f5", "0.1.0", "v1.2.3-pre", "1.2.3", "v2.0.0+incompatible"]),
    ("Bitnami", ["2020.4.10", "2021.03.04", "2023.03.13", "2023.03.20"]),
    ("Hackage", ["0.9", "1", "1.0", "1.0.0", "1.0.1", "1.2", "1.10"]),
    (
        "Debian",
        [
            "1.0~~",
            "1.0~beta1",
            "1.0",
            "1.0-1",
            "1.0-1+deb12u1",
            "1.0a",
            "1.0+dfsg",
            "1.0.1",
            "1.1~rc1",
            "1.1",
            "1:0.1",
        ],
    ),
    ("Ubuntu", ["2.4.52-1ubuntu4", "2.4.52-1ubuntu4.1", "2.4.52-1ubuntu4.10"]),
    (
        "Alpine",
        [
            "1.2_alpha",
            "1.2_beta2",
            "1.2_pre1",
            "1.2_rc1",
            "1.2",
            "1.2-r1",
            "1.2_p1",
            "1.2a",
            "1.2.0",
            "1.2.1",
            "1.10",
        ],
    ),
    (
        "Maven",
        [
            "1-alpha",
            "1-alpha-1",
            "1-beta",
            "1-milestone",
            "1-rc",
            "1-snapshot",
            "1",
            "1-sp",
            "1-abc",
            "1-1",
            "1.0.1",
            "1.1",
            "2.0-alpha1",
            "2.0",
        ],
    ),
    ("RubyGems", ["1.0.a", "1.0.b1", "1.0.rc1", "1.0", "1.0.1", "1.1", "1.10"]),
    ("NuGet", ["1.0.0-alpha", "1.0.0-Beta", "1.0.0-rc.1", "1.0.0", "1.0.0.1", "1.0.1", "2.0"]),
    (
        "Packagist",
        [
            "dev-master",
            "1.0.0-dev",
            "1.0.0-alpha1",
            "1.0.0-beta2",
            "1.0.0-RC1",
            "1.0.0",
            "1.0.0-p1",
            "1.0.0.1",
            "v1.0.1",
            "1.1",
        ],
    ),
    ("Wolfi", ["3.0.8-r0", "3.0.8-r3", "3.0.9-r0"]),
    ("Red Hat", ["1.0", "1.0.1", "1.1", "1.10"]),
]

EQUAL = [
    ("PyPI", "1.0", "1.0.0"),
    ("PyPI", "1.0RC1", "1.0rc1"),
    ("crates.io", "1.0.0+a", "1.0.0+b"),
    ("Go", "v1.2.3", "1.2.3"),
    ("Debian", "1.0", "0:1.0"),
    ("Debian", "1.0-0", "1.0"),
    ("Maven", "1", "1.0.0"),
    ("Maven", "1-ga", "1"),
    ("Maven", "1.0.0-final", "1"),
    ("Maven", "1a1", "1-alpha-1"),
    ("RubyGems", "1", "1.0"),
    ("RubyGems", "1.0.a", "1.a"),
    ("NuGet", "1.0", "1.0.0.0"),
    ("NuGet", "1.0.0-BETA", "1.0.0-beta"),
    ("Packagist", "1.0", "1.0.0.0"),
    ("Bitnami", "2023.03.13", "2023.3.13"),
]


@pytest.mark.parametrize(("ecosystem", "versions"), ASCENDING, ids=[row[0] for row in ASCENDING])
def test_documented_orderings(ecosystem: str, versions: list[str]) -> None:
    eco = parse_ecosystem(ecosystem)
    shuffled = versions[1::2] + versions[::2]
    assert sorted(shuffled, key=lambda v: sort_key(eco, v)) == versions
    for lower, higher in pairwise(versions):
        assert compare(eco, lower, higher) == -1
        assert compare(eco, higher, lower) == 1


@pytest.mark.parametrize(("ecosystem", "a", "b"), EQUAL)
def test_equal_spellings(ecosystem: str, a: str, b: str) -> None:
    assert compare(parse_ecosystem(ecosystem), a, b) == 0


@pytest.mark.parametrize(
    ("ecosystem", "version"),
    [
        ("PyPI", "not a version"),
        ("PyPI", "1.0-foo"),
        ("crates.io", "1.0"),
        ("crates.io", "01.0.0"),
        ("npm", "v1.2.3"),
        ("Go", "1.2"),
        ("Hackage", "1.0-beta"),
        ("Alpine", "1.2-rc1"),
        ("NuGet", "1.2.3.4.5"),
        ("RubyGems", "1..2"),
        ("Debian", "a:1.0"),
        ("Debian", ""),
        ("Maven", "1 0"),
        ("Bitnami", "nightly"),
    ],
)
def test_strict_grammars_reject_non_versions(ecosystem: str, version: str) -> None:
    with pytest.raises(InvalidVersion) as info:
        sort_key(parse_ecosystem(ecosystem), version)
    assert info.value.code == "invalid_version"
    assert ecosystem in info.value.message
    assert info.value.hint


# ---- properties: every ordering is a total order consistent with equality --------------------------

_num = st.integers(0, 30).map(str)
_word = st.sampled_from(["alpha", "beta", "rc", "pre", "dev", "post", "a", "b", "sp", "ga", "snapshot", "x"])
_sep = st.sampled_from([".", "-", "+", "~", "_"])
_loose = st.lists(st.one_of(_num, _word, _sep), min_size=1, max_size=7).map("".join).filter(str.strip)
_core = st.lists(_num, min_size=1, max_size=4).map(".".join)

VERSIONS = {
    "PyPI": st.builds(
        lambda c, p, n: c + p + n,
        _core,
        st.sampled_from(["", "a", "b", "rc", ".post", ".dev"]),
        st.sampled_from(["", "0", "1", "2"]),
    ),
    "crates.io": st.builds(
        lambda a, b, c, p: f"{a}.{b}.{c}{p}",
        _num,
        _num,
        _num,
        st.sampled_from(["", "-alpha", "-alpha.1", "-1", "-beta.2", "-0", "+build"]),
    ),
    "Debian": st.builds(
        lambda e, u, r: f"{e}{u}{r}",
        st.sampled_from(["", "1:", "2:"]),
        _core.flatmap(lambda c: st.sampled_from([c, c + "~rc1", c + "+dfsg", c + "a", c + "~"])),
        st.sampled_from(["", "-1", "-1ubuntu2", "-0"]),
    ),
    "Alpine": st.builds(
        lambda c, s, r: c + s + r,
        _core,
        st.sampled_from(["", "a", "_rc1", "_p2", "_alpha", "_git"]),
        st.sampled_from(["", "-r0", "-r1", "-r10"]),
    ),
    "Maven": _loose.filter(lambda v: v[0].isalnum()),
    "RubyGems": st.builds(lambda c, p: c + p, _core, st.sampled_from(["", ".a", ".beta1", ".rc.2", "-pre", ".0"])),
    "NuGet": st.builds(lambda c, p: c + p, _core, st.sampled_from(["", "-alpha", "-Alpha.2", "-rc.1", "+meta"])),
    "Packagist": _loose,
    "Hackage": _core,
    "Bitnami": st.builds(lambda c, p: c + p, _core, st.sampled_from(["", "-1", "-rc.1", "-debian-12-r0"])),
    "Go": st.builds(
        lambda a, b, c, p: f"v{a}.{b}.{c}{p}",
        _num,
        _num,
        _num,
        st.sampled_from(["", "-pre", "+incompatible"]),
    ),
    "Red Hat": _loose,
}


@pytest.mark.parametrize("ecosystem", sorted(VERSIONS))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_ordering_is_a_total_order(ecosystem: str, data: st.DataObject) -> None:
    eco = parse_ecosystem(ecosystem)
    a, b, c = (data.draw(VERSIONS[ecosystem]) for _ in range(3))
    ab, ba, bc, ac = compare(eco, a, b), compare(eco, b, a), compare(eco, b, c), compare(eco, a, c)
    assert compare(eco, a, a) == 0
    assert ab == -ba  # antisymmetric
    if ab <= 0 and bc <= 0:
        assert ac <= 0  # transitive
    if ab == 0:
        assert sort_key(eco, a) == sort_key(eco, b)  # equal keys exactly when compare says equal
        assert bc == ac
