"""OSV ecosystems: parsing their names, normalizing package names, mapping Package URLs to them.

The list of known ecosystems is the OSV schema's ``ecosystems.json`` (osv-schema repository), embedded
here so nothing is read at run time; refresh ``KNOWN_ECOSYSTEMS`` when the schema adds one. ``GIT`` is
added because the OSV API (osv.dev) uses it for packages identified only by a repository.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from packageurl import PackageURL
from packageurl import normalize as normalize_purl_parts

from bastion.advisories.errors import InvalidPurl, UnknownEcosystem

ECOSYSTEMS_SOURCE = "osv-schema ecosystems.json (https://ossf.github.io/osv-schema/#defined-ecosystems)"

KNOWN_ECOSYSTEMS: tuple[str, ...] = (
    "AlmaLinux", "Alpaquita", "Alpine", "Android", "Azure Linux", "BellSoft Hardened Containers",
    "Bioconductor", "Bitnami", "Chainguard", "CleanStart", "ConanCenter", "CRAN", "crates.io", "Debian",
    "Docker Hardened Images", "Echo", "FreeBSD", "GHC", "GitHub Actions", "Go", "Hackage", "Hex", "Julia",
    "Kubernetes", "Linux", "Mageia", "Maven", "MinimOS", "npm", "NuGet", "opam", "openEuler", "openSUSE",
    "OSS-Fuzz", "Packagist", "Photon OS", "Pub", "PyPI", "Red Hat", "Rocky Linux", "Root", "RubyGems",
    "SUSE", "SwiftURL", "TuxCare", "Ubuntu", "VSCode", "Wolfi",
    "GIT",
)  # fmt: skip
_BY_FOLDED = {name.casefold(): name for name in KNOWN_ECOSYSTEMS}


@dataclass(frozen=True, slots=True)
class Ecosystem:
    """An OSV ecosystem: canonical ``name`` plus the optional ``:suffix`` (release, repository URL...)."""

    name: str
    release: str | None = None

    def __post_init__(self) -> None:
        if self.name not in KNOWN_ECOSYSTEMS:
            raise _unknown(self.name)
        if self.release == "":
            raise UnknownEcosystem(
                f"ecosystem {self.name!r} has an empty release suffix",
                hint=f"write {self.name!r} alone, or {self.name}:<release>",
            )

    def __str__(self) -> str:
        return self.name if self.release is None else f"{self.name}:{self.release}"


@lru_cache(maxsize=256)
def _ecosystem(name: str) -> Ecosystem:
    return Ecosystem(name)


@lru_cache(maxsize=1024)
def parse_ecosystem(value: str) -> Ecosystem:
    """Parse an OSV ecosystem string case-insensitively: ``"pypi"`` -> PyPI, ``"Debian:11"``. (Remembered per
    string: an SBOM asks for the same few thousands of times; the answer is immutable.)"""
    text = value.strip()
    name, sep, release = text.partition(":")
    canonical = _BY_FOLDED.get(name.strip().casefold())
    if canonical is None:
        raise _unknown(name.strip() or value)
    return Ecosystem(canonical, release.strip() if sep else None)


def _unknown(name: str) -> UnknownEcosystem:
    close = difflib.get_close_matches(name.casefold(), list(_BY_FOLDED), n=3, cutoff=0.5)
    suggestions = ", ".join(_BY_FOLDED[c] for c in close)
    hint = f"did you mean {suggestions}? " if close else ""
    return UnknownEcosystem(
        f"unknown ecosystem {name!r}",
        hint=f"{hint}known ecosystems are listed in {ECOSYSTEMS_SOURCE}",
        details={"ecosystem": name, "close_matches": [_BY_FOLDED[c] for c in close]},
    )


_PEP503_RUN = re.compile(r"[-_.]+")
# Registries that treat names case-insensitively (one package per folded name).
_CASE_INSENSITIVE = frozenset({"NuGet", "Packagist", "Debian", "Ubuntu", "GitHub Actions", "Pub", "Hex"})


def normalize_package_name(ecosystem: Ecosystem, name: str) -> str:
    """The name as the ecosystem compares names, so equal packages get equal strings.

    - PyPI: PEP 503 (lowercase; runs of ``-``, ``_``, ``.`` become one ``-``).
    - crates.io: lowercase and ``_`` == ``-`` (crates.io refuses a crate whose name differs from an
      existing one only by case or by ``-``/``_``).
    - NuGet, Packagist, Debian/Ubuntu source packages, GitHub Actions, Pub, Hex: lowercase (their IDs
      are case-insensitive or lowercase by policy).
    - npm (legacy mixed-case names exist), Go module paths, Maven ``groupId:artifactId``, RubyGems,
      Hackage, Alpine and the rest: case-sensitive, only surrounding whitespace is removed.
    """
    text = name.strip()
    if ecosystem.name == "PyPI":
        return _PEP503_RUN.sub("-", text).lower()
    if ecosystem.name == "crates.io":
        return text.lower().replace("_", "-")
    if ecosystem.name in _CASE_INSENSITIVE:
        return text.lower()
    return text


_PURL_TYPES: dict[str, str] = {
    "pypi": "PyPI", "cargo": "crates.io", "npm": "npm", "golang": "Go", "maven": "Maven",
    "gem": "RubyGems", "nuget": "NuGet", "composer": "Packagist", "deb": "Debian", "apk": "Alpine",
    "hackage": "Hackage", "bitnami": "Bitnami", "pub": "Pub", "hex": "Hex", "swift": "SwiftURL",
    "cran": "CRAN", "conan": "ConanCenter", "julia": "Julia", "opam": "opam",
    "githubactions": "GitHub Actions",
}  # fmt: skip
# Namespaces of distribution purls that name a different OSV ecosystem than the type's default.
_PURL_DISTROS: dict[tuple[str, str], str] = {
    ("deb", "ubuntu"): "Ubuntu", ("apk", "wolfi"): "Wolfi", ("apk", "chainguard"): "Chainguard",
    ("rpm", "redhat"): "Red Hat", ("rpm", "almalinux"): "AlmaLinux", ("rpm", "rocky-linux"): "Rocky Linux",
    ("rpm", "opensuse"): "openSUSE", ("rpm", "suse"): "SUSE", ("rpm", "mageia"): "Mageia",
    ("rpm", "openeuler"): "openEuler", ("rpm", "photon"): "Photon OS", ("rpm", "azurelinux"): "Azure Linux",
}  # fmt: skip


def purl_type_to_ecosystem(purl_type: str) -> str | None:
    """The OSV ecosystem of a purl type (``"cargo"`` -> ``"crates.io"``), or None (``github``, ``generic``).

    ``deb`` maps to Debian and ``apk`` to Alpine; the namespace decides the distribution, see
    :func:`package_from_purl`.
    """
    return _PURL_TYPES.get(purl_type.lower())


@dataclass(frozen=True, slots=True)
class PurlPackage:
    """What a Package URL names in OSV terms."""

    ecosystem: Ecosystem
    name: str
    version: str | None


def package_from_purl(purl: str) -> PurlPackage:
    """Parse a purl into the OSV ecosystem, the OSV package name and the version (if any).

    Names follow OSV: Maven ``group:artifact``, Go ``namespace/name``, npm ``@scope/name``, Packagist
    ``vendor/name``; distributions pick Debian/Ubuntu (and the like) from the namespace. The answer (immutable)
    is remembered per purl: parsing is most of the cost of scanning an SBOM again; an invalid purl is not.
    """
    return _package_from_purl(purl)


# A purl of the everyday shape: a type, path segments and a version of plain characters (nothing percent-encoded),
# no qualifiers and no subpath. Splitting one is trivial; packageurl's own split (through urllib) is most of the
# cost of reading a 5,000-component SBOM, so these are split here and normalised by packageurl's ``normalize``,
# exactly as ``PackageURL.from_string`` would (tests/unit/advisories/test_purl_parsing.py compares the two over
# every package and version of the real data). Any other purl goes through ``from_string`` itself.
_PLAIN_PURL = re.compile(r"pkg:([A-Za-z][A-Za-z0-9._-]*)/([A-Za-z0-9._~-]+(?:/[A-Za-z0-9._~-]+)*)@([A-Za-z0-9._~+!-]+)")


def purl_parts(purl: str) -> tuple[str, str, str, str | None]:
    """(type, namespace, name, version) of a purl, normalised as packageurl does; raises ValueError if invalid."""
    plain = _PLAIN_PURL.fullmatch(purl)
    if plain is None:
        parsed: Any = PackageURL.from_string(purl)
        return str(parsed.type), str(parsed.namespace or ""), str(parsed.name), parsed.version
    purl_type, path, version = plain.groups()
    namespace, _, name = path.rpartition("/")
    normal = normalize_purl_parts(purl_type.lower(), namespace, name, version, "", "", encode=False)
    return str(normal[0]), str(normal[1] or ""), str(normal[2]), normal[3]


@lru_cache(maxsize=65536)
def _package_from_purl(purl: str) -> PurlPackage:
    try:
        purl_type, namespace, name, version = purl_parts(purl.strip())
    except ValueError as e:
        raise InvalidPurl(
            f"invalid package URL {purl!r}: {e}",
            hint="write it as pkg:<type>/<namespace>/<name>@<version>, e.g. pkg:pypi/jinja2@3.1.2",
        ) from e
    purl_type = purl_type.lower()
    eco_name = _PURL_DISTROS.get((purl_type, namespace.lower())) or purl_type_to_ecosystem(purl_type)
    if eco_name is None:
        raise InvalidPurl(
            f"package URL type {purl_type!r} has no OSV ecosystem",
            hint="supported types: " + ", ".join(sorted(_PURL_TYPES)),
            details={"purl_type": purl_type},
        )
    if namespace and eco_name == "Maven":
        name = f"{namespace}:{name}"
    elif namespace and eco_name in {"Go", "npm", "Packagist", "SwiftURL", "GitHub Actions"}:
        name = f"{namespace}/{name}"
    return PurlPackage(_ecosystem(eco_name), name, version or None)
