"""The defense slice's facade: agencies' systems, projects and inventories, their exposure and priorities,
analysts' VEX decisions, EPSS, programme counts, and the advisory-change port. Built by the container.

Every use case runs in one audited unit of work and asks the one access policy (``core/access/_defense.py``):
an agency sees only its own inventories. Listeners (``subscribe``) are told of every new exposure inside the
transaction that created it, so what they derive (alerts) commits with it, once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence, Set
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.advisories.lookup import OsvQueries
from bastion.advisories.service import AdvisoryService
from bastion.core.access import Action, Resource, ResourceKind
from bastion.core.audit import SystemActor
from bastion.core.clock import Clock
from bastion.core.ids import ProjectID, SystemID, VersionID
from bastion.core.principal import OrgID, Principal
from bastion.core.work import UnitOfWork, Work
from bastion.db import Database
from bastion.defense import exposure as exposure_views
from bastion.defense import vex
from bastion.defense.epss import parse_epss
from bastion.defense.errors import DefenseConflict
from bastion.defense.inventory import package_of, read_inventory
from bastion.defense.models import ComponentRow, EpssRow, ExposureRow, ProjectRow, SystemRow, VersionRow
from bastion.defense.records import (
    ComponentPublic,
    ExposurePublic,
    NewExposure,
    PackageKey,
    ProjectCreate,
    ProjectPublic,
    Statistics,
    SystemCreate,
    SystemPublic,
    VersionPublic,
    VexDecision,
    VexPublic,
)
from bastion.defense.rematch import CHUNK, insert_exposures, match, rematch, targets_of_version

EXPOSURE_LISTENER = Callable[[Session, Sequence[NewExposure]], None]
IMPORTER = SystemActor("importer")
MAX_INVENTORY_BYTES = 64 * 1024 * 1024


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def inventory_resource(org_id: OrgID | None) -> Resource:
    return Resource(ResourceKind.DEFENSE_INVENTORY, owner_org_id=org_id)


PROGRAMME = Resource(ResourceKind.DEFENSE_PROGRAMME)


class Defense:
    def __init__(
        self, *, database: Database, clock: Clock, uow: UnitOfWork, advisories: AdvisoryService, queries: OsvQueries
    ) -> None:
        self._database = database
        self._clock = clock
        self._uow = uow
        self._advisories = advisories
        self.queries = queries  # the /v1 use case: `scan` answers exactly as /v1 does
        self._listeners: list[EXPOSURE_LISTENER] = []

    # --- listeners and the advisory-change port -----------------------------------------------------------

    def subscribe(self, listener: EXPOSURE_LISTENER) -> None:
        """Call ``listener(session, new_exposures)`` in the transaction that creates exposures (an upload
        or a re-match after advisories changed). Exposures a new version carries over are not new."""
        self._listeners.append(listener)

    def advisories_changed(self, session: Session, packages: Set[PackageKey]) -> None:
        """``advisories.changes.AdvisoryChanges``: the container wires this into the importer."""
        self.on_advisories_changed(session, packages)

    def on_advisories_changed(self, session: Session, packages: Set[PackageKey]) -> list[NewExposure]:
        """Re-match only the current inventories holding ``packages``; the new exposures (also told to the
        listeners)."""
        created = rematch(session, packages, now=self._clock.now())
        self._tell(session, created)
        return created

    def _tell(self, session: Session, created: Sequence[NewExposure]) -> None:
        if created:
            for listener in self._listeners:
                listener(session, created)

    # --- systems and projects -----------------------------------------------------------------------------

    def create_system(self, actor: Principal, body: SystemCreate) -> SystemPublic:
        with self._uow(actor, "defense.system.create", "defense_system") as work:
            work.require(Action.CREATE, inventory_resource(actor.org_id), what="system", refusal=_AGENCIES_ONLY)
            name = " ".join(body.name.split())
            taken = work.session.scalar(
                sa.select(SystemRow.id).where(SystemRow.org_id == actor.org_id, SystemRow.name == name)
            )
            if taken:
                raise DefenseConflict(
                    f"a system named {name!r} exists", hint="choose another name", details={"id": taken}
                )
            row = SystemRow(
                id=new_id("sys"),
                org_id=actor.org_id,
                name=name,
                description=body.description,
                exposure=body.exposure.value,
                mission_impact=body.mission_impact.value,
                created_at=work.now,
                updated_at=work.now,
            )
            work.session.add(row)
            work.session.flush()
            work.record("defense.system.create", "defense_system", row.id, name=name, exposure=row.exposure)
            return _system_public(row)

    def list_systems(self, actor: Principal) -> list[SystemPublic]:
        with self._uow(actor, "defense.system.list", "defense_system") as work:
            rows = work.session.scalars(
                sa.select(SystemRow).where(SystemRow.org_id == actor.org_id).order_by(SystemRow.name)
            )
            return [_system_public(r) for r in rows if work.allowed(Action.READ, inventory_resource(r.org_id))]

    def get_system(self, actor: Principal, system_id: SystemID) -> SystemPublic:
        with self._uow(actor, "defense.system.read", "defense_system", system_id) as work:
            return _system_public(self._system(work, system_id))

    def create_project(self, actor: Principal, system_id: SystemID, body: ProjectCreate) -> ProjectPublic:
        with self._uow(actor, "defense.project.create", "defense_project") as work:
            system = self._system(work, system_id, Action.UPDATE)
            name = " ".join(body.name.split())
            taken = work.session.scalar(
                sa.select(ProjectRow.id).where(ProjectRow.system_id == system.id, ProjectRow.name == name)
            )
            if taken:
                raise DefenseConflict(
                    f"system {system.name!r} has a project named {name!r}",
                    hint="choose another name",
                    details={"id": taken},
                )
            row = ProjectRow(
                id=new_id("prj"), org_id=system.org_id, system_id=system.id, name=name, created_at=work.now
            )
            work.session.add(row)
            work.session.flush()
            work.record("defense.project.create", "defense_project", row.id, system_id=system.id, name=name)
            return _project_public(row, None)

    def list_projects(self, actor: Principal, system_id: SystemID | None = None) -> list[ProjectPublic]:
        with self._uow(actor, "defense.project.list", "defense_project") as work:
            query = sa.select(ProjectRow).where(ProjectRow.org_id == actor.org_id).order_by(ProjectRow.name)
            if system_id is not None:
                self._system(work, system_id)
                query = query.where(ProjectRow.system_id == system_id)
            rows = [r for r in work.session.scalars(query) if work.allowed(Action.READ, inventory_resource(r.org_id))]
            current = _current_versions(work.session, [r.id for r in rows])
            return [_project_public(r, current.get(r.id)) for r in rows]

    def get_project(self, actor: Principal, project_id: ProjectID) -> ProjectPublic:
        with self._uow(actor, "defense.project.read", "defense_project", project_id) as work:
            row = self._project(work, project_id)
            return _project_public(row, _current_versions(work.session, [row.id]).get(row.id))

    # --- inventories ----------------------------------------------------------------------------------------

    def upload(
        self,
        actor: Principal,
        project_id: ProjectID,
        data: bytes,
        filename: str,
        *,
        label: str | None = None,
        fmt: str | None = None,
    ) -> VersionPublic:
        """A new version of the project from an SBOM or lockfile; matched at once. Either the whole inventory
        is kept and matched, or nothing is (an unreadable file is a 400 naming the problem)."""
        with self._uow(actor, "defense.inventory.upload", "defense_project", project_id) as work:
            project = self._project(work, project_id, Action.UPDATE)
            inventory = read_inventory(data, filename, fmt)
            session = work.session
            previous = session.scalar(
                sa.select(VersionRow).where(VersionRow.project_id == project.id, VersionRow.current.is_(True))
            )
            before = _exposed_packages(session, previous.id) if previous is not None else set()
            number = (
                session.scalar(sa.select(sa.func.max(VersionRow.number)).where(VersionRow.project_id == project.id))
                or 0
            ) + 1
            if previous is not None:
                previous.current = False
                session.execute(sa.delete(ExposureRow).where(ExposureRow.version_id == previous.id))
            version = VersionRow(
                id=new_id("ver"),
                org_id=project.org_id,
                project_id=project.id,
                number=number,
                label=(label or "").strip()[:200] or f"v{number}",
                format=inventory.format,
                filename=filename[-300:],
                sha256=hashlib.sha256(data).hexdigest(),
                component_count=len(inventory.components),
                current=True,
                created_by=actor.user_id,
                created_at=work.now,
            )
            session.add(version)
            session.flush()
            rows: list[dict[str, Any]] = []
            for component in inventory.components:
                package = package_of(component)
                rows.append(
                    {
                        "version_id": version.id,
                        "purl": component.purl,
                        "display_name": component.name[:500],
                        "ecosystem": package.ecosystem if package else None,
                        "name": package.name[:500] if package else None,
                        "version": (package.version if package else component.version or "")[:200] or None,
                    }
                )
            for start in range(0, len(rows), 5000):
                session.execute(sa.insert(ComponentRow), rows[start : start + 5000])
            targets = targets_of_version(session, version.id)
            matched = match(session, [t.component for t in targets])
            fresh = [(t, advisory_id) for t in targets for advisory_id in matched.get(t.component.component_id, ())]
            created = insert_exposures(session, fresh, now=work.now, cause="upload")
            news = [e for e in created if (_package(e.purl), e.advisory_id) not in before]
            work.record(
                "defense.inventory.upload",
                "defense_version",
                version.id,
                project_id=project.id,
                format=inventory.format,
                components=len(rows),
                exposures=len(created),
                sha256=version.sha256,
            )
            self._tell(session, news)
            return _version_public(version, sum(1 for r in rows if r["ecosystem"]))

    def versions(self, actor: Principal, project_id: ProjectID) -> list[VersionPublic]:
        with self._uow(actor, "defense.version.list", "defense_project", project_id) as work:
            self._project(work, project_id)
            rows = list(
                work.session.scalars(
                    sa.select(VersionRow).where(VersionRow.project_id == project_id).order_by(VersionRow.number.desc())
                )
            )
            counts = dict(
                work.session.execute(
                    sa.select(ComponentRow.version_id, sa.func.count())
                    .where(ComponentRow.version_id.in_([r.id for r in rows]), ComponentRow.ecosystem.is_not(None))
                    .group_by(ComponentRow.version_id)
                ).all()
            )
            return [_version_public(r, counts.get(r.id, 0)) for r in rows]

    def components(self, actor: Principal, version_id: VersionID) -> list[ComponentPublic]:
        with self._uow(actor, "defense.version.read", "defense_version", version_id) as work:
            version = self._version(work, version_id)
            rows = work.session.scalars(
                sa.select(ComponentRow).where(ComponentRow.version_id == version.id).order_by(ComponentRow.id)
            )
            return [
                ComponentPublic(purl=r.purl, name=r.display_name, version=r.version, ecosystem=r.ecosystem)
                for r in rows
            ]

    # --- exposure and worklists -------------------------------------------------------------------------------

    def exposures(
        self,
        actor: Principal,
        *,
        system_id: SystemID | None = None,
        project_id: ProjectID | None = None,
        include_suppressed: bool = False,
    ) -> list[ExposurePublic]:
        """The agency's worklist: exposures of current versions, most urgent first (SSVC decision, then KEV,
        EPSS and CVSS). Exposures a not_affected or fixed statement covers are left out unless asked for."""
        with self._uow(actor, "defense.exposure.list", "defense_exposure") as work:
            query = sa.select(ExposureRow).where(ExposureRow.org_id == actor.org_id)
            if project_id is not None:
                self._project(work, project_id)
                query = query.where(ExposureRow.project_id == project_id)
            if system_id is not None:
                self._system(work, system_id)
                query = query.where(
                    ExposureRow.project_id.in_(sa.select(ProjectRow.id).where(ProjectRow.system_id == system_id))
                )
            rows = [r for r in work.session.scalars(query) if work.allowed(Action.READ, inventory_resource(r.org_id))]
            gathered = exposure_views.gather(work.session, rows)
        views = self._finish(gathered)
        return exposure_views.worklist(v for v in views if include_suppressed or not v.suppressed)

    def _finish(self, gathered: exposure_views.Gathered) -> list[ExposurePublic]:
        return exposure_views.finish(gathered, self._advisories, self.queries, self._database)

    def exposure(self, actor: Principal, exposure_id: int) -> ExposurePublic:
        with self._uow(actor, "defense.exposure.read", "defense_exposure", str(exposure_id)) as work:
            row = work.session.get(ExposureRow, exposure_id)
            work.require(Action.READ, inventory_resource(row.org_id if row else None), what=f"exposure {exposure_id}")
            assert row is not None  # a missing row has no owner: required above
            gathered = exposure_views.gather(work.session, [row])
        return self._finish(gathered)[0]

    # --- VEX --------------------------------------------------------------------------------------------------

    def decide(self, actor: Principal, project_id: ProjectID, body: VexDecision) -> VexPublic:
        """Record an analyst's decision on one advisory for one package of the project. It is keyed by the
        package, not its version, so it holds for the project's next SBOM versions too."""
        with self._uow(actor, "defense.vex.decide", "defense_project", project_id) as work:
            project = self._project(work, project_id, Action.UPDATE)
            row = vex.record_decision(work.session, project, body, author=actor.user_id, now=work.now)
            work.record(
                "defense.vex.decide",
                "defense_vex",
                row.id,
                project_id=project.id,
                advisory_id=row.advisory_id,
                package=row.package,
                status=row.status,
                justification=row.justification,
            )
            return vex.public(row)

    def vex_statements(self, actor: Principal, project_id: ProjectID) -> list[VexPublic]:
        with self._uow(actor, "defense.vex.list", "defense_project", project_id) as work:
            project = self._project(work, project_id)
            return [vex.public(r) for r in vex.statements_for(work.session, project)]

    def export_vex(self, actor: Principal, project_id: ProjectID, fmt: str) -> dict[str, Any]:
        """The project's VEX as ``openvex`` or ``cyclonedx`` JSON: every decision and every exposure's state."""
        with self._uow(actor, "defense.vex.export", "defense_project", project_id) as work:
            project = self._project(work, project_id)
            rows = list(work.session.scalars(sa.select(ExposureRow).where(ExposureRow.project_id == project.id)))
            gathered = exposure_views.gather(work.session, rows)
            name, now = project.name, work.now
        return vex.export(fmt, name, project_id, self._finish(gathered), now=now)

    def import_vex(self, actor: Principal, data: bytes, *, project_id: ProjectID | None = None) -> list[VexPublic]:
        """Import a vendor's VEX (OpenVEX, CycloneDX VEX, or CSAF VEX such as the clearinghouse's) for the
        agency: its statements suppress what does not apply, in every project (or only ``project_id``)."""
        with self._uow(actor, "defense.vex.import", "defense_vex") as work:
            work.require(Action.UPDATE, inventory_resource(actor.org_id), what="VEX", refusal=_AGENCIES_ONLY)
            if project_id is not None:
                self._project(work, project_id, Action.UPDATE)
            rows = vex.import_document(work.session, data, org_id=actor.org_id, project_id=project_id, now=work.now)
            work.record("defense.vex.import", "defense_vex", None, project_id=project_id, statements=len(rows))
            return [vex.public(r) for r in rows]

    # --- EPSS and programme counts ------------------------------------------------------------------------------

    def import_epss(self, data: bytes) -> int:
        """Replace the EPSS scores with FIRST's CSV ``data`` (the operator's ``bastion import``); the count."""
        parsed = parse_epss(data)
        with self._uow(IMPORTER, "defense.epss.import", "defense_epss") as work:
            work.session.execute(sa.delete(EpssRow))
            rows = [
                {
                    "cve_id": s.cve,
                    "epss": s.epss,
                    "percentile": s.percentile,
                    "score_date": parsed.score_date,
                    "model_version": parsed.model_version[:60],
                }
                for s in {s.cve: s for s in parsed.scores}.values()
            ]
            for start in range(0, len(rows), 5000):
                work.session.execute(sa.insert(EpssRow), rows[start : start + 5000])
            work.record(scores=len(rows), model_version=parsed.model_version, score_date=str(parsed.score_date))
            return len(rows)

    def statistics(self, actor: Principal) -> Statistics:
        """Programme-wide counts (no agency named, none identifiable: only totals over all of them)."""
        with self._uow(actor, "defense.statistics.read", "defense_programme") as work:
            work.require(
                Action.READ,
                PROGRAMME,
                what="defense statistics",
                refusal="programme figures are for agencies and programme administrators",
            )
            session = work.session
            count = sa.func.count
            gathered = exposure_views.gather(session, list(session.scalars(sa.select(ExposureRow))))
            counts = {
                "agencies": session.scalar(sa.select(count(sa.distinct(SystemRow.org_id)))) or 0,
                "systems": session.scalar(sa.select(count()).select_from(SystemRow)) or 0,
                "projects": session.scalar(sa.select(count()).select_from(ProjectRow)) or 0,
                "components": session.scalar(
                    sa.select(count()).select_from(ComponentRow).join(VersionRow).where(VersionRow.current.is_(True))
                )
                or 0,
            }
        active = [v for v in self._finish(gathered) if not v.suppressed]
        by_decision: dict[str, int] = {}
        for view in active:
            by_decision[view.ssvc.decision.value] = by_decision.get(view.ssvc.decision.value, 0) + 1
        return Statistics(
            agencies=counts["agencies"],
            systems=counts["systems"],
            projects=counts["projects"],
            components=counts["components"],
            exposures=len(active),
            kev_exposures=sum(1 for v in active if v.kev is not None),
            by_decision=by_decision,
        )

    # --- lookups under the policy ------------------------------------------------------------------------------

    def _system(self, work: Work, system_id: SystemID, action: Action = Action.READ) -> SystemRow:
        row = work.session.get(SystemRow, system_id)
        work.require(action, inventory_resource(row.org_id if row else None), what=f"system {system_id}")
        assert row is not None  # a missing row has no owner: required above
        return row

    def _project(self, work: Work, project_id: ProjectID, action: Action = Action.READ) -> ProjectRow:
        row = work.session.get(ProjectRow, project_id)
        work.require(action, inventory_resource(row.org_id if row else None), what=f"project {project_id}")
        assert row is not None
        return row

    def _version(self, work: Work, version_id: VersionID) -> VersionRow:
        row = work.session.get(VersionRow, version_id)
        work.require(Action.READ, inventory_resource(row.org_id if row else None), what=f"version {version_id}")
        assert row is not None
        return row


_AGENCIES_ONLY = "inventories belong to agencies: sign in as a user of an agency"


def _package(purl: str) -> str:
    return purl.split("@", 1)[0].split("?", 1)[0]


def _exposed_packages(session: Session, version_id: VersionID) -> set[tuple[str, str]]:
    rows = session.execute(
        sa.select(ComponentRow.purl, ExposureRow.advisory_id)
        .join(ComponentRow, ComponentRow.id == ExposureRow.component_id)
        .where(ExposureRow.version_id == version_id)
    )
    return {(_package(purl or ""), advisory_id) for purl, advisory_id in rows}


def _current_versions(session: Session, project_ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(project_ids), CHUNK):
        found.update(
            session.execute(
                sa.select(VersionRow.project_id, VersionRow.id).where(
                    VersionRow.project_id.in_(project_ids[start : start + CHUNK]), VersionRow.current.is_(True)
                )
            ).all()
        )
    return found


def _system_public(row: SystemRow) -> SystemPublic:
    return SystemPublic.model_validate(
        {
            "id": row.id,
            "name": row.name,
            "description": row.description,
            "exposure": row.exposure,
            "mission_impact": row.mission_impact,
            "created_at": row.created_at,
        }
    )


def _project_public(row: ProjectRow, current: str | None) -> ProjectPublic:
    return ProjectPublic(
        id=row.id, system_id=row.system_id, name=row.name, created_at=row.created_at, current_version_id=current
    )


def _version_public(row: VersionRow, matchable: int) -> VersionPublic:
    return VersionPublic(
        id=row.id,
        project_id=row.project_id,
        number=row.number,
        label=row.label,
        format=row.format,
        filename=row.filename,
        sha256=row.sha256,
        component_count=row.component_count,
        matchable=matchable,
        current=row.current,
        created_at=row.created_at,
    )
