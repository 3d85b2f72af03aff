"""``bastion defend scan FILE``: an SBOM or lockfile checked offline against the local advisory database,
like osv-scanner. Each component is asked of the ``/v1`` query use case (``OsvQueries``) for the package its
purl names, read as ``/v1`` reads a purl, so the answers are ``/v1``'s, component for component. Rendered as a
table, JSON, SARIF 2.1.0 or CycloneDX VEX."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bastion.advisories.ecosystems import Ecosystem
from bastion.advisories.lookup import OsvQueries, QueryRequest, fixed_versions
from bastion.advisories.query import PackageQuery
from bastion.core.ids import VulnID
from bastion.core.memory import paused_cycle_collection
from bastion.defense.exposure import kev_of
from bastion.defense.inventory import Package, package_of, read_inventory
from bastion.defense.records import Kev, Severity, VexState
from bastion.defense.scoring import severity
from bastion.defense.upgrade import smallest_upgrades
from bastion.defense.vex import cyclonedx_vex

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@dataclass(frozen=True, slots=True)
class _Installed:
    ecosystem: str | None
    name: str | None
    version: str | None


@dataclass(frozen=True, slots=True)
class Finding:
    purl: str
    name: str
    version: str
    ecosystem: str
    advisory_id: VulnID
    aliases: list[str]
    summary: str | None
    severity: Severity | None
    kev: Kev | None
    fixed_versions: list[str]
    upgrade_to: str | None
    vex: VexState | None = None

    @property
    def actionable(self) -> bool:
        return True  # every match is: nothing in an offline scan says it does not apply

    def as_dict(self) -> dict[str, Any]:
        return {
            "purl": self.purl,
            "ecosystem": self.ecosystem,
            "name": self.name,
            "version": self.version,
            "advisory_id": self.advisory_id,
            "aliases": self.aliases,
            "summary": self.summary,
            "severity": self.severity.model_dump() if self.severity else None,
            "kev": self.kev.model_dump(mode="json") if self.kev else None,
            "fixed_versions": self.fixed_versions,
            "upgrade_to": self.upgrade_to,
        }


@dataclass(slots=True)
class ScanReport:
    filename: str
    format: str
    components: int
    matched: int  # components asked of the database (their purl names an OSV ecosystem)
    findings: list[Finding] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)  # components the database could not answer

    @property
    def actionable(self) -> bool:
        return any(f.actionable for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "format": self.format,
            "components": self.components,
            "matched": self.matched,
            "findings": [f.as_dict() for f in self.findings],
            "problems": self.problems,
        }


def scan(queries: OsvQueries, data: bytes, filename: str, fmt: str | None = None) -> ScanReport:
    """Match every component of an SBOM or lockfile with ``/v1``'s matcher (see ``paused_cycle_collection``
    for why the collector waits while it runs)."""
    with paused_cycle_collection():
        return _scan(queries, data, filename, fmt)


def _scan(queries: OsvQueries, data: bytes, filename: str, fmt: str | None) -> ScanReport:
    inventory = read_inventory(data, filename, fmt)
    packages: dict[str, Package] = {}
    for component in inventory.components:
        package = package_of(component)
        if package is not None:
            packages.setdefault(package.purl, package)
    chosen = list(packages.values())
    # The package /v1 reads from each purl (``package_of`` is that very reading), asked by name: the same query
    # without parsing every purl twice.
    requests = [QueryRequest(name=p.name, ecosystem=p.ecosystem, version=p.version) for p in chosen]
    answers = queries.answer(requests, records=True, paged=False).answers
    report = ScanReport(filename, inventory.format, len(inventory.components), len(chosen))
    facts = _Facts()
    affected: dict[int, tuple[_Installed, list[dict[str, Any]]]] = {}
    fixes: dict[int, list[list[str]]] = {}
    for index, (package, answer) in enumerate(zip(chosen, answers, strict=True)):
        if answer.problem is not None:
            report.problems.append({"purl": package.purl, "problem": answer.problem.message})
            continue
        if answer.records:
            documents = [r.document for r in answer.records]
            affected[index] = (_Installed(package.ecosystem, package.name, package.version), documents)
            fixes[index] = [facts.fixed(d, package) for d in documents]
    upgrades = smallest_upgrades(queries, affected, fixed=fixes)
    for index, (_, documents) in affected.items():
        package = chosen[index]
        for document, fixed in zip(documents, fixes[index], strict=True):
            advisory_id = VulnID(str(document["id"]))
            report.findings.append(
                Finding(
                    purl=package.purl,
                    name=package.name,
                    version=package.version,
                    ecosystem=package.ecosystem,
                    advisory_id=advisory_id,
                    aliases=facts.aliases(document),
                    summary=document.get("summary"),
                    severity=facts.severity(document),
                    kev=facts.kev(document),
                    fixed_versions=fixed,
                    upgrade_to=upgrades.get(index),
                )
            )
    report.findings.sort(
        key=lambda f: (f.kev is None, -(f.severity.score if f.severity else 0.0), f.purl, f.advisory_id)
    )
    return report


class _Facts:
    """What each advisory says, computed once per advisory (and fixed versions once per advisory and package),
    however many components it affects."""

    def __init__(self) -> None:
        self._severity: dict[str, Severity | None] = {}
        self._kev: dict[str, Kev | None] = {}
        self._aliases: dict[str, list[str]] = {}
        self._fixed: dict[tuple[str, str, str], list[str]] = {}

    def severity(self, document: dict[str, Any]) -> Severity | None:
        key = str(document["id"])
        if key not in self._severity:
            self._severity[key] = severity(document)
        return self._severity[key]

    def kev(self, document: dict[str, Any]) -> Kev | None:
        key = str(document["id"])
        if key not in self._kev:
            self._kev[key] = kev_of(document)
        return self._kev[key]

    def aliases(self, document: dict[str, Any]) -> list[str]:
        key = str(document["id"])
        if key not in self._aliases:
            self._aliases[key] = sorted(str(a) for a in document.get("aliases") or ())
        return self._aliases[key]

    def fixed(self, document: dict[str, Any], package: Package) -> list[str]:
        key = (str(document["id"]), package.ecosystem, package.name)
        if key not in self._fixed:
            query = PackageQuery(Ecosystem(package.ecosystem), package.name, package.version)
            self._fixed[key] = fixed_versions(document, query)
        return self._fixed[key]


def sarif(report: ScanReport) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for finding in report.findings:
        rules.setdefault(
            finding.advisory_id,
            {
                "id": finding.advisory_id,
                "shortDescription": {"text": finding.summary or finding.advisory_id},
                "helpUri": f"https://osv.dev/vulnerability/{finding.advisory_id}",
                "properties": {"aliases": finding.aliases},
            },
        )
        high = finding.kev is not None or (finding.severity is not None and finding.severity.score >= 7.0)
        fix = f"; upgrade to {finding.upgrade_to}" if finding.upgrade_to else "; no fixed version clears every advisory"
        results.append(
            {
                "ruleId": finding.advisory_id,
                "level": "error" if high else "warning",
                "message": {"text": f"{finding.purl} is affected by {finding.advisory_id}{fix}"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": report.filename}}}],
                "partialFingerprints": {"purl+advisory": f"{finding.purl}|{finding.advisory_id}"},
            }
        )
    return {
        "version": "2.1.0",
        "$schema": SARIF_SCHEMA,
        "runs": [
            {"tool": {"driver": {"name": "bastion defend scan", "rules": list(rules.values())}}, "results": results}
        ],
    }


def cyclonedx(report: ScanReport) -> dict[str, Any]:
    return cyclonedx_vex(report.filename, report.findings)
