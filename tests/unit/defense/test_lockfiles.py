"""Lockfiles read directly: each format's pinned packages come out as purls; broken files are refused whole."""

from __future__ import annotations

import json

import pytest

from bastion.defense.errors import InvalidInventory, UnknownFormat
from bastion.defense.inventory import package_of, read_inventory

POETRY = """
[[package]]
name = "Jinja2"
version = "2.10"
description = "A small but fast and easy to use stand-alone template engine"
optional = false
python-versions = "*"

[[package]]
name = "requests"
version = "2.19.1"
description = "Python HTTP for Humans."

[metadata]
lock-version = "2.0"
python-versions = "^3.11"
content-hash = "0"
"""
UV = """
version = 1
requires-python = ">=3.11"

[[package]]
name = "demo"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "urllib3"
version = "1.24.1"
source = { registry = "https://pypi.org/simple" }
"""
PIPFILE = {
    "_meta": {"hash": {"sha256": "0"}, "pipfile-spec": 6},
    "default": {"requests": {"hashes": [], "version": "==2.19.1"}, "local": {"path": "."}},
    "develop": {"pytest": {"version": "==7.0.0"}},
}
PACKAGE_LOCK = {
    "name": "web",
    "lockfileVersion": 3,
    "packages": {
        "": {"name": "web", "version": "1.0.0"},
        "node_modules/lodash": {"version": "4.17.15"},
        "node_modules/@babel/traverse": {"version": "7.22.0"},
        "node_modules/local": {"link": True, "resolved": "../local"},
    },
}
CARGO = """
version = 3

[[package]]
name = "app"
version = "0.1.0"

[[package]]
name = "smallvec"
version = "1.6.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"""
GO_MOD = """module example.com/app

go 1.21

require (
\tgithub.com/gin-gonic/gin v1.9.0
\tgolang.org/x/net v0.7.0 // indirect
)

require github.com/gorilla/websocket v1.4.0
"""
GO_SUM = """github.com/gin-gonic/gin v1.9.0 h1:abc=
github.com/gin-gonic/gin v1.9.0/go.mod h1:def=
"""
COMPOSER = {"packages": [{"name": "symfony/http-kernel", "version": "v5.4.0"}], "packages-dev": []}
GEMFILE = """GEM
  remote: https://rubygems.org/
  specs:
    nokogiri (1.13.0-x86_64-linux)
      racc (~> 1.4)
    rack (2.2.3)

PLATFORMS
  x86_64-linux

DEPENDENCIES
  rack
"""


@pytest.mark.parametrize(
    ("filename", "content", "expected"),
    [
        ("poetry.lock", POETRY, ["pkg:pypi/jinja2@2.10", "pkg:pypi/requests@2.19.1"]),
        ("uv.lock", UV, ["pkg:pypi/urllib3@1.24.1"]),
        ("Pipfile.lock", json.dumps(PIPFILE), ["pkg:pypi/requests@2.19.1", "pkg:pypi/pytest@7.0.0"]),
        (
            "package-lock.json",
            json.dumps(PACKAGE_LOCK),
            ["pkg:npm/lodash@4.17.15", "pkg:npm/%40babel/traverse@7.22.0"],
        ),
        ("Cargo.lock", CARGO, ["pkg:cargo/smallvec@1.6.0"]),
        (
            "go.mod",
            GO_MOD,
            [
                "pkg:golang/github.com/gin-gonic/gin@1.9.0",
                "pkg:golang/golang.org/x/net@0.7.0",
                "pkg:golang/github.com/gorilla/websocket@1.4.0",
            ],
        ),
        ("go.sum", GO_SUM, ["pkg:golang/github.com/gin-gonic/gin@1.9.0"]),
        ("composer.lock", json.dumps(COMPOSER), ["pkg:composer/symfony/http-kernel@v5.4.0"]),
        ("Gemfile.lock", GEMFILE, ["pkg:gem/nokogiri@1.13.0", "pkg:gem/rack@2.2.3"]),
        ("requirements.txt", "Jinja2==2.10 \\\n    --hash=sha256:00\n# c\n-r base.txt\n", ["pkg:purl/jinja2@2.10"]),
    ],
)
def test_each_lockfile_gives_its_pinned_packages(filename: str, content: str, expected: list[str]) -> None:
    inventory = read_inventory(content.encode(), filename)
    assert inventory.format == filename
    purls = [c.purl for c in inventory.components]
    expected = [p.replace("pkg:purl/", "pkg:pypi/") for p in expected]
    assert purls == expected
    assert all(package_of(c) is not None for c in inventory.components)


def test_packages_are_read_as_v1_reads_purls() -> None:
    npm = read_inventory(json.dumps(PACKAGE_LOCK).encode(), "package-lock.json").components[1]
    package = package_of(npm)
    assert package is not None and (package.ecosystem, package.name) == ("npm", "@babel/traverse")
    jinja = package_of(read_inventory(POETRY.encode(), "poetry.lock").components[0])
    assert jinja is not None and jinja.key == ("PyPI", "jinja2")


@pytest.mark.parametrize(
    ("filename", "content", "says"),
    [
        ("requirements.txt", "requests>=2\n", "not pinned"),
        ("requirements.txt", "requests==2.0\nthis is not a requirement!\n", "line 2"),
        ("poetry.lock", "[[package]\nname=", "not valid TOML"),
        ("go.sum", "github.com/x v1 broken\n", "line 1"),
        ("composer.lock", json.dumps({"packages": [{"name": "nameonly"}]}), "packages[0]"),
        ("package-lock.json", "{", "not valid JSON"),
    ],
)
def test_a_broken_lockfile_is_refused_whole(filename: str, content: str, says: str) -> None:
    with pytest.raises(InvalidInventory) as raised:
        read_inventory(content.encode(), filename)
    assert says in raised.value.message and raised.value.hint


def test_an_unknown_format_says_what_is_accepted() -> None:
    with pytest.raises(UnknownFormat) as raised:
        read_inventory(b"hello", "notes.md")
    assert "poetry.lock" in (raised.value.hint or "") and "cyclonedx-json" in raised.value.details["accepted"]
    with pytest.raises(InvalidInventory):
        read_inventory(b"\xff\xfe\x00", "bom.json")


def test_an_unknown_forced_format_is_named_as_such() -> None:
    """``--format json`` (meaning the report's format) must not read as "this file is not an SBOM"."""
    bom = b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": []}'
    with pytest.raises(UnknownFormat) as raised:
        read_inventory(bom, "bom.json", "json")
    assert raised.value.message == "unknown input format 'json'"
    assert "cyclonedx-json" in (raised.value.hint or "") and "detected" in (raised.value.hint or "")
    assert read_inventory(bom, "bom.json", "cyclonedx-json").components == ()
