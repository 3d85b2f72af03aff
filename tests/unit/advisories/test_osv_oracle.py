"""The real data as oracle: every version a record lists is inside its ranges, every fixed one is not.

For every ``affected`` entry in the five OSV zips under ``shared/data/osv``:

- ``listed``: each version in ``versions`` must lie in the entry's SEMVER/ECOSYSTEM ranges evaluated
  alone (the list itself would match trivially; osv.dev generates it from the ranges, so this checks
  our ordering against theirs);
- ``fixed``: each ``fixed`` event version must not be affected by the whole entry.

Exceptions are allowed only in ``KNOWN_DEFECTS``: each names the record, the check, the versions and a
kind of defect that a verifier confirms in the record itself; stale entries fail too.
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bastion.advisories.ecosystems import Ecosystem, parse_ecosystem
from bastion.advisories.matching import compile_affected
from bastion.advisories.record import Affected
from bastion.advisories.versions import compare

SOURCES = (
    "bitnami-vulndb.zip",
    "haskell-security-advisories-osv.zip",
    "psf-advisory-database.zip",
    "pypa-advisory-database.zip",
    "rustsec-advisory-db-osv.zip",
)
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # same safe semantics, C speed when available


def records(zip_path: Path) -> Iterator[dict[str, Any]]:
    with zipfile.ZipFile(zip_path) as zf:
        for name in zf.namelist():
            if name.endswith(".json"):
                yield json.loads(zf.read(name))
            elif name.endswith((".yaml", ".yml")):
                yield yaml.load(zf.read(name), Loader=Loader)


@dataclass
class OracleResult:
    checked: Counter[tuple[str, str]]  # (source, check) -> versions checked
    disagreements: dict[tuple[str, str, str], str]  # (record id, check, version) -> source
    problems: dict[str, tuple[str, ...]]  # record id -> events the ordering could not read
    records: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def oracle(shared_data: Path) -> OracleResult:
    result = OracleResult(Counter(), {}, {}, {})
    for source in SOURCES:
        for record in records(shared_data / "osv" / source):
            result.records[record["id"]] = record
            for affected in record.get("affected", []):
                _check_entry(source, record["id"], affected, result)
    return result


def _check_entry(source: str, record_id: str, affected: Mapping[str, Any], result: OracleResult) -> None:
    if "package" not in affected:  # PSF records: GIT ranges only, nothing to order
        return
    compiled = compile_affected(parse_ecosystem(affected["package"]["ecosystem"]), Affected.from_stored(affected))
    if compiled.problems:
        result.problems[record_id] = compiled.problems
    ranges = [r for r in affected.get("ranges", []) if r["type"] in ("SEMVER", "ECOSYSTEM")]
    if ranges:
        for version in affected.get("versions", []):
            result.checked[source, "listed"] += 1
            if not compiled.in_ranges(version, as_recorded=True):
                result.disagreements[record_id, "listed", version] = source
    for rng in ranges:
        for event in rng["events"]:
            if "fixed" in event:
                result.checked[source, "fixed"] += 1
                if compiled.matches(event["fixed"], as_recorded=True):
                    result.disagreements[record_id, "fixed", event["fixed"]] = source


# ---- the allowlist: each kind of defect comes with a verifier run against the record ----------------

Verifier = Callable[[Ecosystem, Mapping[str, Any], str], bool]


def _events(affected: Mapping[str, Any], kind: str) -> list[list[str]]:
    ranges = [r for r in affected.get("ranges", []) if r["type"] != "GIT"]
    return [[e[kind] for e in r["events"] if kind in e] for r in ranges]


def fixed_and_introduced(eco: Ecosystem, affected: Mapping[str, Any], version: str) -> bool:
    """One range both fixes and (re)introduces the version: the events contradict each other."""
    return any(
        version in fixed and version in intro
        for fixed, intro in zip(_events(affected, "fixed"), _events(affected, "introduced"), strict=True)
    )


def fixed_and_last_affected(eco: Ecosystem, affected: Mapping[str, Any], version: str) -> bool:
    """One range says the version is fixed, another that it is the last affected one."""
    return any(version in f for f in _events(affected, "fixed")) and any(
        version in la for la in _events(affected, "last_affected")
    )


def overlapping_pairs(eco: Ecosystem, affected: Mapping[str, Any], version: str) -> bool:
    """Two introduced/fixed pairs of one range overlap (the events are not a timeline)."""

    def before(x: str, y: str) -> bool:  # "0" is before everything
        return x == "0" or compare(eco, x, y) < 0

    for rng in affected.get("ranges", []):
        if rng["type"] == "GIT":
            continue
        pairs = zip(rng["events"][::2], rng["events"][1::2], strict=False)
        spans = [(p[0]["introduced"], p[1]["fixed"]) for p in pairs if "introduced" in p[0] and "fixed" in p[1]]
        for i, (lo, hi) in enumerate(spans):
            if any(before(lo, hi2) and before(lo2, hi) for lo2, hi2 in spans[i + 1 :]):
                return True
    return False


def fixed_is_listed(eco: Ecosystem, affected: Mapping[str, Any], version: str) -> bool:
    """The versions list names the fixed version itself."""
    return version in affected.get("versions", []) and any(version in f for f in _events(affected, "fixed"))


def listed_at_or_after_fixed(eco: Ecosystem, affected: Mapping[str, Any], version: str) -> bool:
    """The versions list names a version the only range says is fixed (``introduced 0, fixed F``)."""
    fixed = [f for fs in _events(affected, "fixed") for f in fs]
    return len(fixed) == 1 and compare(eco, version, fixed[0]) >= 0


def listed_prerelease_of_introduced(eco: Ecosystem, affected: Mapping[str, Any], version: str) -> bool:
    """A pre-release of ``introduced N`` is listed, but PEP 440 orders it before N (outside the range)."""
    from packaging.version import Version

    v = Version(version)
    return v.is_prerelease and any(
        Version(n).release == v.release for ns in _events(affected, "introduced") for n in ns if n != "0"
    )


@dataclass(frozen=True)
class KnownDefect:
    record: str
    check: str
    versions: tuple[str, ...]
    defect: Verifier
    reason: str


KNOWN_DEFECTS = (
    *(
        KnownDefect(rid, "fixed", versions, fixed_and_introduced, "fixed X then introduced X: X is affected")
        for rid, versions in (
            ("BIT-moodle-2022-35653", ("4.0.1",)),
            ("BIT-moodle-2023-28335", ("4.1.1",)),
            ("BIT-superset-2020-1932", ("0.34.1", "0.35.1")),
            ("BIT-vault-2021-3282", ("1.6.1",)),
            ("BIT-magento-2021-28583", ("2.4.2",)),
            ("BIT-magento-2021-28584", ("2.4.2",)),
            ("BIT-magento-2021-28585", ("2.4.2",)),
            ("BIT-redmine-2021-37156", ("4.2.1",)),
            ("BIT-apache-2021-42013", ("2.4.50",)),  # 2.4.50 is indeed vulnerable (CVE-2021-42013)
            ("BIT-wildfly-2020-27822", ("20.0.1",)),
            ("BIT-tomcat-2021-30639", ("10.0.4",)),
            ("BIT-tomcat-2020-13943", tuple(f"8.5.{n}" for n in range(1, 58))),  # one pair per patch
            ("BIT-varnish-2022-38150", ("7.0.1", "7.0.2")),
            ("PYSEC-2023-72", ("3.1.1",)),
            ("PYSEC-2022-236", ("3.1.1",)),
        )
    ),
    KnownDefect("BIT-solr-2026-44825", "fixed", ("10.0.0",), fixed_and_last_affected, "fixed and last_affected"),
    KnownDefect("BIT-powershell-2020-0951", "fixed", ("7.0.8",), fixed_and_last_affected, "idem"),
    KnownDefect("PYSEC-2021-114", "fixed", ("2.11.6",), overlapping_pairs, "[0,2.11.6) inside [2.11,2.11.7)"),
    KnownDefect("PYSEC-2021-114", "listed", ("2.11.6",), overlapping_pairs, "listed from the wider pair"),
    KnownDefect("PYSEC-2023-177", "fixed", ("23.9.0",), fixed_is_listed, "fixed 23.9.0 is listed"),
    KnownDefect("PYSEC-2023-177", "listed", ("23.9.0", "23.9.0.post1"), listed_at_or_after_fixed, "after fixed 23.9.0"),
    KnownDefect(
        "PYSEC-2023-61",
        "listed",
        ("3.2a1", "3.2b1", "3.2rc1", "4.2a1", "4.2b1", "4.2rc1"),
        listed_prerelease_of_introduced,
        "pre-releases of 3.2/4.2 listed; the ranges start at the finals",
    ),
)
ALLOWED = {(d.record, d.check, v): d for d in KNOWN_DEFECTS for v in d.versions}
# Event values no ordering can read (reported by CompiledAffected.problems, left out of the range).
KNOWN_PROBLEMS = {"BIT-mastodon-2026-47777"}  # introduced "nightly.2026-03-10.0" in a SEMVER range


def test_every_listed_version_matches_and_every_fixed_version_does_not(
    oracle: OracleResult, capsys: pytest.CaptureFixture[str]
) -> None:
    unexplained = sorted(set(oracle.disagreements) - set(ALLOWED))
    with capsys.disabled():
        print("\nOSV oracle agreement (versions checked, agreeing, allowlisted record defects):")
        for source in SOURCES:
            for check in ("listed", "fixed"):
                total = oracle.checked[source, check]
                wrong = sum(1 for k, s in oracle.disagreements.items() if s == source and k[1] == check)
                if total:
                    agree = total - wrong
                    print(f"  {source:38} {check:7} {agree:7}/{total:<7} ({agree / total:.4%})  defects {wrong}")
    assert sum(oracle.checked.values()) > 150_000  # the data really was read
    assert unexplained == [], f"{len(unexplained)} disagreements, first: {unexplained[:10]}"


def test_allowlist_has_no_stale_entries(oracle: OracleResult) -> None:
    stale = sorted(set(ALLOWED) - set(oracle.disagreements))
    assert stale == []


@pytest.mark.parametrize("defect", KNOWN_DEFECTS, ids=lambda d: f"{d.record}-{d.check}")
def test_each_allowlisted_defect_is_present_in_the_record(oracle: OracleResult, defect: KnownDefect) -> None:
    record = oracle.records[defect.record]
    verified = {
        v
        for affected in record["affected"]
        for v in defect.versions
        if defect.defect(parse_ecosystem(affected["package"]["ecosystem"]), affected, v)
    }
    assert verified == set(defect.versions), defect.defect.__doc__


def test_unreadable_events_are_reported_as_record_problems(oracle: OracleResult) -> None:
    assert set(oracle.problems) == KNOWN_PROBLEMS
