"""Matching inventories against the advisory database, in the caller's transaction.

The rule is ``/v1``'s own (``advisories.query.match_package`` over the same per-package indexes, withdrawn
records left out), read through the caller's session so that a transaction that has just changed advisories
(an import batch, a publication) matches against its own changes. Re-matching after a change looks only at
the components of current versions whose package changed, found through the (ecosystem, name) index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence, Set
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.advisories.ecosystems import Ecosystem
from bastion.advisories.problems import QueryProblem
from bastion.advisories.query import PackageQuery, load_package_indexes, match_package
from bastion.core.ids import ProjectID, SystemID, VersionID, VulnID
from bastion.core.principal import OrgID
from bastion.defense.models import ComponentRow, ExposureRow, ProjectRow, VersionRow
from bastion.defense.records import NewExposure, PackageKey

CHUNK = 500


@dataclass(frozen=True, slots=True)
class Matchable:
    component_id: int
    ecosystem: str
    name: str
    version: str


def match(session: Session, components: Sequence[Matchable]) -> dict[int, list[VulnID]]:
    """The advisory ids affecting each component (only components with at least one)."""
    indexes = load_package_indexes(session, {(c.ecosystem, c.name) for c in components})
    found: dict[int, list[VulnID]] = {}
    for component in components:
        query = PackageQuery(Ecosystem(component.ecosystem), component.name, component.version)
        hits = match_package(query, indexes[(component.ecosystem, component.name)])
        if not isinstance(hits, QueryProblem) and hits:
            found[component.component_id] = [VulnID(vuln_id) for vuln_id, _ in hits]
    return found


@dataclass(frozen=True, slots=True)
class _Target:
    component: Matchable
    org_id: OrgID
    system_id: SystemID
    project_id: ProjectID
    version_id: VersionID
    purl: str


def rematch(session: Session, packages: Set[PackageKey], *, now: datetime) -> list[NewExposure]:
    """Bring the exposures of every current version's components of ``packages`` up to date: new matches
    are added (and returned), matches that no longer hold (a withdrawn or corrected advisory) removed."""
    if not packages:
        return []
    targets = _targets(session, packages)
    if not targets:
        return []
    matched = match(session, [t.component for t in targets])
    existing: dict[int, set[VulnID]] = defaultdict(set)
    ids = [t.component.component_id for t in targets]
    for start in range(0, len(ids), CHUNK):
        for component_id, advisory_id in session.execute(
            sa.select(ExposureRow.component_id, ExposureRow.advisory_id).where(
                ExposureRow.component_id.in_(ids[start : start + CHUNK])
            )
        ):
            existing[component_id].add(advisory_id)
    fresh: list[tuple[_Target, VulnID]] = []
    gone: list[tuple[int, VulnID]] = []
    for target in targets:
        now_matched = set(matched.get(target.component.component_id, ()))
        before = existing.get(target.component.component_id, set())
        fresh.extend((target, advisory_id) for advisory_id in sorted(now_matched - before))
        gone.extend((target.component.component_id, advisory_id) for advisory_id in before - now_matched)
    for component_id, advisory_id in gone:
        session.execute(
            sa.delete(ExposureRow).where(
                ExposureRow.component_id == component_id, ExposureRow.advisory_id == advisory_id
            )
        )
    return insert_exposures(session, fresh, now=now, cause="advisories")


def insert_exposures(
    session: Session, fresh: Sequence[tuple[_Target, str]], *, now: datetime, cause: str
) -> list[NewExposure]:
    rows = [
        {
            "org_id": target.org_id,
            "project_id": target.project_id,
            "version_id": target.version_id,
            "component_id": target.component.component_id,
            "advisory_id": advisory_id,
            "first_seen_at": now,
            "cause": cause,
        }
        for target, advisory_id in fresh
    ]
    if not rows:
        return []
    session.execute(sa.insert(ExposureRow), rows)
    by_key = {(t.component.component_id, advisory_id): t for t, advisory_id in fresh}
    created: list[NewExposure] = []
    components = sorted({t.component.component_id for t, _ in fresh})
    for start in range(0, len(components), CHUNK):
        for exposure_id, component_id, advisory_id in session.execute(
            sa.select(ExposureRow.id, ExposureRow.component_id, ExposureRow.advisory_id).where(
                ExposureRow.component_id.in_(components[start : start + CHUNK])
            )
        ):
            target = by_key.get((component_id, advisory_id))
            if target is not None:
                created.append(
                    NewExposure(
                        id=exposure_id,
                        org_id=target.org_id,
                        system_id=target.system_id,
                        project_id=target.project_id,
                        version_id=target.version_id,
                        purl=target.purl,
                        advisory_id=advisory_id,
                        cause=cause,
                    )
                )
    return sorted(created, key=lambda e: e.id)


def targets_of_version(session: Session, version_id: VersionID) -> list[_Target]:
    return _select_targets(session, VersionRow.id == version_id)


def _targets(session: Session, packages: Set[PackageKey]) -> list[_Target]:
    names = sorted({name for _, name in packages})
    found: list[_Target] = []
    for start in range(0, len(names), CHUNK):
        condition = sa.and_(VersionRow.current.is_(True), ComponentRow.name.in_(names[start : start + CHUNK]))
        found.extend(
            t for t in _select_targets(session, condition) if (t.component.ecosystem, t.component.name) in packages
        )
    return found


def _select_targets(session: Session, condition: sa.ColumnElement[bool]) -> list[_Target]:
    rows = session.execute(
        sa.select(
            ComponentRow.id,
            ComponentRow.ecosystem,
            ComponentRow.name,
            ComponentRow.version,
            ComponentRow.purl,
            VersionRow.id.label("version_id"),
            VersionRow.org_id,
            VersionRow.project_id,
            ProjectRow.system_id,
        )
        .join(VersionRow, VersionRow.id == ComponentRow.version_id)
        .join(ProjectRow, ProjectRow.id == VersionRow.project_id)
        .where(condition, ComponentRow.ecosystem.is_not(None))
    )
    return [
        _Target(
            Matchable(row.id, row.ecosystem, row.name, row.version),
            row.org_id,
            row.system_id,
            row.project_id,
            row.version_id,
            row.purl,
        )
        for row in rows
    ]
