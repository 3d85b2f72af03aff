"""An entry's listed versions stored in their ecosystem's order (at import) let matching bisect them computing
only the keys it probes. The stored order must be the ordering's own, and matching through it must answer
exactly as matching that computes every key does."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.advisories.ecosystems import Ecosystem
from bastion.advisories.errors import InvalidVersion
from bastion.advisories.matching import CompiledAffected
from bastion.advisories.record import StoredAffected
from bastion.advisories.versions import listed_in_order, record_key, sort_key

SPELLINGS = {
    "PyPI": ["1.0", "1.0.0", "1.10", "1.9", "2.0rc1", "2.0", "0.9-eevee", "1!0.1", "1.2.post1", "1.2.dev0", "3+local"],
    "npm": ["1.0.0", "1.10.0", "1.9.0", "2.0.0-rc.1", "2.0.0", "2.0.0+build", "0.0.1"],
    "Maven": ["1.0", "1.0.0", "1.0-SNAPSHOT", "1.0-alpha-1", "1.10", "1.9", "2.0.RELEASE", "2.0-sp1"],
    "RubyGems": ["1.0", "1.0.0", "1.0.a", "1.10", "1.9", "2.0.0.rc1", "2.0"],
    "Debian": ["1.0-1", "1:0.9-1", "1.0~rc1-1", "1.10-1", "1.9-2", "2.0-1+deb11u1"],
    "crates.io": ["0.1.0", "0.10.0", "0.9.0", "1.0.0-alpha", "1.0.0"],
}


def _key(ecosystem: Ecosystem, version: str) -> object:
    return record_key(ecosystem, version)


@pytest.mark.parametrize("name", sorted(SPELLINGS))
def test_the_stored_order_is_the_orderings_order(name: str) -> None:
    ecosystem = Ecosystem(name)
    versions = list(SPELLINGS[name])
    random.Random(7).shuffle(versions)
    ordered = listed_in_order(ecosystem, versions)
    keys = [_key(ecosystem, v) for v in ordered]
    assert all(not b < a for a, b in pairwise(keys))
    assert sorted(ordered) == sorted(v for v in versions if _readable(ecosystem, v))


def _readable(ecosystem: Ecosystem, version: str) -> bool:
    try:
        record_key(ecosystem, version)
    except InvalidVersion:
        return False
    return True


@settings(max_examples=200, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(SPELLINGS)))
def test_matching_through_the_stored_order_answers_as_computing_every_key(data: st.DataObject, name: str) -> None:
    ecosystem = Ecosystem(name)
    listed = data.draw(st.lists(st.sampled_from(SPELLINGS[name]), max_size=8, unique=True))
    query = data.draw(st.sampled_from([*SPELLINGS[name], "1", "1.0.0.0", "2", "0.0.0"]))
    entry = StoredAffected(tuple(listed), ())
    computed = CompiledAffected(ecosystem, entry)
    stored = CompiledAffected(ecosystem, entry, listed_in_order=listed_in_order(ecosystem, listed))
    try:
        sort_key(ecosystem, query)
    except InvalidVersion:
        return  # not a version queries may ask (matching raises for both alike)
    assert stored.matches(query) == computed.matches(query)
    assert stored.boundaries() == computed.boundaries()
