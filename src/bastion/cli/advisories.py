"""Commands of the vulnerability database: import, query, serve, and ``up`` (import then serve)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

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
from rich.text import Text

from bastion.advisories import (
    KEV_KEY,
    ImportReport,
    PackageQuery,
    Problem,
    QueryRequest,
    fixed_versions,
)
from bastion.cli import context
from bastion.cli.exits import ExitCode
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
    sources = _import_epss(sources)
    report = run_import(sources) if sources else ImportReport()
    if as_json:
        context.print_json(json.dumps(report.as_dict()))
    else:
        print_report(report)
    return ExitCode.FINDINGS if report.failed else ExitCode.OK


def _import_epss(sources: list[str]) -> list[str]:
    """Import the local files among ``sources`` that are FIRST's EPSS CSV; the other sources."""
    from bastion.defense.epss import looks_like_epss

    rest = []
    for source in sources:
        path = Path(source)
        if path.is_file() and path.suffix in (".csv", ".gz") and looks_like_epss(path.read_bytes()):
            count = context.container().defense.import_epss(path.read_bytes())
            context.console.print(f"EPSS: {count} scores imported from {path.name}")
        else:
            rest.append(source)
    return rest


def run_import(sources: list[str]) -> ImportReport:
    importer = context.container().advisory_importer  # tells defense which packages changed
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


# How to fix each query problem in this command's terms (the domain's own hint is used otherwise).
QUERY_HINTS: dict[Problem, str] = {
    Problem.NO_ECOSYSTEM: "add --ecosystem (e.g. -e PyPI), or give a purl such as pkg:pypi/NAME@VERSION",
    Problem.NO_NAME: "give the package name, or a purl such as pkg:pypi/NAME@VERSION",
    Problem.NO_PACKAGE: "give the package name with --ecosystem, or a purl such as pkg:pypi/NAME@VERSION",
    Problem.PURL_WITH_NAME: "a purl names its ecosystem: drop --ecosystem",
    Problem.VERSION_TWICE: "give the version once: in the purl (pkg:pypi/NAME@VERSION) or as the VERSION argument",
}
SUMMARY_WIDTH = 80


def query_command(
    package: Annotated[str, typer.Argument(metavar="PACKAGE", help="A purl (pkg:pypi/jinja2@2.4.1) or a name.")],
    version: Annotated[
        str | None, typer.Argument(metavar="VERSION", help="The version to check (default: every version).")
    ] = None,
    ecosystem: Annotated[
        str | None, typer.Option("--ecosystem", "-e", metavar="ECOSYSTEM", help="With a name: PyPI, npm, crates.io...")
    ] = None,
) -> int:
    """Which advisories affect a package version. Exit code 1 when any do."""
    is_purl = package.startswith("pkg:")
    request = QueryRequest(
        version=version,
        name=None if is_purl else package,
        ecosystem=ecosystem,
        purl=package if is_purl else None,
    )
    answer = context.container().osv_queries.answer([request], records=True, paged=False).answers[0]
    if answer.problem is not None:
        problem = answer.problem
        raise InvalidInput(problem.message, code=problem.code, hint=QUERY_HINTS.get(problem.problem) or problem.hint)
    assert isinstance(answer.query, PackageQuery)  # a name or a purl is a package query
    shown = _describe(answer.query)
    if not answer.records:
        context.console.print(f"no known advisories affect {shown}", highlight=False, markup=False)
        return ExitCode.OK
    table = Table(title=Text(f"{len(answer.records)} advisories affect {shown}"))
    for column in ("id", "aliases", "fixed in", "summary", "known exploited"):
        table.add_column(column, overflow="fold" if column == "summary" else "ellipsis")
    for record in answer.records:
        document = record.document
        exploited = "yes" if KEV_KEY in (document.get("database_specific") or {}) else ""
        fixed = ", ".join(fixed_versions(document, answer.query))
        aliases = ", ".join(document.get("aliases") or [])
        table.add_row(*(Text(cell) for cell in (document["id"], aliases, fixed, _headline(document), exploited)))
    context.console.print(table)
    return ExitCode.FINDINGS


def _describe(query: PackageQuery) -> str:
    if query.version is None:
        return f"any version of {query.name} ({query.ecosystem})"
    return f"{query.name} {query.version} ({query.ecosystem})"


def _headline(document: dict[str, Any]) -> str:
    """The summary, or else the first line of the details, cut at a word with an ellipsis when long."""
    text = str(document.get("summary") or document.get("details") or "").strip()
    line = text.splitlines()[0].strip() if text else ""
    if len(line) <= SUMMARY_WIDTH:
        return line
    cut = line[: SUMMARY_WIDTH - 1].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return cut + "\u2026"


def stats_command() -> None:
    """What the database holds."""
    stats = context.container().advisories.stats()
    context.console.print(
        f"{stats.advisories} advisories ({stats.withdrawn} withdrawn), {stats.affected_packages} affected "
        f"packages, {stats.kev_entries} KEV entries"
    )
    for ecosystem, count in stats.ecosystems.items():
        context.console.print(f"  {ecosystem}: {count}")


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.command("query")(query_command)
    app.command("stats")(stats_command)
