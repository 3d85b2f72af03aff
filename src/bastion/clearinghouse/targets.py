"""Fetching a target by purl, outside the sandbox (the clearinghouse's network, never the sandbox's).

A purl target names one distribution of a PyPI package: ``pkg:pypi/NAME@VERSION``, optionally pinned to its
bytes with the purl ``checksum`` qualifier (``?checksum=sha256:HEX``, several comma-separated, as the purl
specification writes them). It is fetched with pip (``pip download --no-deps``) from the configured index: a
URL (``https://pypi.org/simple``) or a local directory of distributions. What reaches the sandbox is checked
first: the file pip chose must be a distribution of that very name and version, and its digest must be the
purl's checksum when the purl gives one. Other package types are not fetched: their reports carry the target as
an upload.

``target_purl`` is pure (intake refuses a malformed purl target at once, as a 400); ``fetch_purl`` does the
fetch and raises ``TargetUnavailable`` with what went wrong, which the validation keeps as its reason.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packageurl import PackageURL
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from bastion.clearinghouse.errors import InvalidReport, TargetUnavailable, invalid
from bastion.clearinghouse.schemas import TargetIn, TargetKind

FETCH_SECONDS = 300
_HEX = re.compile(r"^[0-9a-f]+$")
_DIGEST_SIZES = {"sha256": 64, "sha384": 96, "sha512": 128}  # hex digits of each accepted algorithm


@dataclass(frozen=True, slots=True)
class TargetPurl:
    """A purl target, parsed: the package, its exact version, and the digests its file must have."""

    purl: str
    name: str  # as the purl specification normalises it (PyPI: lowercase, "-")
    version: str
    checksums: tuple[tuple[str, str], ...] = ()  # (algorithm, lowercase hex), in the purl's order


def target_purl(purl: str, field: str = "target.purl") -> TargetPurl:
    """Parse a purl target; a 400 (``InvalidReport``) naming what is wrong and how to write it."""
    example = "pkg:pypi/NAME@VERSION (optionally ?checksum=sha256:HEX), e.g. pkg:pypi/jinja2@3.1.4"
    try:
        parsed: Any = PackageURL.from_string(purl.strip())
    except ValueError as e:
        raise invalid(
            f"the target's purl {purl!r} is not a package URL: {e}", hint=f"write it as {example}", field=field
        ) from e
    if str(parsed.type).lower() != "pypi":
        raise invalid(
            f"the target's purl {purl!r} is a {parsed.type} package: only PyPI packages are fetched",
            hint="upload the target as an archive or files instead",
            field=field,
        )
    if not parsed.version:
        raise invalid(f"the target's purl {purl!r} names no version", hint=f"write it as {example}", field=field)
    try:
        Version(str(parsed.version))
    except InvalidVersion as e:
        raise invalid(
            f"the target's purl {purl!r} has version {parsed.version!r}, which is not a PyPI version",
            hint="use the version as PyPI lists it, e.g. 1.2.3",
            field=field,
        ) from e
    qualifiers = dict(parsed.qualifiers or {})
    return TargetPurl(
        purl, str(parsed.name), str(parsed.version), _checksums(purl, str(qualifiers.get("checksum", "")), field)
    )


def check_purl_targets(package_index: str | None, **targets: TargetIn | None) -> None:
    """Targets named by purl are well formed, and this clearinghouse can fetch them (a 400 otherwise); ``targets``
    by the field that carries them (``target=``, ``fixed_target=``)."""
    for field_name, target in targets.items():
        if target is None or target.kind is not TargetKind.PURL or target.purl is None:
            continue
        target_purl(target.purl, field=f"{field_name}.purl")
        if package_index is None:
            raise invalid(
                f"this clearinghouse fetches no packages, so {field_name} {target.purl} cannot be used",
                hint="upload the target as an archive or files (or ask the operators to set "
                "BASTION_CLEARINGHOUSE_PACKAGE_INDEX)",
                field=f"{field_name}.purl",
            )


def _checksums(purl: str, value: str, field: str) -> tuple[tuple[str, str], ...]:
    found = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        algorithm, _, digest = item.partition(":")
        algorithm, digest = algorithm.lower(), digest.lower()
        size = _DIGEST_SIZES.get(algorithm)
        if size is None or len(digest) != size or not _HEX.match(digest):
            raise invalid(
                f"the target's purl {purl!r} has checksum {item!r}, which is not ALGORITHM:HEX",
                hint="write e.g. ?checksum=sha256:<64 hex digits> (sha256, sha384 or sha512)",
                field=field,
            )
        found.append((algorithm, digest))
    return tuple(found)


def fetch_purl(purl: str, index: str) -> tuple[str, bytes]:
    """The distribution file ``purl`` names (``pkg:pypi/name@version``): its file name and bytes, checked."""
    try:
        target = target_purl(purl)
    except InvalidReport as e:
        raise TargetUnavailable(f"cannot fetch {purl}: {e.message}", hint=e.hint) from e
    source = ["--no-index", "--find-links", index] if Path(index).is_dir() else ["--index-url", index]
    with tempfile.TemporaryDirectory(prefix="bastion-fetch-") as tmp:
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check",
            "--no-cache-dir", "--dest", tmp, *source, f"{target.name}=={target.version}",
        ]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=FETCH_SECONDS, check=False)  # noqa: S603 - fixed argv
        except subprocess.TimeoutExpired as e:
            raise TargetUnavailable(f"fetching {purl} took longer than {FETCH_SECONDS} s") from e
        files = sorted(Path(tmp).iterdir())
        if done.returncode != 0 or not files:
            raise TargetUnavailable(
                f"cannot fetch {purl} from {index}: {done.stderr.strip()[-500:] or 'no file'}",
                hint="check the package index setting (BASTION_CLEARINGHOUSE_PACKAGE_INDEX), the name and the version",
            )
        name, content = files[0].name, files[0].read_bytes()
    check_fetched(target, name, content)
    return name, content


def check_fetched(target: TargetPurl, file_name: str, content: bytes) -> None:
    """The fetched file is a distribution of the purl's package and version, with the purl's digests."""
    try:
        if file_name.endswith(".whl"):
            name, version, *_ = parse_wheel_filename(file_name)
        else:
            name, version = parse_sdist_filename(file_name)
    except (InvalidWheelFilename, InvalidSdistFilename) as e:
        raise TargetUnavailable(f"the index gave {file_name!r} for {target.purl}, which is no distribution") from e
    if name != canonicalize_name(target.name) or version != Version(target.version):
        raise TargetUnavailable(
            f"the index gave {file_name} ({name} {version}) for {target.purl}",
            hint="the index serves another package under that name; check the index",
        )
    for algorithm, expected in target.checksums:
        actual = hashlib.new(algorithm, content).hexdigest()
        if actual != expected:
            raise TargetUnavailable(
                f"{file_name} fetched for {target.purl} has {algorithm} {actual}, not the purl's checksum {expected}",
                hint="the index serves other bytes than the purl pins: check the checksum and the index",
                details={"file": file_name, "algorithm": algorithm, "expected": expected, "actual": actual},
            )
