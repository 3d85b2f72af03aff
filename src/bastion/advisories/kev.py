"""The CISA Known Exploited Vulnerabilities catalogue: which CVEs are exploited in the wild.

An advisory is *known exploited* when its id or one of its aliases is a CVE in the catalogue.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from bastion.advisories.changes import AdvisoryChanges, PackageKey
from bastion.advisories.models import Advisory, AdvisoryAlias, AdvisoryGeneration, AffectedPackage, KevEntry
from bastion.advisories.report import ImportProblem, ImportReport
from bastion.advisories.sources import RawFile
from bastion.db import Database


class KevVulnerability(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    cve_id: str = Field(alias="cveID", pattern=r"^CVE-\d{4}-\d{4,}$")
    vendor: str = Field(alias="vendorProject")
    product: str
    name: str = Field(alias="vulnerabilityName")
    date_added: date = Field(alias="dateAdded")
    due_date: date | None = Field(default=None, alias="dueDate")
    known_ransomware_use: str | None = Field(default=None, alias="knownRansomwareCampaignUse")
    required_action: str | None = Field(default=None, alias="requiredAction")


def import_catalogue(
    database: Database, raw: RawFile, report: ImportReport, *, changes: AdvisoryChanges | None = None
) -> None:
    try:
        catalogue = json.loads(raw.data)
        version = str(catalogue["catalogVersion"])
        entries: list[dict[str, Any]] = list(catalogue["vulnerabilities"])
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        report.failed += 1
        report.failures.append(ImportProblem(raw.source, raw.path, None, f"not a KEV catalogue: {e}"))
        return
    rows: dict[str, dict[str, Any]] = {}
    for entry in entries:
        try:
            item = KevVulnerability.model_validate(entry)
        except ValidationError as e:
            cve = entry.get("cveID") if isinstance(entry, dict) else None
            first = e.errors()[0]
            reason = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
            report.failed += 1
            report.failures.append(ImportProblem(raw.source, raw.path, cve, reason))
            continue
        digest = hashlib.sha256(json.dumps(entry, sort_keys=True).encode()).hexdigest()
        rows[item.cve_id] = {
            "cve_id": item.cve_id,
            "vendor": item.vendor,
            "product": item.product,
            "name": item.name,
            "date_added": item.date_added,
            "due_date": item.due_date,
            "known_ransomware_use": item.known_ransomware_use,
            "required_action": item.required_action,
            "catalog_version": version,
            "raw_sha256": digest,
        }
    with database.session() as session:
        existing = dict(session.execute(sa.select(KevEntry.cve_id, KevEntry.raw_sha256)).all())
        fresh = [row for cve, row in rows.items() if cve not in existing]
        changed = [row for cve, row in rows.items() if cve in existing and existing[cve] != row["raw_sha256"]]
        if changed:
            session.execute(sa.delete(KevEntry).where(KevEntry.cve_id.in_([r["cve_id"] for r in changed])))
        if fresh or changed:
            session.execute(sa.insert(KevEntry), [*fresh, *changed])
            # served documents carry known-exploited status: tell every process's caches
            session.execute(sa.update(AdvisoryGeneration).values(value=AdvisoryGeneration.value + 1))
            if changes is not None:
                cves = [row["cve_id"] for row in (*fresh, *changed)]
                changes.advisories_changed(session, _packages_of(session, cves))
    report.kev_imported += len(fresh)
    report.kev_updated += len(changed)
    report.kev_unchanged += len(rows) - len(fresh) - len(changed)


def _packages_of(session: Session, cves: list[str]) -> set[PackageKey]:
    """The packages named by the advisories that are, or alias, these CVEs."""
    found: set[PackageKey] = set()
    for start in range(0, len(cves), 500):
        chunk = cves[start : start + 500]
        ids = sa.union(
            sa.select(AdvisoryAlias.advisory_id).where(AdvisoryAlias.alias.in_(chunk)),
            sa.select(Advisory.id).where(Advisory.id.in_(chunk)),
        ).subquery()
        found.update(
            session.execute(
                sa.select(AffectedPackage.ecosystem, AffectedPackage.name).where(
                    AffectedPackage.advisory_id.in_(sa.select(ids.c[0]))
                )
            )
        )
    return found
