"""``bastion defend``: agencies' systems, projects, inventory uploads, the worklist, VEX, programme counts, and
``scan`` (offline, against the local advisory database, like osv-scanner: exit 1 when something is found).

Every command but ``scan`` acts as the principal behind ``BASTION_TOKEN``."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.table import Table
from typer.core import TyperGroup

from bastion.cli import context
from bastion.cli.auth import current_principal
from bastion.cli.lazy import commands_of, lazy_group
from bastion.core.errors import InvalidInput
from bastion.core.ids import ProjectID, SystemID, VersionID
from bastion.defense.records import (
    Justification,
    MissionImpact,
    ProjectCreate,
    SystemCreate,
    SystemExposure,
    VexDecision,
    VexStatus,
)
from bastion.defense.scan import ScanReport, cyclonedx, sarif, scan

SystemIdArg = Annotated[str, typer.Argument(help="The system's id (see `bastion defend systems`).")]
ProjectIdArg = Annotated[str, typer.Argument(help="The project's id (see `bastion defend projects`).")]


@cache
def _alerts_and_triage() -> TyperGroup:
    from bastion.cli import defense_alerts

    return commands_of(defense_alerts.register, {"alerts", "triage"})


app = typer.Typer(
    help="Defensive tools for agencies: inventories, exposure, SSVC priorities, VEX, scan.",
    no_args_is_help=True,
    cls=lazy_group({"alerts": _alerts_and_triage, "triage": _alerts_and_triage}),  # loaded when used
)
OUTPUTS = ("table", "json", "sarif", "cyclonedx")


def _emit(record: BaseModel | list[Any] | dict[str, Any]) -> None:
    if isinstance(record, BaseModel):
        context.print_json(record.model_dump_json())
    elif isinstance(record, list):
        context.print_json(json.dumps([r.model_dump(mode="json") if isinstance(r, BaseModel) else r for r in record]))
    else:
        context.print_json(json.dumps(record, default=str))


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file", hint="give the path of an SBOM or lockfile")
    return path.read_bytes()


@app.command("scan")
def scan_command(
    file: Annotated[Path, typer.Argument(help="An SBOM (CycloneDX, SPDX) or lockfile.")],
    output: Annotated[str, typer.Option("--output", "-o", help="table, json, sarif or cyclonedx (VEX).")] = "table",
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="Force the input format (cyclonedx-json, spdx-json, poetry.lock...); else detected."
        ),
    ] = None,
) -> int:
    """Scan FILE against the local advisory database (no network). Exit 1 when something actionable is found."""
    if output not in OUTPUTS:
        raise InvalidInput(f"unknown output {output!r}", hint="use one of: " + ", ".join(OUTPUTS))
    report = scan(context.container().osv_queries, _read(file), file.name, fmt)
    if output == "json":
        context.print_json(json.dumps(report.as_dict()))
    elif output == "sarif":
        context.print_json(json.dumps(sarif(report)))
    elif output == "cyclonedx":
        context.print_json(json.dumps(cyclonedx(report)))
    else:
        _table(report)
    return 1 if report.actionable else 0


def _table(report: ScanReport) -> None:
    table = Table(title=f"{report.filename}: {report.components} components, {len(report.findings)} findings")
    for column in ("package", "version", "advisory", "severity", "KEV", "fixed", "upgrade to"):
        table.add_column(column)
    for f in report.findings:
        table.add_row(
            f.name,
            f.version,
            f.advisory_id,
            f"{f.severity.score} {f.severity.rating}" if f.severity else "-",
            f"due {f.kev.due_date}" if f.kev else "",
            ", ".join(f.fixed_versions) or "-",
            f.upgrade_to or "-",
        )
    context.console.print(table)
    for problem in report.problems:
        context.err_console.print(f"[yellow]{problem['purl']}: {problem['problem']}[/]")


@app.command("system-add")
def system_add(
    name: Annotated[str, typer.Argument(help="The system's name.")],
    exposure: Annotated[SystemExposure, typer.Option(help="SSVC system exposure.")],
    mission_impact: Annotated[MissionImpact, typer.Option(help="SSVC mission & well-being impact.")],
    description: Annotated[str, typer.Option(help="What the system is for.")] = "",
) -> None:
    """Register a system of your agency."""
    body = SystemCreate(name=name, exposure=exposure, mission_impact=mission_impact, description=description)
    _emit(context.container().defense.create_system(current_principal(), body))


@app.command("systems")
def systems() -> None:
    """Your agency's systems."""
    _emit(context.container().defense.list_systems(current_principal()))


@app.command("project-add")
def project_add(system_id: SystemIdArg, name: Annotated[str, typer.Argument(help="The project's name.")]) -> None:
    """Register a project in a system."""
    _emit(
        context.container().defense.create_project(current_principal(), SystemID(system_id), ProjectCreate(name=name))
    )


@app.command("projects")
def projects(system_id: Annotated[str | None, typer.Option(help="Only this system's.")] = None) -> None:
    """Your agency's projects."""
    _emit(
        context.container().defense.list_projects(
            current_principal(), None if system_id is None else SystemID(system_id)
        )
    )


@app.command("upload")
def upload(
    project_id: ProjectIdArg,
    file: Annotated[Path, typer.Argument(help="The SBOM (CycloneDX, SPDX) or lockfile to read.")],
    label: Annotated[str | None, typer.Option(help="The version's name.")] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="Force the input format (cyclonedx-json, spdx-json, poetry.lock...); else detected."
        ),
    ] = None,
) -> None:
    """Upload an SBOM or lockfile as the project's next version."""
    _emit(
        context.container().defense.upload(
            current_principal(), ProjectID(project_id), _read(file), file.name, label=label, fmt=fmt
        )
    )


@app.command("versions")
def versions(project_id: ProjectIdArg) -> None:
    """The project's versions, newest first."""
    _emit(context.container().defense.versions(current_principal(), ProjectID(project_id)))


@app.command("components")
def components(
    version_id: Annotated[str, typer.Argument(help="The version's id (see `bastion defend versions`).")],
) -> None:
    """A version's components."""
    _emit(context.container().defense.components(current_principal(), VersionID(version_id)))


@app.command("exposures")
def exposures(
    system_id: Annotated[str | None, typer.Option(help="Only this system's.")] = None,
    project_id: Annotated[str | None, typer.Option(help="Only this project's.")] = None,
    include_suppressed: Annotated[bool, typer.Option(help="Also what VEX says does not apply.")] = False,
) -> None:
    """The worklist: exposures, most urgent first (SSVC decision, KEV, EPSS, CVSS)."""
    found = context.container().defense.exposures(
        current_principal(),
        system_id=None if system_id is None else SystemID(system_id),
        project_id=None if project_id is None else ProjectID(project_id),
        include_suppressed=include_suppressed,
    )
    _emit(found)


@app.command("vex-decide")
def vex_decide(  # noqa: PLR0917 - one option per field of the decision
    project_id: ProjectIdArg,
    advisory_id: Annotated[str, typer.Argument(help="The advisory's id or alias (e.g. a CVE).")],
    package: Annotated[str, typer.Argument(help="The package's purl (any version).")],
    status: Annotated[VexStatus, typer.Option(help="The analysis state.")],
    justification: Annotated[
        Justification | None, typer.Option(help="Why it does not apply (needed with not_affected).")
    ] = None,
    detail: Annotated[str, typer.Option(help="A statement in your own words.")] = "",
) -> None:
    """Record a VEX decision for a project (kept across its later versions)."""
    body = VexDecision(
        advisory_id=advisory_id, package=package, status=status, justification=justification, detail=detail
    )
    _emit(context.container().defense.decide(current_principal(), ProjectID(project_id), body))


@app.command("vex-export")
def vex_export(
    project_id: ProjectIdArg,
    fmt: Annotated[str, typer.Option("--format", help="openvex or cyclonedx.")] = "openvex",
) -> None:
    """Export the project's VEX."""
    _emit(context.container().defense.export_vex(current_principal(), ProjectID(project_id), fmt))


@app.command("vex-import")
def vex_import(
    file: Annotated[Path, typer.Argument(help="The VEX document to read.")],
    project_id: Annotated[str | None, typer.Option(help="Apply to this project only.")] = None,
) -> None:
    """Import a vendor's VEX (OpenVEX, CycloneDX VEX, CSAF VEX such as the clearinghouse's)."""
    _emit(
        context.container().defense.import_vex(
            current_principal(), _read(file), project_id=None if project_id is None else ProjectID(project_id)
        )
    )


@app.command("stats")
def stats() -> None:
    """Programme-wide counts (no agency identified)."""
    _emit(context.container().defense.statistics(current_principal()))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="defend")
