"""``purl_parts`` splits everyday purls itself (for speed) and must read every purl exactly as packageurl's
``PackageURL.from_string`` does: the type, namespace, name and version it gives decide which advisories a
component is matched against, so a difference would be a wrong "not affected".

Checked over a purl for every package and version the real data holds (as ``PackageURL.to_string`` writes them,
and respelled: upper case, underscores, dots), and over arbitrary strings of purl characters (Hypothesis).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packageurl import PackageURL

from bastion.advisories.ecosystems import _PLAIN_PURL, purl_parts
from tests.unit.advisories.real_records import entry_versions, real_records

PURL_TYPES = {"PyPI": "pypi", "npm": "npm", "crates.io": "cargo", "Go": "golang", "Maven": "maven",
              "RubyGems": "gem", "Packagist": "composer", "NuGet": "nuget", "Hackage": "hackage",
              "Bitnami": "bitnami", "Pub": "pub", "Hex": "hex", "Debian": "deb", "Alpine": "apk"}  # fmt: skip


def _library(purl: str) -> tuple[str, str, str, str | None] | str:
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return "invalid"
    return str(parsed.type), str(parsed.namespace or ""), str(parsed.name), parsed.version


def _ours(purl: str) -> tuple[str, str, str, str | None] | str:
    try:
        return purl_parts(purl)
    except ValueError:
        return "invalid"


def _real_packages(shared: Path) -> set[tuple[str, str, str]]:
    found: set[tuple[str, str, str]] = set()
    for record in real_records(shared / "osv"):
        for entry in record.get("affected") or []:
            package = entry.get("package") or {}
            ecosystem, name = str(package.get("ecosystem", "")).split(":")[0], package.get("name")
            if ecosystem in PURL_TYPES and name:
                found.update((ecosystem, str(name), v) for v in entry_versions(entry))
    return found


def _spellings(ecosystem: str, name: str, version: str) -> list[str]:
    kind = PURL_TYPES[ecosystem]
    namespace = None
    if ecosystem == "Maven" and ":" in name:
        namespace, name = name.split(":", 1)
    elif "/" in name:
        namespace, name = name.rsplit("/", 1)
    written = PackageURL(type=kind, namespace=namespace, name=name, version=version).to_string()
    prefix = f"pkg:{kind}/" + (f"{namespace}/" if namespace else "")
    return [
        written,
        prefix + f"{name.upper()}@{version}",
        prefix + f"{name.replace('-', '_')}@{version}",
        prefix + f"{name.replace('-', '.')}@{version}",
        f"pkg:{kind.upper()}/" + (f"{namespace}/" if namespace else "") + f"{name}@{version}",
    ]


@pytest.fixture(scope="module")
def real_purls(shared_data: Path) -> list[str]:
    return sorted({p for package in _real_packages(shared_data) for p in _spellings(*package)})


def test_every_purl_of_the_real_data_reads_as_packageurl_reads_it(real_purls: list[str]) -> None:
    plain = [p for p in real_purls if _PLAIN_PURL.fullmatch(p)]
    assert len(real_purls) > 100_000
    assert len(plain) > 0.8 * len(real_purls)  # the fast split is what is being checked
    wrong = [(p, _ours(p), _library(p)) for p in real_purls if _ours(p) != _library(p)]
    assert wrong == []


ALPHABET = "abcAB_-.~+!%@/:?#=&019 "


@settings(max_examples=3000, deadline=None)
@given(
    kind=st.sampled_from(["pypi", "PyPI", "npm", "maven", "golang", "cargo", "gem", "composer", "nuget", "deb", "apk",
                          "github", "generic", "hackage", "x.y-z", "9x"]),
    path=st.text(alphabet=ALPHABET, min_size=1, max_size=24),
    version=st.text(alphabet=ALPHABET, max_size=12),
)  # fmt: skip
def test_arbitrary_purls_read_as_packageurl_reads_them(kind: str, path: str, version: str) -> None:
    purl = f"pkg:{kind}/{path}@{version}"
    assert _ours(purl) == _library(purl)
