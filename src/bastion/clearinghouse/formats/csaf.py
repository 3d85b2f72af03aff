"""A published advisory as CSAF 2.0 documents: a ``csaf_security_advisory`` and its ``csaf_vex`` variant.

Both describe the same products (``_products``) and the one vulnerability; the VEX variant states, for every
product, its status with the statement VEX consumers need (an impact statement for ``known_not_affected``,
an action statement for ``known_affected``). Both are written to pass the CSAF 2.0 schema and the mandatory
tests of its section 6.1 (proven in the tests with an independent validator and the TC's test cases).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bastion import __version__
from bastion.clearinghouse.advisory import PublishedAdvisory, VendorStatus
from bastion.clearinghouse.cwe import cwe_name
from bastion.clearinghouse.formats._products import ProductLeaves, product_leaves, product_tree
from bastion.clearinghouse.formats.osv import osv_id

CSAF_VERSION = "2.0"
SECURITY_ADVISORY = "csaf_security_advisory"
VEX = "csaf_vex"
VEX_SUFFIX = "-VEX"
_FILENAME_UNSAFE = re.compile(r"[^+\-a-z0-9]+")


def csaf_date(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def csaf_filename(tracking_id: str) -> str:
    """The file name CSAF section 5.1 prescribes: the tracking id, lower case, other characters as ``_``."""
    return _FILENAME_UNSAFE.sub("_", tracking_id.lower()) + ".json"


def tracking_id(advisory: PublishedAdvisory, category: str) -> str:
    return advisory.id + (VEX_SUFFIX if category == VEX else "")


def document_url(advisory: PublishedAdvisory, category: str) -> str:
    """Where the provider serves the document (``/.well-known/csaf/white/<year>/<file>``)."""
    year = advisory.published.astimezone(UTC).year
    name = csaf_filename(tracking_id(advisory, category))
    return f"{advisory.publisher_namespace.rstrip('/')}/.well-known/csaf/white/{year}/{name}"


def csaf_advisory(advisory: PublishedAdvisory) -> dict[str, Any]:
    return _document(advisory, SECURITY_ADVISORY)


def csaf_vex(advisory: PublishedAdvisory) -> dict[str, Any]:
    return _document(advisory, VEX)


def _document(advisory: PublishedAdvisory, category: str) -> dict[str, Any]:
    leaves = product_leaves(advisory)
    doc: dict[str, Any] = {
        "document": _meta(advisory, category),
        "vulnerabilities": [_vulnerability(advisory, leaves)],
    }
    if leaves:
        doc["product_tree"] = product_tree(leaves)
    return doc


def _revision_history(advisory: PublishedAdvisory) -> list[dict[str, str]]:
    history = []
    for number in range(1, advisory.revision + 1):
        first = number == 1
        history.append(
            {
                "date": csaf_date(advisory.published if first else advisory.modified),
                "number": str(number),
                "summary": "Initial public release." if first else "Updated.",
            }
        )
    return history


def _meta(advisory: PublishedAdvisory, category: str) -> dict[str, Any]:
    title = advisory.title if category == SECURITY_ADVISORY else f"VEX: {advisory.title}"
    references = [{"category": "self", "summary": "This document", "url": document_url(advisory, category)}]
    references += [{"category": "external", "summary": ref.type.lower(), "url": ref.url} for ref in advisory.references]
    osv_url = f"{advisory.publisher_namespace.rstrip('/')}/v1/vulns/{osv_id(advisory)}"
    references.append({"category": "external", "summary": "The OSV record of this advisory", "url": osv_url})
    return {
        "category": category,
        "csaf_version": CSAF_VERSION,
        "lang": "en",
        "title": title,
        "publisher": {
            "category": "coordinator",
            "name": advisory.publisher_name,
            "namespace": advisory.publisher_namespace,
        },
        "distribution": {"tlp": {"label": "WHITE"}, "text": "Public: the embargo on this case has ended."},
        "notes": [
            {"category": "summary", "title": "Summary", "text": advisory.summary},
            {"category": "details", "title": "Details", "text": advisory.details},
        ],
        "references": references,
        "tracking": {
            "id": tracking_id(advisory, category),
            "status": "final",
            "version": str(advisory.revision),
            "initial_release_date": csaf_date(advisory.published),
            "current_release_date": csaf_date(advisory.modified),
            "revision_history": _revision_history(advisory),
            "generator": {"engine": {"name": "Bastion", "version": __version__}, "date": csaf_date(advisory.modified)},
        },
    }


def _vulnerability(advisory: PublishedAdvisory, leaves: list[ProductLeaves]) -> dict[str, Any]:
    vulnerability: dict[str, Any] = {
        "title": advisory.title,
        "ids": [{"system_name": advisory.publisher_name, "text": advisory.id}],
        "notes": [{"category": "description", "title": "Description", "text": advisory.details}],
        "release_date": csaf_date(advisory.published),
    }
    if advisory.cve_id:
        vulnerability["cve"] = advisory.cve_id
    for cwe_id in advisory.cwe_ids:
        name = cwe_name(cwe_id)
        if name is not None:  # CSAF 2.0 carries one CWE; its name must be the catalogue's
            vulnerability["cwe"] = {"id": cwe_id, "name": name}
            break
    status, flags, threats, remediations = _statements(leaves)
    if status:
        vulnerability["product_status"] = status
    if flags:
        vulnerability["flags"] = flags
    scores = _scores(advisory, status.get("known_affected", []))
    if scores:
        vulnerability["scores"] = scores
    if advisory.known_exploited:
        threats.append(
            {"category": "exploit_status", "details": "Listed in CISA's Known Exploited Vulnerabilities catalogue."}
        )
    if threats:
        vulnerability["threats"] = threats
    if remediations:
        vulnerability["remediations"] = remediations
    if advisory.references:
        vulnerability["references"] = [
            {"category": "external", "summary": ref.type.lower(), "url": ref.url} for ref in advisory.references
        ]
    return vulnerability


def _statements(
    leaves: list[ProductLeaves],
) -> tuple[dict[str, list[str]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    status: dict[str, list[str]] = {}
    flags: list[dict[str, Any]] = []
    threats: list[dict[str, Any]] = []
    remediations: list[dict[str, Any]] = []
    for entry in leaves:
        product = entry.product
        affected = [leaf.product_id for leaf in entry.affected]
        fixed = [leaf.product_id for leaf in entry.fixed]
        if product.status is VendorStatus.NOT_AFFECTED:
            ids = affected + fixed
            status.setdefault("known_not_affected", []).extend(ids)
            if product.justification is not None:
                flags.append({"label": product.justification.value, "product_ids": ids})
            else:
                threats.append(
                    {"category": "impact", "details": f"{product.vendor} states this product is not affected.",
                     "product_ids": ids}
                )  # fmt: skip
            continue
        if product.status is VendorStatus.UNDER_INVESTIGATION:
            status.setdefault("under_investigation", []).extend(affected + fixed)
            continue
        status.setdefault("known_affected", []).extend(affected)
        if fixed:
            status.setdefault("fixed", []).extend(fixed)
            details = product.remediation or f"Upgrade {product.product} to {', '.join(product.fixed_in)} or later."
            remediations.append({"category": "vendor_fix", "details": details, "product_ids": affected})
        else:
            details = product.remediation or "No fix is available yet; the vendor is working on one."
            remediations.append({"category": "none_available", "details": details, "product_ids": affected})
    return status, flags, threats, remediations


def _scores(advisory: PublishedAdvisory, affected: list[str]) -> list[dict[str, Any]]:
    cvss = advisory.cvss
    if cvss is None or not affected or not cvss.version.startswith("3"):
        return []  # CSAF 2.0 knows CVSS v2 and v3 only; a v4 vector stays in the OSV record and the CVE record
    return [
        {
            "products": affected,
            "cvss_v3": {
                "version": cvss.version,
                "vectorString": cvss.vector,
                "baseScore": cvss.base_score,
                "baseSeverity": cvss.severity.upper(),
            },
        }
    ]
