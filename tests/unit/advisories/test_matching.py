"""The OSV evaluation algorithm on small entries written for each rule, and GIT commit matching."""

from __future__ import annotations

from typing import Any

import pytest

from bastion.advisories.ecosystems import parse_ecosystem
from bastion.advisories.errors import InvalidCommit, InvalidVersion
from bastion.advisories.matching import commit_affected, compile_affected, is_affected
from bastion.advisories.record import Affected

PYPI, CRATES, BITNAMI = parse_ecosystem("PyPI"), parse_ecosystem("crates.io"), parse_ecosystem("Bitnami")


def entry(*events: tuple[str, str], kind: str = "ECOSYSTEM", versions: list[str] | None = None) -> Affected:
    body: dict[str, Any] = {"ranges": [{"type": kind, "events": [{k: v} for k, v in events]}]}
    if versions is not None:
        body["versions"] = versions
    return Affected.model_validate(body)


@pytest.mark.parametrize(
    ("events", "version", "expected"),
    [
        ((("introduced", "0"),), "0.0.1.dev0", True),  # "0" is before every version
        ((("introduced", "0"), ("fixed", "1.0.2")), "1.0.1", True),
        ((("introduced", "0"), ("fixed", "1.0.2")), "1.0.2", False),  # fixed is exclusive
        ((("introduced", "0"), ("fixed", "1.0.2")), "1.0.2rc1", True),  # pre-release sorts before
        ((("introduced", "1.0"), ("fixed", "1.2"), ("introduced", "3.0"), ("fixed", "3.2.5")), "2.0", False),
        ((("introduced", "1.0"), ("fixed", "1.2"), ("introduced", "3.0"), ("fixed", "3.2.5")), "3.1", True),
        (
            (("introduced", "3.0"), ("fixed", "3.2.5"), ("introduced", "1.0"), ("fixed", "1.2")),
            "1.1",
            True,
        ),  # unsorted
        ((("introduced", "0"), ("last_affected", "2.1.214")), "2.1.214", True),  # last_affected inclusive
        ((("introduced", "0"), ("last_affected", "2.1.214")), "2.1.215", False),
        ((("introduced", "1.0"), ("limit", "2.0")), "1.5", True),
        ((("introduced", "1.0"), ("limit", "2.0")), "2.0", False),  # limit is exclusive
        ((("introduced", "1.0"), ("limit", "*")), "99", True),  # "*" is infinity
        ((("introduced", "1.0"),), "0.9", False),
    ],
)
def test_range_evaluation(events: tuple[tuple[str, str], ...], version: str, expected: bool) -> None:
    assert is_affected(PYPI, entry(*events), version) is expected


def test_versions_list_uses_the_ecosystems_equality() -> None:
    affected = Affected(versions=["1.0", "0.9-eevee"])
    assert is_affected(PYPI, affected, "1.0.0")  # PEP 440: 1.0 == 1.0.0
    assert is_affected(PYPI, affected, "0.9-eevee")  # legacy release listed verbatim
    assert not is_affected(PYPI, affected, "1.0.1")


def test_semver_ranges_use_semver_precedence() -> None:
    affected = entry(("introduced", "0.0.0-0"), ("fixed", "1.0.0-beta.11"), kind="SEMVER")
    assert is_affected(CRATES, affected, "1.0.0-beta.2")  # numeric identifiers compare as numbers
    assert not is_affected(CRATES, affected, "1.0.0-rc.1")
    dated = entry(("introduced", "2020.12.23"), ("fixed", "2023.03.13"), kind="SEMVER")
    assert is_affected(BITNAMI, dated, "2021.1.5")
    assert not is_affected(BITNAMI, dated, "2023.03.13")


def test_git_ranges_do_not_answer_version_queries() -> None:
    affected = Affected.model_validate(
        {"ranges": [{"type": "GIT", "repo": "https://x", "events": [{"introduced": "0"}]}]}
    )
    assert not is_affected(PYPI, affected, "1.0")


def test_invalid_query_version_in_a_strict_ecosystem_is_an_error() -> None:
    with pytest.raises(InvalidVersion) as info:
        is_affected(CRATES, entry(("introduced", "0"), kind="SEMVER"), "latest")
    assert info.value.code == "invalid_version"


def test_unreadable_record_events_are_reported_not_raised() -> None:
    compiled = compile_affected(
        BITNAMI, entry(("introduced", "nightly.2026-03-10.0"), ("fixed", "4.6.0"), kind="SEMVER")
    )
    assert compiled.problems == ("ranges[0]: introduced 'nightly.2026-03-10.0' is not a version of this ordering",)
    assert not compiled.matches("4.5.0")


def test_compiled_entry_answers_like_the_one_shot_function() -> None:
    affected = entry(("introduced", "2.0"), ("fixed", "2.4.1"), versions=["1.9"])
    compiled = compile_affected(PYPI, affected)
    for version in ["1.8", "1.9", "2.0", "2.4.0", "2.4.1", "3.0"]:
        assert compiled.matches(version) is is_affected(PYPI, affected, version)


FIX = "6c939cb6f6dfbd273609577b0022542d31ae2802"
INTRO = "99b5afab74428e5ddfd877bdf3aa8a8c479696b1"
GIT = Affected.model_validate(
    {
        "ranges": [
            {
                "type": "GIT",
                "repo": "https://github.com/python/cpython",
                "events": [{"introduced": INTRO}, {"fixed": FIX}],
            }
        ]
    }
)


@pytest.mark.parametrize(
    ("commit", "expected"),
    [(INTRO, True), (INTRO[:7].upper(), True), (FIX, False), (FIX[:12], False), ("0123456789abcdef", False)],
)
def test_commit_affected_decides_only_what_the_events_say(commit: str, expected: bool) -> None:
    assert commit_affected(GIT, commit) is expected


@pytest.mark.parametrize("commit", ["abc", "not-a-commit", "g" * 40])
def test_commit_must_look_like_a_hash(commit: str) -> None:
    with pytest.raises(InvalidCommit):
        commit_affected(GIT, commit)
