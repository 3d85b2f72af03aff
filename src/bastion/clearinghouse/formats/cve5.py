"""A published advisory as a CVE JSON 5.1 record (``PUBLISHED``), produced once a CVE id is assigned.

The CNA container names every product with its vendor and the versions affected (``lessThan`` for a fixed
version, ``lessThanOrEqual`` for the last affected one); a product its vendor found not affected gets
``defaultStatus: unaffected``, one still under investigation ``unknown``. ``assigner`` is the CNA's
organisation UUID and short name (settings of the publication service; a deterministic UUID by default).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bastion.clearinghouse.advisory import AffectedProduct, PublishedAdvisory, VendorStatus
from bastion.clearinghouse.cwe import cwe_name
from bastion.clearinghouse.formats._products import vers_type
from bastion.clearinghouse.formats.osv import osv_id
from bastion.core.errors import Conflict

DATA_VERSION = "5.1"


class CveNotAssigned(Conflict):
    """The advisory has no CVE id yet: there is no CVE record to produce."""

    default_code = "cve_not_assigned"


@dataclass(frozen=True, slots=True)
class Assigner:
    org_id: str
    short_name: str

    @classmethod
    def for_namespace(cls, namespace: str, short_name: str = "bastion") -> Assigner:
        """A stable stand-in until the CVE Program assigns the CNA its own organisation UUID (a version-4 UUID,
        as the CVE schema requires, derived from the publisher's namespace)."""
        digest = hashlib.sha256(namespace.encode("utf-8")).digest()
        return cls(str(uuid.UUID(bytes=digest[:16], version=4)), short_name)


def cve_timestamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


_DEFAULT_STATUS = {VendorStatus.NOT_AFFECTED: "unaffected", VendorStatus.UNDER_INVESTIGATION: "unknown"}


def _versions(product: AffectedProduct) -> list[dict[str, str]]:
    kind = vers_type(product)
    kind = "custom" if kind == "generic" else kind
    versions: list[dict[str, str]] = []
    for span in product.ranges:
        entry = {"version": span.introduced or "0", "status": "affected", "versionType": kind}
        if span.fixed is not None:
            entry["lessThan"] = span.fixed
        elif span.last_affected is not None:
            entry["lessThanOrEqual"] = span.last_affected
        versions.append(entry)
    versions += [{"version": v, "status": "affected", "versionType": kind} for v in product.versions]
    versions += [{"version": v, "status": "unaffected", "versionType": kind} for v in product.fixed_in]
    return versions


def _affected(product: AffectedProduct) -> dict[str, Any]:
    entry: dict[str, Any] = {"vendor": product.vendor, "product": product.product}
    if product.cpe:
        entry["cpes"] = [product.cpe]
    default = _DEFAULT_STATUS.get(product.status)
    if default is not None:
        entry["defaultStatus"] = default
        return entry
    entry["defaultStatus"] = "unaffected"
    versions = _versions(product)
    if versions:
        entry["versions"] = versions
    return entry


def _metrics(advisory: PublishedAdvisory) -> list[dict[str, Any]]:
    cvss = advisory.cvss
    if cvss is None:
        return []
    key = {"3.0": "cvssV3_0", "3.1": "cvssV3_1", "4.0": "cvssV4_0"}.get(cvss.version)
    if key is None:
        return []
    body = {"version": cvss.version, "vectorString": cvss.vector, "baseScore": cvss.base_score,
            "baseSeverity": cvss.severity.upper()}  # fmt: skip
    return [{"format": "CVSS", "scenarios": [{"lang": "en", "value": "GENERAL"}], key: body}]


def cve_record(advisory: PublishedAdvisory, assigner: Assigner | None = None) -> dict[str, Any]:
    if not advisory.cve_id:
        raise CveNotAssigned(
            f"advisory {advisory.id} has no CVE id; a CVE record needs one",
            hint="record the CVE id assigned to the case, then publish again",
        )
    assigner = assigner or Assigner.for_namespace(advisory.publisher_namespace)
    cna: dict[str, Any] = {
        "providerMetadata": {
            "orgId": assigner.org_id,
            "shortName": assigner.short_name,
            "dateUpdated": cve_timestamp(advisory.modified),
        },
        "title": advisory.title,
        "datePublic": cve_timestamp(advisory.published),
        "descriptions": [{"lang": "en", "value": advisory.details or advisory.summary}],
        "affected": [_affected(product) for product in advisory.affected],
        "references": [{"url": ref.url} for ref in advisory.references]
        or [{"url": f"{advisory.publisher_namespace.rstrip('/')}/v1/vulns/{osv_id(advisory)}"}],
    }
    problem_types = [
        {"lang": "en", "type": "CWE", "cweId": cwe, "description": f"{cwe} {cwe_name(cwe) or ''}".strip()}
        for cwe in advisory.cwe_ids
    ]
    if problem_types:
        cna["problemTypes"] = [{"descriptions": problem_types}]
    metrics = _metrics(advisory)
    if metrics:
        cna["metrics"] = metrics
    if advisory.credits:
        cna["credits"] = [{"lang": "en", "value": c.name, "type": c.type.lower()} for c in advisory.credits]
    return {
        "dataType": "CVE_RECORD",
        "dataVersion": DATA_VERSION,
        "cveMetadata": {
            "cveId": advisory.cve_id,
            "assignerOrgId": assigner.org_id,
            "assignerShortName": assigner.short_name,
            "state": "PUBLISHED",
            "datePublished": cve_timestamp(advisory.published),
            "dateUpdated": cve_timestamp(advisory.modified),
        },
        "containers": {"cna": cna},
    }
