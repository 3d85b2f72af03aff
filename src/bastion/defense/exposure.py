"""What an exposure shows: the advisory and its severity, KEV and due date, EPSS, fixed versions, the
smallest upgrade that clears every advisory on the component, the SSVC decision and the VEX state; and the
worklist order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.advisories.ecosystems import Ecosystem
from bastion.advisories.lookup import OsvQueries, fixed_versions
from bastion.advisories.query import PackageQuery
from bastion.advisories.service import KEV_KEY, AdvisoryService
from bastion.defense import ssvc
from bastion.defense.models import ComponentRow, EpssRow, ExposureRow, ProjectRow, SystemRow, VexRow
from bastion.defense.records import (
    SSVC_RANK,
    Epss,
    ExposurePublic,
    Kev,
    MissionImpact,
    SystemExposure,
)
from bastion.defense.scoring import severity
from bastion.defense.upgrade import smallest_upgrades
from bastion.defense.vex import applicable, vex_state

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


def build(
    session: Session, rows: Sequence[ExposureRow], advisories: AdvisoryService, queries: OsvQueries
) -> list[ExposurePublic]:
    if not rows:
        return []
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
    documents = advisories.documents(sorted({r.advisory_id for r in rows}))
    cves = sorted({cve for d in documents.values() for cve in cves_of(d)})
    epss: dict[str, EpssRow] = {}
    for chunk in _chunks(cves):
        epss.update({e.cve_id: e for e in session.scalars(sa.select(EpssRow).where(EpssRow.cve_id.in_(chunk)))})
    orgs = sorted({r.org_id for r in rows})
    statements = list(session.scalars(sa.select(VexRow).where(VexRow.org_id.in_(orgs))))
    on_component: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        on_component[row.component_id].append(row.advisory_id)
    upgrades = smallest_upgrades(
        queries,
        {
            cid: (components[cid], [documents[a] for a in ids if a in documents])
            for cid, ids in on_component.items()
            if cid in components
        },
    )
    views = []
    for row in rows:
        component = components[row.component_id]
        project = projects[row.project_id]
        system = systems[project.system_id]
        document = documents.get(row.advisory_id, {"id": row.advisory_id})
        views.append(_view(row, component, system, document, epss, statements, upgrades.get(component.id)))
    return views


def _view(  # noqa: PLR0917 - one exposure's facts, gathered by the caller
    row: ExposureRow,
    component: ComponentRow,
    system: SystemRow,
    document: dict[str, Any],
    epss: dict[str, EpssRow],
    statements: list[VexRow],
    upgrade: str | None,
) -> ExposurePublic:
    assert component.ecosystem is not None and component.name is not None and component.version is not None
    query = PackageQuery(Ecosystem(component.ecosystem), component.name, component.version)
    kev = kev_of(document)
    score = severity(document)
    scores = [epss[c] for c in cves_of(document) if c in epss]
    best = max(scores, key=lambda e: e.epss) if scores else None
    purl = component.purl or ""
    package = purl.split("@", 1)[0]
    aliases = sorted(str(a) for a in document.get("aliases") or ())
    statement = applicable(
        statements,
        project_id=row.project_id,
        ids={row.advisory_id, *aliases},
        package=package,
        version=component.version,
    )
    state = vex_state(statement) if statement else None
    return ExposurePublic(
        id=row.id,
        system_id=system.id,
        project_id=row.project_id,
        version_id=row.version_id,
        purl=purl,
        package=package,
        ecosystem=component.ecosystem,
        name=component.name,
        version=component.version,
        advisory_id=row.advisory_id,
        aliases=aliases,
        summary=document.get("summary"),
        severity=score,
        kev=kev,
        epss=Epss(cve=best.cve_id, epss=best.epss, percentile=best.percentile, score_date=best.score_date)
        if best
        else None,
        fixed_versions=fixed_versions(document, query),
        upgrade_to=upgrade,
        ssvc=ssvc.assess(
            exploited=ssvc.exploitation(in_kev=kev is not None, references=document.get("references") or ()),
            vector=score.vector if score else None,
            exposure=SystemExposure(system.exposure),
            mission_impact=MissionImpact(system.mission_impact),
        ),
        vex=state,
        suppressed=state is not None and state.status.value in ("not_affected", "fixed"),
        first_seen_at=row.first_seen_at,
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
