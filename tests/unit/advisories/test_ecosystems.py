"""Ecosystem names, package-name normalization and Package URLs."""

from __future__ import annotations

import pytest

from bastion.advisories.ecosystems import (
    Ecosystem,
    normalize_package_name,
    package_from_purl,
    parse_ecosystem,
    purl_type_to_ecosystem,
)
from bastion.advisories.errors import InvalidPurl, UnknownEcosystem


@pytest.mark.parametrize(
    ("text", "name", "release"),
    [
        ("pypi", "PyPI", None),
        ("Crates.io", "crates.io", None),
        ("Debian:11", "Debian", "11"),
        ("ubuntu:22.04:LTS", "Ubuntu", "22.04:LTS"),
        ("Alpine:v3.16", "Alpine", "v3.16"),
        ("bitnami", "Bitnami", None),
        ("HACKAGE", "Hackage", None),
        ("GHC", "GHC", None),
        ("git", "GIT", None),
        ("red hat", "Red Hat", None),
        ("Maven:https://maven.google.com", "Maven", "https://maven.google.com"),
    ],
)
def test_parse_ecosystem_accepts_osv_spellings(text: str, name: str, release: str | None) -> None:
    eco = parse_ecosystem(text)
    assert (eco.name, eco.release) == (name, release)
    assert str(eco) == (name if release is None else f"{name}:{release}")


def test_unknown_ecosystem_suggests_close_matches() -> None:
    with pytest.raises(UnknownEcosystem) as info:
        parse_ecosystem("pipy")
    assert info.value.code == "unknown_ecosystem"
    assert "PyPI" in info.value.details["close_matches"]
    assert "ecosystems.json" in (info.value.hint or "")


@pytest.mark.parametrize("text", ["", "Debian:", "cargo", "Alpine Linux"])
def test_non_ecosystems_are_rejected(text: str) -> None:
    with pytest.raises(UnknownEcosystem):
        parse_ecosystem(text)


def test_ecosystem_is_frozen_and_validated() -> None:
    with pytest.raises(UnknownEcosystem):
        Ecosystem("pypi")  # the constructor takes canonical names only; parse_ecosystem folds case
    assert Ecosystem("Debian", "12") == parse_ecosystem("debian:12")


@pytest.mark.parametrize(
    ("ecosystem", "name", "normalized"),
    [
        ("PyPI", "Django_REST.framework", "django-rest-framework"),
        ("PyPI", "zope..interface", "zope-interface"),
        ("crates.io", "Serde_JSON", "serde-json"),
        ("NuGet", "Newtonsoft.Json", "newtonsoft.json"),
        ("Packagist", "Symfony/HTTP-Kernel", "symfony/http-kernel"),
        ("npm", "JSONStream", "JSONStream"),
        ("Go", "github.com/BurntSushi/toml", "github.com/BurntSushi/toml"),
        ("Maven", "org.apache.logging.log4j:log4j-core", "org.apache.logging.log4j:log4j-core"),
        ("RubyGems", " RedCloth ", "RedCloth"),
    ],
)
def test_package_names_are_normalized_as_each_ecosystem_compares_them(
    ecosystem: str, name: str, normalized: str
) -> None:
    assert normalize_package_name(parse_ecosystem(ecosystem), name) == normalized


@pytest.mark.parametrize(
    ("purl_type", "ecosystem"),
    [
        ("pypi", "PyPI"),
        ("cargo", "crates.io"),
        ("golang", "Go"),
        ("gem", "RubyGems"),
        ("composer", "Packagist"),
        ("deb", "Debian"),
        ("apk", "Alpine"),
        ("swift", "SwiftURL"),
        ("github", None),
        ("generic", None),
    ],
)
def test_purl_types_map_to_osv_ecosystems(purl_type: str, ecosystem: str | None) -> None:
    assert purl_type_to_ecosystem(purl_type) == ecosystem


@pytest.mark.parametrize(
    ("purl", "ecosystem", "name", "version"),
    [
        (
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
        ),
        ("pkg:golang/github.com/gin-gonic/gin@v1.9.0", "Go", "github.com/gin-gonic/gin", "v1.9.0"),
        ("pkg:npm/%40angular/core@16.0.0", "npm", "@angular/core", "16.0.0"),
        ("pkg:composer/symfony/http-kernel", "Packagist", "symfony/http-kernel", None),
        ("pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.10", "Ubuntu", "openssl", "3.0.2-0ubuntu1.10"),
        ("pkg:deb/debian/curl@7.88.1-10", "Debian", "curl", "7.88.1-10"),
        ("pkg:pypi/Jinja2@3.1.2", "PyPI", "jinja2", "3.1.2"),
    ],
)
def test_package_from_purl(purl: str, ecosystem: str, name: str, version: str | None) -> None:
    package = package_from_purl(purl)
    assert (package.ecosystem.name, package.name, package.version) == (ecosystem, name, version)


@pytest.mark.parametrize("purl", ["not a purl", "pkg:github/owner/repo@1.0", "pkg:/name"])
def test_bad_purls_say_what_is_wrong(purl: str) -> None:
    with pytest.raises(InvalidPurl) as info:
        package_from_purl(purl)
    assert info.value.code == "invalid_purl"
    assert info.value.hint
