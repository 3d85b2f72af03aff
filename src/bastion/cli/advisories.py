"""Commands of the vulnerability database: import, query, serve, and ``up`` (import then serve)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from bastion.advisories.importer import AdvisoryImporter
from bastion.advisories.query import PackageQuery, QueryService
from bastion.advisories.report import ImportReport
from bastion.advisories.service import AdvisoryService
from bastion.cli import context
from bastion.core.errors import InvalidInput

MAX_LISTED_FAILURES = 50


def import_command(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Directories or zips of OSV JSON/YAML records, OSV all.zip URLs, or the CISA KEV catalogue JSON."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> int:
    """Import advisories. Bad records are reported and skipped; re-imports change only what changed.

    Exit code 0 when every record imported, 1 when some were rejected (they are listed)."""
    report = run_import(sources)
    if as_json:
        context.console.print_json(json.dumps(report.as_dict()))
    else:
        print_report(report)
    return 1 if report.failed else 0


def run_import(sources: list[str]) -> ImportReport:
    rt = context.runtime()
    importer = AdvisoryImporter(rt.database, rt.clock)
    if not context.err_console.is_terminal:
        return importer.import_sources(sources)
    columns = (
        SpinnerColumn(),
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=context.err_console, transient=True) as progress:
        task = progress.add_task("import", total=None)
        return importer.import_sources(sources, progress=lambda n: progress.advance(task, n))


def print_report(report: ImportReport) -> None:
    table = Table(title="Import summary", show_header=True)
    for column in ("imported", "updated", "unchanged", "failed"):
        table.add_column(column, justify="right")
    table.add_row(str(report.imported), str(report.updated), str(report.unchanged), str(report.failed))
    context.console.print(table)
    if report.kev_imported or report.kev_updated or report.kev_unchanged:
        context.console.print(
            f"KEV catalogue: {report.kev_imported} imported, {report.kev_updated} updated, "
            f"{report.kev_unchanged} unchanged"
        )
    for problem in report.failures[:MAX_LISTED_FAILURES]:
        context.err_console.print(
            f"[red]rejected[/] {escape(problem.record_id or '(no id)')} in {escape(problem.source)} "
            f"({escape(problem.file)}): {escape(problem.reason)}",
            highlight=False,
        )
    if len(report.failures) > MAX_LISTED_FAILURES:
        context.err_console.print(f"... and {len(report.failures) - MAX_LISTED_FAILURES} more (use --json)")
    for problem in report.warnings[:MAX_LISTED_FAILURES]:
        context.err_console.print(
            f"[yellow]warning[/] {escape(problem.record_id or '(no id)')} in {escape(problem.source)} "
            f"({escape(problem.file)}): {escape(problem.reason)}",
            highlight=False,
        )


def query_command(
    package: Annotated[str, typer.Argument(help="A purl (pkg:pypi/jinja2@2.4.1) or a package name.")],
    version: Annotated[str | None, typer.Option("--version", "-v", help="The version to check.")] = None,
    ecosystem: Annotated[str | None, typer.Option("--ecosystem", "-e", help="e.g. PyPI, npm, crates.io.")] = None,
) -> int:
    """Which advisories affect a package version. Exit code 1 when any do."""
    is_purl = package.startswith("pkg:")
    if not is_purl and not ecosystem:
        raise InvalidInput("--ecosystem is required with a package name", hint="or give a purl: pkg:pypi/NAME@VER")
    query = PackageQuery.build(
        ecosystem=None if is_purl else ecosystem,
        name=None if is_purl else package,
        purl=package if is_purl else None,
        version=version,
    )
    rt = context.runtime()
    matches = QueryService(rt.database).match_many([query])[0]
    documents = AdvisoryService(rt.database).documents([vuln_id for vuln_id, _ in matches])
    if not matches:
        context.console.print(f"no known advisories affect {package} {query.version or ''}".rstrip())
        return 0
    shown = package if is_purl or not query.version else f"{package} {query.version}"
    table = Table(title=f"{len(matches)} advisories affect {shown if query.version else package + ' (any version)'}")
    for column in ("id", "aliases", "summary", "known exploited"):
        table.add_column(column)
    for vuln_id, _ in matches:
        document = documents[vuln_id]
        exploited = "yes" if "bastion_known_exploited" in (document.get("database_specific") or {}) else ""
        table.add_row(
            escape(vuln_id), escape(", ".join(document.get("aliases") or [])), escape(_headline(document)), exploited
        )
    context.console.print(table)
    return 1


def _headline(document: dict[str, object]) -> str:
    text = str(document.get("summary") or document.get("details") or "")
    return text.strip().splitlines()[0][:80] if text.strip() else ""


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (use >1 with PostgreSQL).")] = 1,
) -> None:
    """Serve the API: OSV-compatible /v1, Bastion's /api, docs at /docs."""
    import uvicorn

    from bastion.api.app import create_app

    create_app(context.container())  # migrate first; fail here, clearly, on a bad database URL or policy file
    context.console.print(f"Bastion API on http://{host}:{port} (docs: http://{host}:{port}/docs)")
    uvicorn.run("bastion.api.asgi:app", host=host, port=port, workers=workers, factory=False, log_level="info")


def up_command(
    sources: Annotated[
        list[str] | None,
        typer.Argument(help="What to import first (default: OSV's public exports, BASTION_OSV_SOURCES)."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """The main job: import advisories into the database, then serve the API."""
    rt = context.runtime()
    chosen = list(sources or rt.settings.osv_sources)
    context.console.print(f"importing {len(chosen)} source(s) into {rt.database.dialect} database")
    print_report(run_import(chosen))
    serve_command(host=host, port=port)


def stats_command() -> None:
    """What the database holds."""
    stats = AdvisoryService(context.runtime().database).stats()
    context.console.print(
        f"{stats.advisories} advisories ({stats.withdrawn} withdrawn), {stats.affected_packages} affected "
        f"packages, {stats.kev_entries} KEV entries"
    )
    for ecosystem, count in stats.ecosystems.items():
        context.console.print(f"  {ecosystem}: {count}")


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.command("query")(query_command)
    app.command("serve")(serve_command)
    app.command("up")(up_command)
    app.command("stats")(stats_command)
