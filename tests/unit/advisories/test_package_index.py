"""The package index must give exactly the answers of the full matcher, whatever it remembered before."""

from __future__ import annotations

import json
import random
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from bastion.advisories.ecosystems import Ecosystem, normalize_package_name, parse_ecosystem
from bastion.advisories.errors import InvalidVersion
from bastion.advisories.matching import compile_affected
from bastion.advisories.package_index import IndexedEntry, PackageIndex
from bastion.advisories.record import Affected


def _entries(zip_path: Path) -> dict[tuple[str, str], list[tuple[str, dict[str, Any]]]]:
    by_package: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    with zipfile.ZipFile(zip_path) as archive:
        for name in archive.namelist():
            if not name.endswith(".json"):
                continue
            record = json.loads(archive.read(name))
            for entry in record.get("affected") or []:
                if "package" not in entry:
                    continue
                ecosystem = parse_ecosystem(entry["package"]["ecosystem"])
                key = (ecosystem.name, normalize_package_name(ecosystem, entry["package"]["name"]))
                by_package[key].append((record["id"], entry))
    return by_package


def _candidate_versions(entries: list[tuple[str, dict[str, Any]]], rng: random.Random) -> list[str]:
    versions: set[str] = set()
    for _, entry in entries:
        versions.update(entry.get("versions") or [])
        for rng_ in entry.get("ranges") or []:
            for event in rng_["events"]:
                value = next(iter(event.values()))
                if value != "0":
                    versions.add(value)
    probes = set(versions)
    for version in versions:  # neighbours: just after, a pre-release of, a longer form of each boundary
        probes |= {f"{version}.1", f"{version}-rc.1", f"{version}.0"}
    probes |= {"0.0.1", "99999.0.0"}
    ordered = sorted(probes)
    rng.shuffle(ordered)
    return ordered


@pytest.mark.parametrize("source", ["bitnami-vulndb.zip", "rustsec-advisory-db-osv.zip"])
def test_index_answers_equal_the_full_matcher(shared_data: Path, source: str) -> None:
    rng = random.Random(20261126)
    packages = _entries(shared_data / "osv" / source)
    busiest = sorted(packages, key=lambda key: -len(packages[key]))[:12]
    checked = 0
    for key in busiest:
        ecosystem = Ecosystem(key[0])
        raw = packages[key]
        compiled = [(vid, compile_affected(ecosystem, Affected.from_stored(entry))) for vid, entry in raw]
        index = PackageIndex(ecosystem, [IndexedEntry(vid, "2026-01-01T00:00:00Z", None, c) for vid, c in compiled])
        for version in _candidate_versions(raw, rng):
            try:
                expected = sorted({vid for vid, c in compiled if c.matches(version)})
            except InvalidVersion:
                with pytest.raises(InvalidVersion):
                    index.affected(version, None)
                continue
            assert [vid for vid, _ in index.affected(version, None)] == expected, (key, version)
            checked += 1
    assert checked > 200  # the comparison really ran over many versions


def test_release_filter_and_everything() -> None:
    debian = Ecosystem("Debian")
    entry = Affected.model_validate(
        {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2-1"}]}]}
    )
    index = PackageIndex(
        debian,
        [
            IndexedEntry("DSA-1", "t1", "11", compile_affected(Ecosystem("Debian", "11"), entry)),
            IndexedEntry("DSA-2", "t2", "12", compile_affected(Ecosystem("Debian", "12"), entry)),
        ],
    )
    assert [vid for vid, _ in index.affected("1.1-1", None)] == ["DSA-1", "DSA-2"]
    assert [vid for vid, _ in index.affected("1.1-1", "12")] == ["DSA-2"]
    assert index.affected("1.2-1", None) == ()
    assert [vid for vid, _ in index.everything("11")] == ["DSA-1"]
