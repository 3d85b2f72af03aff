"""The clearinghouse's ports onto other slices: the vulnerability database (known advisories, KEV, and where
publications go) and the review slice (findings flagged for the clearinghouse). Wired by the container."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from bastion.advisories.changes import AdvisoryChanges
from bastion.advisories.errors import AdvisoryNotFound
from bastion.advisories.importer import AdvisoryImporter
from bastion.advisories.service import AdvisoryService
from bastion.clearinghouse._base import FlaggedFinding, KnownAdvisory
from bastion.core.clock import Clock
from bastion.core.ids import FindingID, VulnID
from bastion.core.principal import Classification, Principal
from bastion.db import Database


def _fixed_in(document: dict[str, Any]) -> tuple[str, ...]:
    found = [
        str(event["fixed"])
        for affected in document.get("affected") or []
        for rng in affected.get("ranges") or []
        if rng.get("type") != "GIT"
        for event in rng.get("events") or []
        if "fixed" in event
    ]
    return tuple(dict.fromkeys(found))


class AdvisoryDatabase:
    """``Advisories`` over the advisories slice's service and importer."""

    def __init__(self, database: Database, clock: Clock, *, changes: AdvisoryChanges | None = None) -> None:
        self._service = AdvisoryService(database)
        self._importer = AdvisoryImporter(database, clock, changes=changes)

    def find(self, ids: Sequence[str]) -> KnownAdvisory | None:
        for vuln_id in ids:
            try:
                found = self._service.get(vuln_id)
            except AdvisoryNotFound:
                continue
            document = found.document
            return KnownAdvisory(
                id=VulnID(str(document["id"])),
                aliases=tuple(found.group),
                fixed_in=_fixed_in(document),
                summary=document.get("summary"),
            )
        return None

    def known_exploited(self, ids: Sequence[str]) -> bool:
        return bool(self._service.known_exploited(ids))

    def store(self, session: Session, document: dict[str, Any], *, origin: str) -> None:
        self._importer.import_record_in(session, document, origin=origin)


class ReviewFindings:
    """``Findings`` over the review programme's finding service (its own access rules apply)."""

    def __init__(self, programme: Any) -> None:
        self._programme = programme

    def flagged_finding(self, actor: Principal, finding_id: FindingID) -> FlaggedFinding:
        finding = self._programme.findings.get(actor, finding_id)
        return FlaggedFinding(
            id=finding.id,
            title=finding.title,
            description=finding.description,
            classification=Classification(finding.classification),
            for_clearinghouse=bool(finding.for_clearinghouse),
            status=str(finding.status),
            created_by=str(finding.created_by or ""),
        )
