"""/api/defense: agencies' systems and projects, inventory uploads (SBOMs, lockfiles), the worklist of
exposures, VEX decisions, imports and exports, an offline-style scan, and programme counts. Thin: parse, call
the ``Defense`` facade, return its record."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, status
from pydantic import ConfigDict, Field

from bastion.api.auth import PrincipalDep
from bastion.api.deps import ContainerDep
from bastion.api.limits import EVIDENCE_BODY  # SBOMs and VEX documents are large
from bastion.core.fields import INT64_MAX, RequestBody
from bastion.core.ids import ProjectID, SystemID, VersionID
from bastion.defense.records import (
    ComponentPublic,
    ExposurePublic,
    ProjectCreate,
    ProjectPublic,
    Statistics,
    SystemCreate,
    SystemPublic,
    VersionPublic,
    VexDecision,
    VexPublic,
)
from bastion.defense.scan import scan
from bastion.defense.service import Defense

router = APIRouter(prefix="/api/defense")
_tags: list[str | Enum] = ["defense"]
_CREATED = status.HTTP_201_CREATED


def _defense(container: ContainerDep) -> Defense:
    return container.defense


DefenseDep = Annotated[Defense, Depends(_defense)]


class InventoryUpload(RequestBody):
    """An SBOM or lockfile as text, with the file name it has (lockfiles are recognised by it)."""

    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=300, examples=["bom.json", "poetry.lock"])
    content: str = Field(min_length=1, description="the file's text (UTF-8)")
    label: str | None = Field(default=None, max_length=200, description="the version's name, e.g. 2.4.1")
    format: str | None = Field(default=None, max_length=40, description="force a format (else recognised)")


class VexDocument(RequestBody):
    model_config = ConfigDict(extra="forbid")

    document: dict[str, Any] = Field(description="an OpenVEX, CycloneDX VEX or CSAF VEX document")
    project_id: ProjectID | None = Field(default=None, max_length=40, description="apply to this project only")


@router.post("/systems", tags=_tags, status_code=_CREATED, summary="Register a system")
def create_system(body: SystemCreate, actor: PrincipalDep, defense: DefenseDep) -> SystemPublic:
    return defense.create_system(actor, body)


@router.get("/systems", tags=_tags, summary="The agency's systems")
def list_systems(actor: PrincipalDep, defense: DefenseDep) -> list[SystemPublic]:
    return defense.list_systems(actor)


@router.get("/systems/{system_id}", tags=_tags, summary="One system")
def get_system(system_id: str, actor: PrincipalDep, defense: DefenseDep) -> SystemPublic:
    return defense.get_system(actor, SystemID(system_id))


@router.post("/systems/{system_id}/projects", tags=_tags, status_code=_CREATED, summary="Register a project")
def create_project(system_id: str, body: ProjectCreate, actor: PrincipalDep, defense: DefenseDep) -> ProjectPublic:
    return defense.create_project(actor, SystemID(system_id), body)


@router.get(
    "/projects",
    tags=_tags,
    summary="The agency's projects",
    responses={404: {"description": "No system of yours has that system_id"}},
)
def list_projects(
    actor: PrincipalDep, defense: DefenseDep, system_id: Annotated[str | None, Query(max_length=40)] = None
) -> list[ProjectPublic]:
    return defense.list_projects(actor, None if system_id is None else SystemID(system_id))


@router.get("/projects/{project_id}", tags=_tags, summary="One project")
def get_project(project_id: str, actor: PrincipalDep, defense: DefenseDep) -> ProjectPublic:
    return defense.get_project(actor, ProjectID(project_id))


@router.post(
    "/projects/{project_id}/versions",
    tags=_tags,
    status_code=_CREATED,
    summary="Upload an SBOM or lockfile as the project's next version",
    openapi_extra=EVIDENCE_BODY,
)
def upload(project_id: str, body: InventoryUpload, actor: PrincipalDep, defense: DefenseDep) -> VersionPublic:
    return defense.upload(
        actor, ProjectID(project_id), body.content.encode(), body.filename, label=body.label, fmt=body.format
    )


@router.get("/projects/{project_id}/versions", tags=_tags, summary="The project's versions, newest first")
def versions(project_id: str, actor: PrincipalDep, defense: DefenseDep) -> list[VersionPublic]:
    return defense.versions(actor, ProjectID(project_id))


@router.get("/versions/{version_id}/components", tags=_tags, summary="A version's components")
def components(version_id: str, actor: PrincipalDep, defense: DefenseDep) -> list[ComponentPublic]:
    return defense.components(actor, VersionID(version_id))


@router.get(
    "/exposures",
    tags=_tags,
    summary="The worklist: exposures, most urgent first (SSVC, KEV, EPSS)",
    responses={404: {"description": "No system or project of yours has that system_id or project_id"}},
)
def exposures(
    actor: PrincipalDep,
    defense: DefenseDep,
    system_id: Annotated[str | None, Query(max_length=40)] = None,
    project_id: Annotated[str | None, Query(max_length=40)] = None,
    include_suppressed: bool = False,
) -> list[ExposurePublic]:
    return defense.exposures(
        actor,
        system_id=None if system_id is None else SystemID(system_id),
        project_id=None if project_id is None else ProjectID(project_id),
        include_suppressed=include_suppressed,
    )


@router.get("/exposures/{exposure_id}", tags=_tags, summary="One exposure")
def exposure(
    exposure_id: Annotated[int, Path(ge=1, le=INT64_MAX)], actor: PrincipalDep, defense: DefenseDep
) -> ExposurePublic:
    return defense.exposure(actor, exposure_id)


@router.post("/projects/{project_id}/vex", tags=_tags, status_code=_CREATED, summary="Record a VEX decision")
def decide(project_id: str, body: VexDecision, actor: PrincipalDep, defense: DefenseDep) -> VexPublic:
    return defense.decide(actor, ProjectID(project_id), body)


@router.get("/projects/{project_id}/vex", tags=_tags, summary="The project's VEX statements")
def vex_statements(project_id: str, actor: PrincipalDep, defense: DefenseDep) -> list[VexPublic]:
    return defense.vex_statements(actor, ProjectID(project_id))


@router.get("/projects/{project_id}/vex/export", tags=_tags, summary="Export the project's VEX")
def export_vex(
    project_id: str,
    actor: PrincipalDep,
    defense: DefenseDep,
    fmt: Annotated[Literal["openvex", "cyclonedx"], Query(alias="format")] = "openvex",
) -> dict[str, Any]:
    return defense.export_vex(actor, ProjectID(project_id), fmt)


@router.post(
    "/vex/import",
    tags=_tags,
    status_code=_CREATED,
    summary="Import a vendor's VEX (OpenVEX, CycloneDX, CSAF)",
    openapi_extra=EVIDENCE_BODY,
)
def import_vex(body: VexDocument, actor: PrincipalDep, defense: DefenseDep) -> list[VexPublic]:
    import json

    return defense.import_vex(actor, json.dumps(body.document).encode(), project_id=body.project_id)


@router.post("/scan", tags=_tags, summary="Scan an SBOM or lockfile (nothing is kept)", openapi_extra=EVIDENCE_BODY)
def scan_inventory(body: InventoryUpload, actor: PrincipalDep, defense: DefenseDep) -> dict[str, Any]:
    del actor  # any signed-in user: it reads only the public advisory database
    return scan(defense.queries, body.content.encode(), body.filename, body.format).as_dict()


@router.get("/statistics", tags=_tags, summary="Programme-wide counts (no agency identified)")
def statistics(actor: PrincipalDep, defense: DefenseDep) -> Statistics:
    return defense.statistics(actor)
