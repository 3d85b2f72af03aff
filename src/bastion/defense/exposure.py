"""What an exposure shows: the advisory and its severity, KEV and due date, EPSS, fixed versions, the
smallest upgrade that clears every advisory on the component, the SSVC decision and the VEX state; and the
worklist order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.advisories.ecosystems import Ecosystem
from bastion.advisories.lookup import OsvQueries, fixed_versions
from bastion.advisories.query import PackageQuery
from bastion.advisories.service import KEV_KEY, AdvisoryService
from bastion.core.ids import ProjectID, SystemID, VersionID, VulnID
from bastion.db import Database
from bastion.defense import ssvc
from bastion.defense.models import ComponentRow, EpssRow, ExposureRow, ProjectRow, SystemRow, VexRow
from bastion.defense.records import (
    SSVC_RANK,
    Epss,
    ExposurePublic,
    Kev,
    MissionImpact,
    Severity,
    SystemExposure,
)
from bastion.defense.scoring import severity
from bastion.defense.upgrade import smallest_upgrades
from bastion.defense.vex import Statement, applicable, statement_of, vex_state

CHUNK = 500


def cves_of(document: dict[str, Any]) -> list[str]:
    ids = [str(document.get("id", "")), *(str(a) for a in document.get("aliases") or ())]
    return sorted({i.upper() for i in ids if i.upper().startswith("CVE-")})


def kev_of(document: dict[str, Any]) -> Kev | None:
    listed = (document.get("database_specific") or {}).get(KEV_KEY) or []
    if not listed:
        return None
    first = min(listed, key=lambda e: e.get("due_date") or "9999")
    return Kev.model_validate(
        {"cve": first["cve"], "date_added": first["date_added"], "due_date": first.get("due_date")}
    )


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


@dataclass(frozen=True, slots=True)
class Facts:
    """One exposure's own facts, read from the defense tables inside the caller's unit of work."""

    id: int
    project_id: ProjectID
    version_id: VersionID
    advisory_id: VulnID
    first_seen_at: datetime
    component_id: int
    purl: str
    ecosystem: str
    name: str
    version: str
    system_id: SystemID
    exposure: str
    mission_impact: str


@dataclass(frozen=True, slots=True)
class Gathered:
    facts: list[Facts]
    statements: list[Statement]


def gather(session: Session, rows: Sequence[ExposureRow]) -> Gathered:
    """What the defense tables say about ``rows`` (inside the unit of work); ``finish`` adds the advisories'
    side outside it (the advisory database is read on its own connections)."""
    if not rows:
        return Gathered([], [])
    components: dict[int, ComponentRow] = {}
    for chunk in _chunks(sorted({r.component_id for r in rows})):
        components.update({c.id: c for c in session.scalars(sa.select(ComponentRow).where(ComponentRow.id.in_(chunk)))})
    projects = {
        p.id: p
        for p in session.scalars(sa.select(ProjectRow).where(ProjectRow.id.in_(sorted({r.project_id for r in rows}))))
    }
    systems = {
        s.id: s
        for s in session.scalars(
            sa.select(SystemRow).where(SystemRow.id.in_(sorted({p.system_id for p in projects.values()})))
        )
    }
    facts = []
    for row in rows:
        component = components[row.component_id]
        system = systems[projects[row.project_id].system_id]
        facts.append(
            Facts(
                id=row.id,
                project_id=row.project_id,
                version_id=row.version_id,
                advisory_id=row.advisory_id,
                first_seen_at=row.first_seen_at,
                component_id=component.id,
                purl=component.purl or "",
                ecosystem=component.ecosystem or "",
                name=component.name or "",
                version=component.version or "",
                system_id=system.id,
                exposure=system.exposure,
                mission_impact=system.mission_impact,
            )
        )
    orgs = sorted({r.org_id for r in rows})
    statements = [statement_of(v) for v in session.scalars(sa.select(VexRow).where(VexRow.org_id.in_(orgs)))]
    return Gathered(facts, statements)


def finish(
    gathered: Gathered, advisories: AdvisoryService, queries: OsvQueries, database: Database
) -> list[ExposurePublic]:
    """The exposures' views: advisories, KEV, EPSS, fixes and upgrades, SSVC, VEX (outside any unit of work)."""
    facts = gathered.facts
    if not facts:
        return []
    documents = advisories.documents(sorted({f.advisory_id for f in facts}))
    cves = sorted({cve for d in documents.values() for cve in cves_of(d)})
    epss: dict[str, Epss] = {}
    with database.read_session() as session:
        for chunk in _chunks(cves):
            for e in session.scalars(sa.select(EpssRow).where(EpssRow.cve_id.in_(chunk))):
                epss[e.cve_id] = Epss(cve=e.cve_id, epss=e.epss, percentile=e.percentile, score_date=e.score_date)
    on_component: dict[int, list[str]] = defaultdict(list)
    installed: dict[int, Facts] = {}
    for fact in facts:
        on_component[fact.component_id].append(fact.advisory_id)
        installed[fact.component_id] = fact
    upgrades = smallest_upgrades(
        queries,
        {cid: (installed[cid], [documents[a] for a in ids if a in documents]) for cid, ids in on_component.items()},
    )
    severities = {advisory_id: severity(document) for advisory_id, document in documents.items()}
    return [
        _view(
            f,
            documents.get(f.advisory_id, {"id": f.advisory_id}),
            severities.get(f.advisory_id),
            epss,
            gathered.statements,
            upgrades.get(f.component_id),
        )
        for f in facts
    ]


def _view(  # noqa: PLR0917 - one exposure's facts, gathered by the caller
    fact: Facts,
    document: dict[str, Any],
    score: Severity | None,
    epss: dict[str, Epss],
    statements: list[Statement],
    upgrade: str | None,
) -> ExposurePublic:
    query = PackageQuery(Ecosystem(fact.ecosystem), fact.name, fact.version)
    kev = kev_of(document)
    scores = [epss[c] for c in cves_of(document) if c in epss]
    best = max(scores, key=lambda e: e.epss) if scores else None
    package = fact.purl.split("@", 1)[0]
    aliases = sorted(str(a) for a in document.get("aliases") or ())
    statement = applicable(
        statements, project_id=fact.project_id, ids={fact.advisory_id, *aliases}, package=package, version=fact.version
    )
    state = vex_state(statement) if statement else None
    return ExposurePublic(
        id=fact.id,
        system_id=fact.system_id,
        project_id=fact.project_id,
        version_id=fact.version_id,
        purl=fact.purl,
        package=package,
        ecosystem=fact.ecosystem,
        name=fact.name,
        version=fact.version,
        advisory_id=fact.advisory_id,
        aliases=aliases,
        summary=document.get("summary"),
        severity=score,
        kev=kev,
        epss=best,
        fixed_versions=fixed_versions(document, query),
        upgrade_to=upgrade,
        ssvc=ssvc.assess(
            exploited=ssvc.exploitation(in_kev=kev is not None, references=document.get("references") or ()),
            vector=score.vector if score else None,
            exposure=SystemExposure(fact.exposure),
            mission_impact=MissionImpact(fact.mission_impact),
        ),
        vex=state,
        suppressed=state is not None and state.status.value in ("not_affected", "fixed"),
        first_seen_at=fact.first_seen_at,
    )


def worklist(views: Iterable[ExposurePublic]) -> list[ExposurePublic]:
    """Most urgent first: SSVC decision, then in KEV, EPSS, CVSS score; suppressed ones last."""
    return sorted(
        views,
        key=lambda v: (
            v.suppressed,
            SSVC_RANK[v.ssvc.decision],
            v.kev is None,
            -(v.epss.epss if v.epss else 0.0),
            -(v.severity.score if v.severity else 0.0),
            v.advisory_id,
            v.purl,
        ),
    )
