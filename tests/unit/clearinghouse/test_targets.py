"""Purl targets, parsed and checked without the network: what intake refuses, and what a fetched file must be."""

from __future__ import annotations

import hashlib

import pytest

from bastion.clearinghouse.errors import InvalidReport, TargetUnavailable
from bastion.clearinghouse.targets import check_fetched, target_purl


def test_a_purl_target_names_a_pypi_package_version_and_optional_checksums() -> None:
    sha256, sha512 = "a" * 64, "B" * 128
    target = target_purl(f"pkg:pypi/Rec_Parse@1.0.0?checksum=sha256:{sha256},sha512:{sha512}")
    assert (target.name, target.version) == ("rec-parse", "1.0.0")  # PyPI names as the purl spec normalises them
    assert target.checksums == (("sha256", sha256), ("sha512", sha512.lower()))
    assert target_purl("pkg:pypi/recparse@1.0.0").checksums == ()


@pytest.mark.parametrize(
    ("purl", "words"),
    [
        ("not a purl", "is not a package URL"),
        ("pkg:npm/left-pad@1.3.0", "only PyPI packages are fetched"),
        ("pkg:pypi/recparse", "names no version"),
        ("pkg:pypi/recparse@one", "not a PyPI version"),
        ("pkg:pypi/recparse@1.0?checksum=sha1:" + "a" * 40, "not ALGORITHM:HEX"),  # too weak to pin bytes
        ("pkg:pypi/recparse@1.0?checksum=sha256:xyz", "not ALGORITHM:HEX"),
    ],
)
def test_a_purl_target_that_cannot_be_fetched_is_a_400_naming_the_field(purl: str, words: str) -> None:
    with pytest.raises(InvalidReport, match=words) as caught:
        target_purl(purl, field="fixed_target.purl")
    assert caught.value.hint
    if purl != "not a purl":
        assert caught.value.details["field"] == "fixed_target.purl"


def test_the_fetched_file_must_be_the_named_distribution_with_the_pinned_bytes() -> None:
    content = b"wheel bytes"
    digest = hashlib.sha256(content).hexdigest()
    target = target_purl(f"pkg:pypi/rec-parse@1.0.0?checksum=sha256:{digest}")
    check_fetched(target, "rec_parse-1.0.0-py3-none-any.whl", content)  # names are compared normalised
    check_fetched(target, "rec-parse-1.0.0.tar.gz", content)
    refusals = {
        "evil-1.0.0-py3-none-any.whl": "the index gave evil-1.0.0-py3-none-any.whl (evil 1.0.0)",
        "rec_parse-1.0.1-py3-none-any.whl": "(rec-parse 1.0.1) for pkg:pypi/rec-parse@1.0.0",
        "setup.py": "which is no distribution",
    }
    for name, words in refusals.items():
        with pytest.raises(TargetUnavailable) as caught:
            check_fetched(target, name, content)
        assert words in caught.value.message
    with pytest.raises(TargetUnavailable, match=f"has sha256 {hashlib.sha256(b'other').hexdigest()}"):
        check_fetched(target, "rec_parse-1.0.0-py3-none-any.whl", b"other")
