"""A published advisory as an OSV record (schema 1.7), the form `/v1`, pip-audit and osv-scanner read.

One ``affected`` entry per product that has a purl in an OSV ecosystem and is affected or fixed; products
named only by CPE, or whose vendor answered ``not_affected`` or is still investigating, have no OSV
expression and are left out (the CSAF documents carry them). Ranges are ``ECOSYSTEM`` ranges in the
ecosystem's own version ordering. The record validates against ``bastion.advisories.record.OsvRecord``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from packageurl import PackageURL

from bastion.advisories.ecosystems import package_from_purl
from bastion.advisories.errors import InvalidPurl
from bastion.clearinghouse.advisory import AffectedProduct, PublishedAdvisory, VendorStatus

OSV_SCHEMA_VERSION = "1.7.0"
# The OSV schema admits ids of the databases it lists, and reserves ``x_`` for local databases that OSV.dev
# does not aggregate. Until the clearinghouse's prefix is registered there, its OSV ids carry ``x_``.
LOCAL_PREFIX = "x_"


def osv_id(advisory: PublishedAdvisory) -> str:
    """The advisory's OSV id: ``x_BASTION-2026-0007`` for ``BASTION-2026-0007``."""
    return advisory.id if advisory.id.startswith(LOCAL_PREFIX) else LOCAL_PREFIX + advisory.id


_OSV_STATUSES = frozenset({VendorStatus.AFFECTED, VendorStatus.FIXED})


def osv_timestamp(when: datetime) -> str:
    """RFC 3339 in UTC with a trailing Z and a four-digit year, as the OSV schema requires."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _package(product: AffectedProduct) -> dict[str, str] | None:
    if product.purl is None:
        return None
    try:
        package = package_from_purl(product.purl)
    except InvalidPurl:
        return None
    parsed = PackageURL.from_string(product.purl)
    versionless = PackageURL(parsed.type, parsed.namespace, parsed.name, None, parsed.qualifiers, parsed.subpath)
    return {"ecosystem": str(package.ecosystem), "name": package.name, "purl": versionless.to_string()}


def _events(product: AffectedProduct) -> list[dict[str, str]]:
    events: list[dict[str, str]] = []
    for span in product.ranges:
        events.append({"introduced": span.introduced})
        if span.fixed is not None:
            events.append({"fixed": span.fixed})
        elif span.last_affected is not None:
            events.append({"last_affected": span.last_affected})
    return events


def _affected(product: AffectedProduct) -> dict[str, Any] | None:
    package = _package(product)
    if package is None or product.status not in _OSV_STATUSES:
        return None
    entry: dict[str, Any] = {"package": package}
    events = _events(product)
    if events:
        entry["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    if product.versions:
        entry["versions"] = list(product.versions)
    if not events and not product.versions:
        return None  # nothing a client could match
    entry["database_specific"] = {"vendor": product.vendor, "status": product.status.value}
    return entry


def osv_record(advisory: PublishedAdvisory) -> dict[str, Any]:
    """The OSV document for ``advisory``; deterministic for the same input."""
    record: dict[str, Any] = {
        "schema_version": OSV_SCHEMA_VERSION,
        "id": osv_id(advisory),
        "modified": osv_timestamp(advisory.modified),
        "published": osv_timestamp(advisory.published),
        "summary": advisory.summary,
        "details": advisory.details,
    }
    aliases = sorted(
        {*advisory.aliases, *([advisory.cve_id] if advisory.cve_id else [])} - {advisory.id, osv_id(advisory)}
    )
    if aliases:
        record["aliases"] = aliases
    affected = [entry for entry in map(_affected, advisory.affected) if entry is not None]
    if affected:
        record["affected"] = affected
    if advisory.cvss is not None:
        kind = "CVSS_V4" if advisory.cvss.version.startswith("4") else "CVSS_V3"
        record["severity"] = [{"type": kind, "score": advisory.cvss.vector}]
    if advisory.references:
        record["references"] = [{"type": r.type, "url": r.url} for r in advisory.references]
    if advisory.credits:
        record["credits"] = [{"name": c.name, "type": c.type} for c in advisory.credits]
    specific: dict[str, Any] = {
        "source": advisory.publisher_name,
        "advisory_id": advisory.id,
        "case_id": advisory.case_id,
    }
    if advisory.cwe_ids:
        specific["cwe_ids"] = list(advisory.cwe_ids)
    if advisory.cvss is not None:
        specific["severity"] = advisory.cvss.severity
    if advisory.known_exploited:
        specific["known_exploited"] = True
    record["database_specific"] = specific
    return record
