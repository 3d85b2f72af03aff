"""Analysts' decisions and vendors' statements as VEX: recorded, applied to exposures, exported as OpenVEX
and CycloneDX VEX, imported from OpenVEX, CycloneDX VEX and CSAF VEX (the clearinghouse publishes the last).

A statement names an advisory and a *package* (a purl without version), optionally one version. An analyst's
decision is per project and never per version, so it holds for every later SBOM of that project; a vendor's
imported statement holds for every project of the agency that imported it (or one project).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from packageurl import PackageURL
from sqlalchemy.orm import Session

from bastion.core.ids import ProjectID, VulnID
from bastion.core.principal import OrgID
from bastion.defense.errors import InvalidVex
from bastion.defense.models import ProjectRow, VexRow
from bastion.defense.records import ExposurePublic, Justification, VexDecision, VexPublic, VexState, VexStatus

OPENVEX_CONTEXT = "https://openvex.dev/ns/v0.2.0"
OPENVEX_JUSTIFICATIONS = frozenset(
    {
        Justification.COMPONENT_NOT_PRESENT,
        Justification.VULNERABLE_CODE_NOT_PRESENT,
        Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH,
        Justification.VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY,
        Justification.INLINE_MITIGATIONS_ALREADY_EXIST,
    }
)
TO_CYCLONEDX = {
    Justification.COMPONENT_NOT_PRESENT: "code_not_present",
    Justification.VULNERABLE_CODE_NOT_PRESENT: "code_not_present",
    Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH: "code_not_reachable",
    Justification.VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY: "protected_by_mitigating_control",
    Justification.INLINE_MITIGATIONS_ALREADY_EXIST: "protected_by_mitigating_control",
}
TO_OPENVEX = {
    Justification.CODE_NOT_PRESENT: Justification.VULNERABLE_CODE_NOT_PRESENT,
    Justification.CODE_NOT_REACHABLE: Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH,
    Justification.REQUIRES_CONFIGURATION: Justification.VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY,
    Justification.REQUIRES_DEPENDENCY: Justification.VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY,
    Justification.REQUIRES_ENVIRONMENT: Justification.VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY,
    Justification.PROTECTED_BY_COMPILER: Justification.INLINE_MITIGATIONS_ALREADY_EXIST,
    Justification.PROTECTED_AT_RUNTIME: Justification.INLINE_MITIGATIONS_ALREADY_EXIST,
    Justification.PROTECTED_AT_PERIMETER: Justification.INLINE_MITIGATIONS_ALREADY_EXIST,
    Justification.PROTECTED_BY_MITIGATING_CONTROL: Justification.INLINE_MITIGATIONS_ALREADY_EXIST,
}
_CDX_STATE_TO_STATUS = {
    "not_affected": VexStatus.NOT_AFFECTED,
    "false_positive": VexStatus.NOT_AFFECTED,
    "resolved": VexStatus.FIXED,
    "resolved_with_pedigree": VexStatus.FIXED,
    "exploitable": VexStatus.AFFECTED,
    "in_triage": VexStatus.UNDER_INVESTIGATION,
}
_STATUS_TO_CDX = {
    VexStatus.NOT_AFFECTED: "not_affected",
    VexStatus.FIXED: "resolved",
    VexStatus.AFFECTED: "exploitable",
    VexStatus.UNDER_INVESTIGATION: "in_triage",
}
_CSAF_STATUS = {
    "known_not_affected": VexStatus.NOT_AFFECTED,
    "fixed": VexStatus.FIXED,
    "first_fixed": VexStatus.FIXED,
    "known_affected": VexStatus.AFFECTED,
    "first_affected": VexStatus.AFFECTED,
    "last_affected": VexStatus.AFFECTED,
    "under_investigation": VexStatus.UNDER_INVESTIGATION,
}


def package_and_version(purl: str) -> tuple[str, str | None]:
    """A purl's package (type, namespace, name; no version, qualifiers or subpath) and its version."""
    try:
        parsed = PackageURL.from_string(purl.strip())
    except ValueError as e:
        raise InvalidVex(
            f"{purl!r} is not a package URL: {e}", hint="name the package by purl, e.g. pkg:pypi/jinja2"
        ) from e
    package = PackageURL(type=parsed.type, namespace=parsed.namespace, name=parsed.name).to_string()
    return package, parsed.version or None


def check_decision(body: VexDecision) -> None:
    if body.status is VexStatus.NOT_AFFECTED and body.justification is None:
        raise InvalidVex(
            "a not_affected decision needs a justification",
            hint="give one of: " + ", ".join(j.value for j in Justification),
            details={"field": "justification"},
        )
    if body.status is not VexStatus.NOT_AFFECTED and body.justification is not None:
        raise InvalidVex(
            f"a justification goes only with not_affected, not with {body.status.value}",
            hint="leave the justification out, or decide not_affected",
            details={"field": "justification"},
        )


def record_decision(session: Session, project: ProjectRow, body: VexDecision, *, author: str, now: datetime) -> VexRow:
    check_decision(body)
    package, _ = package_and_version(body.package)
    advisory_id = body.advisory_id.strip()
    row = session.scalar(
        sa.select(VexRow).where(
            VexRow.project_id == project.id,
            VexRow.advisory_id == advisory_id,
            VexRow.package == package,
            VexRow.source == "analyst",
            VexRow.version.is_(None),
        )
    )
    if row is None:
        row = VexRow(
            id=f"vex_{secrets.token_hex(8)}",
            org_id=project.org_id,
            project_id=project.id,
            advisory_id=advisory_id,
            package=package,
            version=None,
            source="analyst",
            created_at=now,
        )
        session.add(row)
    row.status = body.status.value
    row.justification = body.justification.value if body.justification else None
    row.detail = body.detail
    row.source_name = author
    row.updated_at = now
    session.flush()
    return row


@dataclass(frozen=True, slots=True)
class Statement:
    """A VEX row's content, usable outside its session."""

    project_id: ProjectID | None
    advisory_id: VulnID
    package: str
    version: str | None
    status: str
    justification: str | None
    detail: str
    source: str
    source_name: str
    updated_at: datetime


def statement_of(row: VexRow) -> Statement:
    return Statement(
        row.project_id,
        row.advisory_id,
        row.package,
        row.version,
        row.status,
        row.justification,
        row.detail,
        row.source,
        row.source_name,
        row.updated_at,
    )


def statements_for(session: Session, project: ProjectRow) -> list[VexRow]:
    return list(
        session.scalars(
            sa.select(VexRow)
            .where(
                VexRow.org_id == project.org_id, sa.or_(VexRow.project_id == project.id, VexRow.project_id.is_(None))
            )
            .order_by(VexRow.advisory_id, VexRow.package, VexRow.updated_at)
        )
    )


def public(row: VexRow) -> VexPublic:
    return VexPublic.model_validate(
        {
            "id": row.id,
            "project_id": row.project_id,
            "advisory_id": row.advisory_id,
            "package": row.package,
            "version": row.version,
            "status": row.status,
            "justification": row.justification,
            "detail": row.detail,
            "source": row.source,
            "source_name": row.source_name,
            "updated_at": row.updated_at,
        }
    )


def applicable(
    statements: Iterable[Statement], *, project_id: ProjectID, ids: set[str], package: str, version: str
) -> Statement | None:
    """The statement that decides this exposure: an analyst's decision for the project first, then the
    newest vendor statement; each must name the advisory (or an alias), the package, and any version or this."""
    wanted = {i.upper() for i in ids}
    matching = [
        s
        for s in statements
        if s.project_id in (project_id, None)
        and s.advisory_id.upper() in wanted
        and s.package == package
        and (s.version is None or s.version == version)
    ]
    if not matching:
        return None
    return min(matching, key=lambda s: (s.source != "analyst", s.project_id is None, -s.updated_at.timestamp()))


def vex_state(row: Statement) -> VexState:
    return VexState.model_validate(
        {
            "status": row.status,
            "justification": row.justification,
            "detail": row.detail,
            "source": row.source,
            "source_name": row.source_name,
        }
    )


# --- export ----------------------------------------------------------------------------------------------------


def export(
    fmt: str, project_name: str, project_id: ProjectID, views: Sequence[ExposurePublic], *, now: datetime
) -> dict[str, Any]:
    if fmt == "openvex":
        return openvex(project_id, views, now=now)
    if fmt == "cyclonedx":
        return cyclonedx_vex(project_name, views)
    raise InvalidVex(f"unknown VEX format {fmt!r}", hint="use openvex or cyclonedx", details={"field": "format"})


class VexSubject(Protocol):
    """What an export says about one advisory on one component (an exposure, or a scan's finding)."""

    @property
    def purl(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def advisory_id(self) -> str: ...
    @property
    def aliases(self) -> list[str]: ...
    @property
    def summary(self) -> str | None: ...
    @property
    def upgrade_to(self) -> str | None: ...
    @property
    def vex(self) -> VexState | None: ...


def _status(view: VexSubject) -> tuple[VexStatus, Justification | None, str]:
    if view.vex is None:
        return VexStatus.UNDER_INVESTIGATION, None, ""
    return view.vex.status, view.vex.justification, view.vex.detail


def openvex(project_id: ProjectID, views: Sequence[VexSubject], *, now: datetime) -> dict[str, Any]:
    stamp = now.isoformat().replace("+00:00", "Z")
    statements = []
    for view in sorted(views, key=lambda v: (v.advisory_id, v.purl)):
        status, justification, detail = _status(view)
        statement: dict[str, Any] = {
            "vulnerability": {"name": view.advisory_id, "aliases": view.aliases},
            "products": [{"@id": view.purl, "identifiers": {"purl": view.purl}}],
            "status": status.value,
            "timestamp": stamp,
        }
        if status is VexStatus.NOT_AFFECTED and justification is not None:
            statement["justification"] = TO_OPENVEX.get(justification, justification).value
            if detail:
                statement["impact_statement"] = detail
        if status is VexStatus.AFFECTED:
            statement["action_statement"] = detail or (
                f"Upgrade to {view.upgrade_to}." if view.upgrade_to else "No fixed version yet: mitigate."
            )
        elif detail and status is not VexStatus.NOT_AFFECTED:
            statement["status_notes"] = detail
        statements.append(statement)
    return {
        "@context": OPENVEX_CONTEXT,
        "@id": f"urn:bastion:defense:vex:{project_id}:{int(now.timestamp())}",
        "author": "Bastion defense",
        "timestamp": stamp,
        "version": 1,
        "statements": statements,
    }


def cyclonedx_vex(project_name: str, views: Sequence[VexSubject]) -> dict[str, Any]:
    """A CycloneDX 1.6 VEX document (through cyclonedx-python-lib): the components and each advisory's analysis."""
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.impact_analysis import ImpactAnalysisJustification, ImpactAnalysisState
    from cyclonedx.model.vulnerability import (
        BomTarget,
        Vulnerability,
        VulnerabilityAnalysis,
        VulnerabilityReference,
        VulnerabilitySource,
    )
    from cyclonedx.output.json import JsonV1Dot6

    bom = Bom()
    root = Component(name=project_name, type=ComponentType.APPLICATION, bom_ref="project")
    bom.metadata.component = root
    components: dict[str, Component] = {}
    for view in views:
        if view.purl not in components:
            components[view.purl] = Component(
                name=view.name,
                version=view.version,
                purl=PackageURL.from_string(view.purl),
                bom_ref=view.purl,
            )
            bom.components.add(components[view.purl])
    bom.register_dependency(root, list(components.values()))  # the project depends on what it holds
    for view in sorted(views, key=lambda v: (v.advisory_id, v.purl)):
        status, justification, detail = _status(view)
        cdx_justification = None
        if justification is not None:
            text = TO_CYCLONEDX.get(justification, justification.value)
            cdx_justification = ImpactAnalysisJustification(text)
        bom.vulnerabilities.add(
            Vulnerability(
                bom_ref=f"{view.advisory_id}/{view.purl}",
                id=view.advisory_id,
                source=VulnerabilitySource(name="Bastion (OSV)"),
                references=[
                    VulnerabilityReference(id=alias, source=VulnerabilitySource(name="alias")) for alias in view.aliases
                ],
                description=view.summary,
                analysis=VulnerabilityAnalysis(
                    state=ImpactAnalysisState(_STATUS_TO_CDX[status]),
                    justification=cdx_justification,
                    detail=detail or None,
                ),
                affects=[BomTarget(ref=components[view.purl].bom_ref.value or view.purl)],
            )
        )
    document: dict[str, Any] = json.loads(JsonV1Dot6(bom).output_as_string())
    return document


# --- import ------------------------------------------------------------------------------------------------------


def import_document(
    session: Session, data: bytes, *, org_id: OrgID, project_id: ProjectID | None, now: datetime
) -> list[VexRow]:
    try:
        document = json.loads(data)
    except ValueError as e:
        raise InvalidVex("the VEX document is not JSON", hint="upload OpenVEX, CycloneDX VEX or CSAF VEX JSON") from e
    if not isinstance(document, dict):
        raise InvalidVex("the VEX document is not a JSON object", hint="upload OpenVEX, CycloneDX VEX or CSAF VEX JSON")
    try:
        found, source = _statements(document)
    except (AttributeError, TypeError, KeyError, ValueError) as e:  # a field of the wrong shape, anywhere
        raise InvalidVex(
            f"the VEX document is malformed: {type(e).__name__}: {e}",
            hint="check it against its schema (OpenVEX, CycloneDX 1.4-1.6, CSAF 2.0)",
        ) from e
    if not found:
        raise InvalidVex("the VEX document states nothing about any package", hint="check it names products by purl")
    rows = []
    for advisory_id, purl, status, justification, detail in found:
        package, version = package_and_version(purl)
        if len(advisory_id) > 255 or len(package) > 500 or len(version or "") > 200:
            raise InvalidVex(
                f"a statement names {advisory_id[:60]!r} / {purl[:80]!r}, longer than any advisory id or package",
                hint="advisory ids hold at most 255 characters, package URLs 500, versions 200",
            )
        row = VexRow(
            id=f"vex_{secrets.token_hex(8)}",
            org_id=org_id,
            project_id=project_id,
            advisory_id=advisory_id,
            package=package,
            version=version,
            status=status.value,
            justification=justification.value if justification else None,
            detail=detail[:10_000],
            source="vendor",
            source_name=source.strip()[:200],
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


Said = tuple[str, str, VexStatus, Justification | None, str]


def _statements(document: dict[str, Any]) -> tuple[list[Said], str]:
    context = str(document.get("@context", ""))
    if "openvex" in context:
        return list(_from_openvex(document)), str(document.get("author") or "OpenVEX")
    if document.get("bomFormat") == "CycloneDX":
        return list(_from_cyclonedx(document)), "CycloneDX VEX"
    if isinstance(document.get("document"), dict) and "vulnerabilities" in document:
        meta = document["document"]
        tracking = (meta.get("tracking") or {}).get("id", "")
        return list(_from_csaf(document)), f"{(meta.get('publisher') or {}).get('name', 'CSAF')} {tracking}"
    raise InvalidVex(
        "the document is not OpenVEX, CycloneDX VEX or CSAF VEX",
        hint="OpenVEX has an openvex @context; CycloneDX has bomFormat; CSAF has document and vulnerabilities",
    )


def _justification(value: Any) -> Justification | None:
    if not value:
        return None
    try:
        return Justification(str(value))
    except ValueError as e:
        raise InvalidVex(f"unknown justification {value!r}", hint="use an OpenVEX or CycloneDX justification") from e


def _from_openvex(document: dict[str, Any]) -> Iterator[Said]:
    for index, statement in enumerate(document.get("statements") or []):
        vulnerability = statement.get("vulnerability") or {}
        name = vulnerability.get("name") if isinstance(vulnerability, dict) else vulnerability
        try:
            status = VexStatus(str(statement.get("status")))
        except ValueError as e:
            raise InvalidVex(f"statements[{index}]: unknown status {statement.get('status')!r}") from e
        detail = str(statement.get("impact_statement") or statement.get("action_statement") or "")
        for product in statement.get("products") or []:
            purl = (product.get("identifiers") or {}).get("purl") or product.get("@id")
            if name and purl and str(purl).startswith("pkg:"):
                yield str(name), str(purl), status, _justification(statement.get("justification")), detail


def _from_cyclonedx(document: dict[str, Any]) -> Iterator[Said]:
    purls = {c.get("bom-ref"): c.get("purl") for c in document.get("components") or [] if c.get("purl")}
    for vulnerability in document.get("vulnerabilities") or []:
        analysis = vulnerability.get("analysis") or {}
        status = _CDX_STATE_TO_STATUS.get(str(analysis.get("state")))
        if status is None:
            continue
        for target in vulnerability.get("affects") or []:
            ref = str(target.get("ref", ""))
            purl = purls.get(ref) or (ref if ref.startswith("pkg:") else None)
            if purl and vulnerability.get("id"):
                yield (
                    str(vulnerability["id"]),
                    str(purl),
                    status,
                    _justification(analysis.get("justification")),
                    str(analysis.get("detail") or ""),
                )


def _csaf_products(node: dict[str, Any], found: dict[str, tuple[str, bool]], product_name: str = "") -> None:
    """product_id -> (purl, whole_package): a leaf naming every version (``vers:<type>/*``, its package from the
    helper's purl or else the product_name branch) or a versioned purl; leaves with narrower ranges are left
    out (their range cannot be stated by package)."""
    if node.get("category") == "product_name":
        product_name = str(node.get("name", ""))
    product = node.get("product")
    if isinstance(product, dict):
        purl = (product.get("product_identification_helper") or {}).get("purl")
        name = str(node.get("name", ""))
        every = node.get("category") == "product_version_range" and name.startswith("vers:") and name.endswith("/*")
        if not purl and every and product_name:
            purl = f"pkg:{name.removeprefix('vers:').split('/', 1)[0]}/{product_name}"
        if purl and (every or "@" in str(purl)):
            found[str(product.get("product_id"))] = (str(purl), every)
    for child in node.get("branches") or []:
        _csaf_products(child, found, product_name)


def _from_csaf(document: dict[str, Any]) -> Iterator[Said]:
    products: dict[str, tuple[str, bool]] = {}
    tree = document.get("product_tree") or {}
    for branch in tree.get("branches") or []:
        _csaf_products(branch, products)
    for full in tree.get("full_product_names") or []:
        purl = (full.get("product_identification_helper") or {}).get("purl")
        if purl:
            products[str(full.get("product_id"))] = (str(purl), "@" not in str(purl))
    for vulnerability in document.get("vulnerabilities") or []:
        ids = [vulnerability.get("cve")] + [i.get("text") for i in vulnerability.get("ids") or []]
        names = [str(i) for i in ids if i]
        flags = {pid: f.get("label") for f in vulnerability.get("flags") or [] for pid in f.get("product_ids") or []}
        impacts = {
            pid: str(t.get("details", ""))
            for t in vulnerability.get("threats") or []
            if t.get("category") == "impact"
            for pid in t.get("product_ids") or []
        }
        for category, product_ids in (vulnerability.get("product_status") or {}).items():
            status = _CSAF_STATUS.get(category)
            if status is None:
                continue
            for pid in product_ids:
                if pid not in products:
                    continue
                purl, every = products[pid]
                if every:
                    purl = purl.split("@", 1)[0]
                justification = _justification(flags.get(pid)) if status is VexStatus.NOT_AFFECTED else None
                for name in names:
                    yield name, purl, status, justification, impacts.get(pid, "")
