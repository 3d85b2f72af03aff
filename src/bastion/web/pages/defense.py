"""Agencies' defense pages, over the ``Defense`` facade, the alert service and the triage assistant, as the API:
systems and projects, SBOM and lockfile upload, the exposure worklist sorted by SSVC decision (with KEV, severity,
EPSS and the smallest upgrade), VEX decisions and their export, alert settings, the triage proposals waiting for a
person, and exposure over time.

Visibility is the services' (``core/access/_defense.py``): an agency sees only its own inventories. A project,
exposure or proposal of another agency is the same 404 page as one that does not exist, because the services raise
the same error; people of other kinds of organisation find no defense pages at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from bastion.advisories.lookup import QueryRequest
from bastion.api.limits import EVIDENCE_BODY
from bastion.container import Container
from bastion.core.errors import InvalidInput, NotFound
from bastion.core.ids import ProjectID, SystemID, TriageProposalID
from bastion.core.principal import OrgKind, Principal
from bastion.defense.alerts import AlertSettingsUpdate
from bastion.defense.exposure import kev_of
from bastion.defense.records import (
    ExposurePublic,
    Justification,
    MissionImpact,
    ProjectCreate,
    SsvcDecision,
    SystemCreate,
    SystemExposure,
    VersionPublic,
    VexDecision,
    VexPublic,
    VexStatus,
)
from bastion.defense.service import MAX_INVENTORY_BYTES
from bastion.defense.triage import JUSTIFICATIONS, EvidenceKind, TriageAnswerInvalid
from bastion.defense.triage import VexStatus as DraftStatus
from bastion.defense.triage_service import ProposalStatus, TriageConfirm, TriageReject, TriageRequest
from bastion.web.charts import ExposurePoint, exposure_over_time
from bastion.web.render import render
from bastion.web.shell import optional, parse, redirect, split_list, text, web_router
from bastion.web.visitor import FormDep, Visitor, VisitorDep, checked, container_of

router = web_router()
EXPORTS = {"openvex": "OpenVEX", "cyclonedx": "CycloneDX VEX"}
SUPPRESSING = (VexStatus.NOT_AFFECTED, VexStatus.FIXED)
CHART_VERSIONS = 12  # exposure over time: the project's latest versions (each one is matched afresh)


def _container(request: Request) -> Container:
    return container_of(request)


def _agency(who: Visitor) -> Principal:
    """The signed-in agency user; anyone else finds no defense pages (the services would show them nothing)."""
    actor = who.require()
    if actor.org_kind is not OrgKind.AGENCY:
        raise NotFound("the defense pages are for agencies' security teams", hint="sign in as a user of your agency")
    return actor


def _counts(exposures: Sequence[ExposurePublic]) -> dict[str, int]:
    counts = {d.value: 0 for d in SsvcDecision}
    for e in exposures:
        counts[e.ssvc.decision.value] += 1
    return counts


def _names(c: Container, actor: Principal) -> dict[str, str]:
    """Display names of the people of the actor's agency whom the actor may see (authors of decisions)."""
    return {u.id: u.display_name for u in c.identity.list_users(actor, org_id=actor.org_id)}


def _exposure_id(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise NotFound(f"exposure {value} not found", hint="open exposures from your worklist")
    return int(value)


# --- the dashboard, systems and projects ---------------------------------------------------------------------


@router.get("/defense")
def dashboard(request: Request, who: VisitorDep) -> Response:
    actor = _agency(who)
    c = _container(request)
    systems = c.defense.list_systems(actor)
    projects = c.defense.list_projects(actor)
    worklist = c.defense.exposures(actor)
    waiting = c.triage.list(actor, status=ProposalStatus.PROPOSED).count
    return render(
        request,
        "defense/dashboard.html",
        who,
        systems=systems,
        projects={s.id: [p for p in projects if p.system_id == s.id] for s in systems},
        worklist=worklist,
        counts=_counts(worklist),
        waiting=waiting,
        exposures=list(SystemExposure),
        impacts=list(MissionImpact),
        show_project=True,
        project_names={p.id: p.name for p in projects},
    )


@router.post("/defense/systems")
def create_system(request: Request, who: VisitorDep, form: FormDep) -> Response:
    actor = checked(request, who, form)
    _agency(who)
    body = parse(
        SystemCreate,
        {
            "name": text(form, "name"),
            "description": text(form, "description"),
            "exposure": text(form, "exposure"),
            "mission_impact": text(form, "mission_impact"),
        },
        labels={"exposure": "system exposure", "mission_impact": "mission and well-being impact"},
    )
    system = _container(request).defense.create_system(actor, body)
    return redirect(f"/defense/systems/{system.id}")


@router.get("/defense/systems/{system_id}")
def system(request: Request, who: VisitorDep, system_id: str) -> Response:
    actor = _agency(who)
    defense = _container(request).defense
    found = defense.get_system(actor, SystemID(system_id))
    projects = defense.list_projects(actor, SystemID(system_id))
    worklist = defense.exposures(actor, system_id=SystemID(system_id))
    return render(
        request,
        "defense/system.html",
        who,
        system=found,
        projects=projects,
        worklist=worklist,
        counts=_counts(worklist),
        show_project=True,
        project_names={p.id: p.name for p in projects},
    )


@router.post("/defense/systems/{system_id}/projects")
def create_project(request: Request, who: VisitorDep, form: FormDep, system_id: str) -> Response:
    actor = checked(request, who, form)
    _agency(who)
    body = parse(ProjectCreate, {"name": text(form, "name")}, labels={"name": "project name"})
    project = _container(request).defense.create_project(actor, SystemID(system_id), body)
    return redirect(f"/defense/projects/{project.id}")


@dataclass(frozen=True, slots=True)
class _Standing:
    """A version's exposure as the advisory database knows it today, after the project's VEX decisions."""

    version: VersionPublic
    matched: int
    open: int
    kev: int


def _standing(
    c: Container, actor: Principal, versions: Sequence[VersionPublic], vex: Sequence[VexPublic]
) -> list[_Standing]:
    """The latest versions' components asked of the ``/v1`` use case (as ``bastion defend scan`` does): how many
    advisories match, how many remain once the project's not_affected/fixed decisions are applied, and how many
    of those are in KEV."""
    suppressing = [s for s in vex if s.status in SUPPRESSING]
    result = []
    for version in sorted(versions, key=lambda v: v.number)[-CHART_VERSIONS:]:
        components = [x for x in c.defense.components(actor, version.id) if x.ecosystem and x.purl]
        purls = sorted({x.purl for x in components if x.purl})
        answers = c.defense.queries.answer([QueryRequest(purl=p) for p in purls], records=True, paged=False).answers
        matched = still_open = kev = 0
        for purl, answer in zip(purls, answers, strict=True):
            if answer.problem is not None:
                continue
            package, _, installed = purl.partition("?")[0].partition("@")
            for record in answer.records:
                matched += 1
                advisory_id = str(record.document.get("id"))
                if any(
                    s.advisory_id == advisory_id and s.package == package and s.version in (None, installed)
                    for s in suppressing
                ):
                    continue
                still_open += 1
                kev += kev_of(record.document) is not None
        result.append(_Standing(version, matched, still_open, kev))
    return result


@router.get("/defense/projects/{project_id}")
def project(request: Request, who: VisitorDep, project_id: str) -> Response:
    actor = _agency(who)
    c = _container(request)
    found = c.defense.get_project(actor, ProjectID(project_id))
    system_found = c.defense.get_system(actor, found.system_id)
    versions = c.defense.versions(actor, ProjectID(project_id))
    everything = c.defense.exposures(actor, project_id=ProjectID(project_id), include_suppressed=True)
    worklist = [e for e in everything if not e.suppressed]
    statements = c.defense.vex_statements(actor, ProjectID(project_id))
    standing = _standing(c, actor, versions, statements)
    points = [
        ExposurePoint(label=s.version.label, at=s.version.created_at, matched=s.matched, open=s.open, kev=s.kev)
        for s in standing
    ]
    return render(
        request,
        "defense/project.html",
        who,
        project=found,
        system=system_found,
        versions=versions,
        worklist=worklist,
        suppressed=[e for e in everything if e.suppressed],
        counts=_counts(worklist),
        statements=statements,
        standing=standing,
        chart=exposure_over_time(points) if points else None,
        exports=EXPORTS,
        max_bytes=_upload_limit(c),
        names=_names(c, actor),
        show_project=False,
        project_names={found.id: found.name},
    )


def _chosen_file(form: FormData, field: str, missing: str, *, hint: str) -> UploadFile:
    """The file sent in ``field``; a clear refusal when none was chosen."""
    item = form.get(field)
    if not isinstance(item, UploadFile) or not item.filename:
        raise InvalidInput(missing, code="invalid_form", hint=hint)
    return item


def _upload_limit(c: Container) -> int:
    """What the upload form takes: the API's upload limit (``api.limits``), at most what an inventory may be."""
    return min(MAX_INVENTORY_BYTES, c.runtime.settings.max_evidence_bytes)


@router.post("/defense/projects/{project_id}/versions", openapi_extra=EVIDENCE_BODY)
async def upload(request: Request, who: VisitorDep, form: FormDep, project_id: str) -> Response:
    actor = checked(request, who, form)
    _agency(who)
    item = _chosen_file(
        form,
        "inventory",
        "choose the SBOM or lockfile to upload",
        hint="CycloneDX or SPDX SBOMs, or a lockfile such as requirements.txt, poetry.lock or package-lock.json",
    )
    data = await item.read()
    fmt = optional(form, "format")
    defense = _container(request).defense
    await run_in_threadpool(
        lambda: defense.upload(
            actor, ProjectID(project_id), data, item.filename or "", label=optional(form, "label"), fmt=fmt
        )
    )
    return redirect(f"/defense/projects/{project_id}#worklist")


@router.get("/defense/projects/{project_id}/vex/{fmt}.json")
def export_vex(request: Request, who: VisitorDep, project_id: str, fmt: str) -> Response:
    actor = _agency(who)
    if fmt not in EXPORTS:
        raise NotFound(f"there is no {fmt} export", hint="export as openvex or cyclonedx")
    document = _container(request).defense.export_vex(actor, ProjectID(project_id), fmt)
    return JSONResponse(document, headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


@router.post("/defense/projects/{project_id}/vex")
def decide(request: Request, who: VisitorDep, form: FormDep, project_id: str) -> Response:
    actor = checked(request, who, form)
    _agency(who)
    body = parse(
        VexDecision,
        {
            "advisory_id": text(form, "advisory_id"),
            "package": text(form, "package"),
            "status": text(form, "status"),
            "justification": optional(form, "justification"),
            "detail": text(form, "detail"),
        },
        labels={"status": "decision", "detail": "statement"},
    )
    if body.status is VexStatus.NOT_AFFECTED and body.justification is None:
        raise InvalidInput(
            "a not affected decision needs a justification",
            code="invalid_form",
            hint="choose why the component is not affected, or record another decision",
        )
    _container(request).defense.decide(actor, ProjectID(project_id), body)
    back = text(form, "back")
    return redirect(back if back.startswith("/defense/exposures/") else f"/defense/projects/{project_id}#vex")


@router.post("/defense/projects/{project_id}/vex/import", openapi_extra=EVIDENCE_BODY)
async def import_vex(request: Request, who: VisitorDep, form: FormDep, project_id: str) -> Response:
    """A vendor's VEX (OpenVEX, CycloneDX VEX, CSAF VEX such as the clearinghouse's): its statements suppress
    what does not apply, in this project or, when asked, in every project of the agency."""
    actor = checked(request, who, form)
    _agency(who)
    item = _chosen_file(
        form, "document", "choose the VEX document to import", hint="an OpenVEX, CycloneDX VEX or CSAF VEX JSON file"
    )
    data = await item.read()
    everywhere = text(form, "scope") == "agency"
    defense = _container(request).defense
    if everywhere:
        defense.get_project(actor, ProjectID(project_id))  # the page it came from must be the agency's own
    await run_in_threadpool(
        lambda: defense.import_vex(actor, data, project_id=None if everywhere else ProjectID(project_id))
    )
    return redirect(f"/defense/projects/{project_id}#vex")


# --- one exposure ---------------------------------------------------------------------------------------------


@router.get("/defense/exposures/{exposure_id}")
def exposure(request: Request, who: VisitorDep, exposure_id: str) -> Response:
    actor = _agency(who)
    c = _container(request)
    found = c.defense.exposure(actor, _exposure_id(exposure_id))
    found_project = c.defense.get_project(actor, found.project_id)
    proposals = c.triage.list(actor, exposure_id=found.id).data
    return render(
        request,
        "defense/exposure.html",
        who,
        e=found,
        project=found_project,
        proposals=proposals,
        statuses=list(VexStatus),
        justifications=list(Justification),
        evidence_kinds=list(EvidenceKind),
    )


@router.post("/defense/exposures/{exposure_id}/triage")
async def ask_assistant(request: Request, who: VisitorDep, form: FormDep, exposure_id: str) -> Response:
    actor = checked(request, who, form)
    _agency(who)
    number = _exposure_id(exposure_id)
    evidence = []
    if text(form, "evidence_text"):
        evidence.append(
            {
                "kind": text(form, "evidence_kind") or EvidenceKind.NOTE.value,
                "name": text(form, "evidence_name") or "evidence",
                "text": text(form, "evidence_text"),
            }
        )
    body = parse(
        TriageRequest,
        {"model": text(form, "model"), "evidence": evidence},
        labels={"model": "model", "evidence.0.kind": "evidence kind", "evidence.0.text": "evidence"},
    )
    triage = _container(request).triage
    try:
        proposal = await run_in_threadpool(triage.propose, actor, number, body)
    except TriageAnswerInvalid as problem:  # recorded: its page says what was wrong
        recorded = problem.details.get("proposal_id")
        if isinstance(recorded, str):
            return redirect(f"/defense/triage/{recorded}")
        raise
    return redirect(f"/defense/triage/{proposal.id}")


# --- triage proposals ------------------------------------------------------------------------------------------


@router.get("/defense/triage")
def proposals(request: Request, who: VisitorDep) -> Response:
    actor = _agency(who)
    found = _container(request).triage.list(actor).data
    return render(
        request,
        "defense/triage_list.html",
        who,
        waiting=[p for p in found if p.status == ProposalStatus.PROPOSED],
        decided=[p for p in found if p.status != ProposalStatus.PROPOSED],
    )


@router.get("/defense/triage/{proposal_id}")
def proposal(request: Request, who: VisitorDep, proposal_id: str) -> Response:
    actor = _agency(who)
    c = _container(request)
    found = c.triage.get(actor, TriageProposalID(proposal_id))
    return render(
        request,
        "defense/triage.html",
        who,
        p=found,
        names=_names(c, actor),
        draft_statuses=list(DraftStatus),
        justifications=JUSTIFICATIONS,
        waiting=found.status in (ProposalStatus.PROPOSED, ProposalStatus.INVALID),
    )


@router.post("/defense/triage/{proposal_id}/confirm")
def confirm(request: Request, who: VisitorDep, form: FormDep, proposal_id: str) -> Response:
    actor = checked(request, who, form)
    _agency(who)
    corrected = None
    if text(form, "vex_status"):
        corrected = {
            "status": text(form, "vex_status"),
            "justification": optional(form, "vex_justification"),
            "detail": text(form, "vex_detail"),
        }
    body = parse(
        TriageConfirm,
        {"note": text(form, "note"), "vex": corrected},
        labels={"vex": "corrected decision", "note": "note"},
    )
    _container(request).triage.confirm(actor, TriageProposalID(proposal_id), body)
    return redirect(f"/defense/triage/{proposal_id}")


@router.post("/defense/triage/{proposal_id}/reject")
def reject(request: Request, who: VisitorDep, form: FormDep, proposal_id: str) -> Response:
    actor = checked(request, who, form)
    _agency(who)
    body = parse(TriageReject, {"note": text(form, "note")})
    _container(request).triage.reject(actor, TriageProposalID(proposal_id), body)
    return redirect(f"/defense/triage/{proposal_id}")


# --- programme-wide counts ------------------------------------------------------------------------------------


@router.get("/defense/programme")
def programme(request: Request, who: VisitorDep) -> Response:
    """Counts over every agency, for agencies and programme administrators: never an agency's name or records."""
    actor = who.require()
    figures = _container(request).defense.statistics(actor)
    counts = {d.value: figures.by_decision.get(d.value, 0) for d in SsvcDecision}
    return render(
        request, "defense/programme.html", who, figures=figures, counts=counts, agency=actor.org_kind is OrgKind.AGENCY
    )


# --- alert settings -----------------------------------------------------------------------------------------


@router.get("/defense/alerts")
def alerts(request: Request, who: VisitorDep, saved: str | None = None) -> Response:
    actor = _agency(who)
    service = _container(request).defense_alerts
    settings = service.settings(actor)
    recent = service.list(actor, limit=50).data
    return render(request, "defense/alerts.html", who, settings=settings, alerts=recent, saved=saved == "1")


@router.post("/defense/alerts")
def configure_alerts(request: Request, who: VisitorDep, form: FormDep) -> Response:
    actor = checked(request, who, form)
    _agency(who)
    body = parse(
        AlertSettingsUpdate,
        {
            "enabled": text(form, "enabled") == "on",
            "webhook_url": optional(form, "webhook_url"),
            "webhook_secret": optional(form, "webhook_secret"),
            "emails": split_list(text(form, "emails")),
        },
        labels={"webhook_url": "webhook URL", "webhook_secret": "webhook secret", "emails": "e-mail recipients"},
    )
    _container(request).defense_alerts.configure(actor, body)
    return redirect("/defense/alerts?saved=1")
