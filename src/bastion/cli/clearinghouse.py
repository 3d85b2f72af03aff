"""``bastion clearinghouse``: submit reports (by options, a JSON file, SARIF or OSV), follow them, run the
sandbox worker, and the analysts' queue. Cases, vendors, fixes and publication are in ``clearinghouse_cases``.
Every command acts as the principal behind ``BASTION_TOKEN`` (``tick`` and ``work`` run as Bastion itself).
Records print as JSON."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shlex
import tarfile
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError

from bastion.clearinghouse import (
    AffectedRange,
    Clearinghouse,
    Decision,
    Level,
    MoreInformation,
    ReportDecision,
    ReportStatus,
    ReportSubmission,
    SarifProduct,
    invalid,
)
from bastion.cli import context
from bastion.cli.auth import current_principal
from bastion.cli.exits import ExitCode
from bastion.core.ids import FindingID, ReportID
from bastion.core.principal import Principal

app = typer.Typer(
    help="The AI cybersecurity clearinghouse: reports, validation, cases with vendors, fixes, publication.",
    no_args_is_help=True,
)

T = TypeVar("T", bound=BaseModel)
FileOpt = Annotated[list[Path] | None, typer.Option("--repro-file", help="A file of the reproducer (repeatable).")]


def ch_and_actor() -> tuple[Clearinghouse, Principal]:
    return context.container().clearinghouse, current_principal()


def emit(record: BaseModel | list[Any] | dict[str, Any]) -> None:
    if isinstance(record, BaseModel):
        context.print_json(record.model_dump_json())
    else:
        context.print_json(json.dumps(record, default=str))


def parse_body(model: type[T], data: Any) -> T:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise invalid(f"{where}: {first['msg']}", hint="see `bastion clearinghouse submit --help`") from e


def file_entry(path: Path, name: str | None = None) -> dict[str, str]:
    if not path.is_file():
        raise invalid(f"{path} is not a file")
    return {"name": name or path.name, "content": base64.b64encode(path.read_bytes()).decode()}


def target_entry(path: Path, build: str | None, test: str | None) -> dict[str, Any]:
    """A target from a path: a directory is packed as a .tar.gz here (it is unpacked inside the sandbox); a file
    ending in an archive suffix is sent as is; any other file is sent as a single-file target."""
    if path.is_dir():
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            for item in sorted(path.rglob("*")):
                if item.is_file():
                    tar.add(item, arcname=str(item.relative_to(path)))
        archive = {"name": f"{path.name}.tar.gz", "content": base64.b64encode(buffer.getvalue()).decode()}
        entry: dict[str, Any] = {"kind": "archive", "archive": archive}
    elif path.name.endswith((".tar.gz", ".tgz", ".tar", ".zip", ".tar.xz", ".tar.bz2", ".whl")):
        entry = {"kind": "archive", "archive": file_entry(path)}
    else:
        entry = {"kind": "files", "files": [file_entry(path)]}
    if build:
        entry["build"] = shlex.split(build)
    if test:
        entry["test"] = shlex.split(test)
    return entry


def signal_entry(text: str) -> dict[str, str | None]:
    kind, _, value = text.partition(":")
    return {"kind": kind.strip(), "value": value or None}


@app.command("submit")
def submit(  # noqa: PLR0917 - one option per field of a report
    title: Annotated[str | None, typer.Option("--title", help="One line naming the flaw.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="What is wrong, and its impact.")] = None,
    purl: Annotated[str | None, typer.Option("--purl", help="The product's package URL, e.g. pkg:pypi/name.")] = None,
    cpe: Annotated[str | None, typer.Option("--cpe", help="The product's CPE 2.3 name.")] = None,
    introduced: Annotated[str, typer.Option("--introduced", help="First affected version (0: all).")] = "0",
    fixed: Annotated[str | None, typer.Option("--fixed", help="First fixed version, if known.")] = None,
    cwe: Annotated[str | None, typer.Option("--cwe", help="The weakness, e.g. CWE-787.")] = None,
    cvss: Annotated[str | None, typer.Option("--cvss", help="A CVSS 3.1 or 4.0 vector.")] = None,
    alias: Annotated[list[str] | None, typer.Option("--alias", help="A CVE/GHSA/OSV id (repeatable).")] = None,
    file_name: Annotated[str | None, typer.Option("--location-file", help="The flawed file.")] = None,
    function: Annotated[str | None, typer.Option("--location-function", help="The flawed function.")] = None,
    repro_file: FileOpt = None,
    repro_cmd: Annotated[
        str | None, typer.Option("--repro-cmd", help="The reproducer's command, run in /workspace (shell words).")
    ] = None,
    signal: Annotated[
        str | None,
        typer.Option(
            "--signal",
            help="The expected signal: crash, sanitizer[:bug-type], output_marker:TEXT or exit_code:N.",
        ),
    ] = None,
    target: Annotated[
        Path | None, typer.Option("--target", help="The vulnerable target: a source directory, archive or file.")
    ] = None,
    build: Annotated[str | None, typer.Option("--build", help="The target's build command (in its directory).")] = None,
    test: Annotated[str | None, typer.Option("--test", help="The target's own test command.")] = None,
    fixed_target: Annotated[
        Path | None, typer.Option("--fixed-target", help="The declared fixed version, built the same way.")
    ] = None,
    from_json: Annotated[
        Path | None,
        typer.Option("--report-file", help="A whole report as a JSON file (the API's body) instead of options."),
    ] = None,
    client_key: Annotated[
        str | None, typer.Option("--client-key", help="Your idempotency key (default: derived from the content).")
    ] = None,
) -> None:
    """Submit one report; prints its acknowledgement with the tracking id."""
    ch, actor = ch_and_actor()
    if from_json is not None:
        report: dict[str, Any] = json.loads(from_json.read_text(encoding="utf-8"))
    else:
        report = {
            "title": title,
            "description": description,
            "purl": purl,
            "cpe": cpe,
            "affected": {"introduced": introduced, "fixed": fixed},
            "cwe": cwe,
            "cvss_vector": cvss,
            "aliases": alias or [],
        }
        if file_name or function:
            report["location"] = {"file": file_name, "function": function}
        if repro_cmd:
            report["reproducer"] = {
                "files": [file_entry(p) for p in repro_file or []],
                "command": shlex.split(repro_cmd),
                "signal": signal_entry(signal or "crash"),
            }
        if target is not None:
            report["target"] = target_entry(target, build, test)
        if fixed_target is not None:
            report["fixed_target"] = target_entry(fixed_target, build, test)
    key = client_key or hashlib.sha256(json.dumps(report, sort_keys=True).encode()).hexdigest()[:32]
    emit(ch.intake.submit(actor, parse_body(ReportSubmission, {"client_key": key, "report": report})))


@app.command("submit-sarif")
def submit_sarif(  # noqa: PLR0917 - Typer maps each option to a parameter
    sarif: Annotated[Path, typer.Argument(help="A SARIF 2.1.0 log (bandit -f sarif, semgrep --sarif, CodeQL).")],
    purl: Annotated[str | None, typer.Option("--purl", help="The scanned product's package URL.")] = None,
    cpe: Annotated[str | None, typer.Option("--cpe", help="The scanned product's CPE 2.3 name.")] = None,
    introduced: Annotated[str, typer.Option("--introduced", help="First affected version (0: all).")] = "0",
    fixed: Annotated[str | None, typer.Option("--fixed", help="First fixed version, if known.")] = None,
    min_level: Annotated[
        str, typer.Option("--min-level", help="Lowest result level: note, warning, error.")
    ] = "warning",
    client_key: Annotated[str | None, typer.Option("--client-key", help="Your idempotency key.")] = None,
) -> None:
    """One SARIF upload makes a report per result."""
    ch, actor = ch_and_actor()
    data = sarif.read_bytes()
    document = json.loads(data)
    product = SarifProduct(
        purl=purl, cpe=cpe, affected=parse_body(AffectedRange, {"introduced": introduced, "fixed": fixed})
    )
    key = client_key or hashlib.sha256(data).hexdigest()[:32]
    emit(
        ch.intake.submit_sarif(
            actor, client_key=key, document=document, product=product, min_level=Level.parse(min_level)
        )
    )


@app.command("submit-osv")
def submit_osv(
    records: Annotated[list[Path], typer.Argument(help="OSV records (JSON files, each a record or a list).")],
    client_key: Annotated[str | None, typer.Option("--client-key", help="Your idempotency key.")] = None,
) -> None:
    """OSV records as reports (their ids become the reports' aliases)."""
    ch, actor = ch_and_actor()
    loaded: list[dict[str, Any]] = []
    for path in records:
        value = json.loads(path.read_text(encoding="utf-8"))
        loaded += value if isinstance(value, list) else [value]
    key = client_key or hashlib.sha256(json.dumps(loaded, sort_keys=True).encode()).hexdigest()[:32]
    emit(ch.intake.submit_osv(actor, client_key=key, records=loaded))


@app.command("flag-finding")
def flag_finding(
    finding_id: Annotated[str, typer.Argument(help="A review finding flagged for the clearinghouse.")],
    release_reason: Annotated[
        str | None, typer.Option("--release-reason", help="The release decision, for a finding above CUI.")
    ] = None,
    purl: Annotated[str | None, typer.Option("--purl", help="The product, if the finding names none.")] = None,
    cpe: Annotated[str | None, typer.Option("--cpe", help="The product's CPE 2.3 name.")] = None,
) -> None:
    """A review finding becomes a clearinghouse report (it keeps its marking)."""
    ch, actor = ch_and_actor()
    emit(ch.intake.flag_finding(actor, FindingID(finding_id), release_reason=release_reason, purl=purl, cpe=cpe))


@app.command("reports")
def reports(
    status: Annotated[ReportStatus | None, typer.Option("--status", help="Only reports in this status.")] = None,
    q: Annotated[str | None, typer.Option("--q", help="Search titles and descriptions.")] = None,
    mine: Annotated[bool, typer.Option("--mine", help="Only your own reports.")] = False,
) -> None:
    """Reports you may see (analysts: the queue)."""
    ch, actor = ch_and_actor()
    emit(ch.reports.list(actor, status=status, q=q, mine=mine))


@app.command("report")
def report(report_id: Annotated[str, typer.Argument(help="The report's tracking id.")]) -> None:
    """One report with its validations (the evidence)."""
    ch, actor = ch_and_actor()
    emit(ch.reports.get(actor, ReportID(report_id)))


@app.command("decide")
def decide(
    report_id: Annotated[str, typer.Argument(help="The report's tracking id.")],
    decision: Annotated[
        Decision, typer.Option("--decision", help="accept (opens a case), reject, not_duplicate, revalidate.")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")],
) -> None:
    """An analyst's decision on a report."""
    ch, actor = ch_and_actor()
    emit(ch.reports.decide(actor, ReportID(report_id), ReportDecision(decision=decision, reason=reason)))


@app.command("add-info")
def add_info(  # noqa: PLR0917 - Typer maps each option to a parameter
    report_id: Annotated[str, typer.Argument(help="The report's tracking id.")],
    repro_file: FileOpt = None,
    repro_cmd: Annotated[str | None, typer.Option("--repro-cmd", help="The reproducer's command.")] = None,
    signal: Annotated[str, typer.Option("--signal", help="The expected signal (see submit).")] = "crash",
    target: Annotated[Path | None, typer.Option("--target", help="The vulnerable target.")] = None,
    build: Annotated[str | None, typer.Option("--build", help="The target's build command.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Words added to the description.")] = None,
) -> None:
    """Complete a report that needs information; it is validated again."""
    ch, actor = ch_and_actor()
    body: dict[str, Any] = {"note": note}
    if repro_cmd:
        body["reproducer"] = {
            "files": [file_entry(p) for p in repro_file or []],
            "command": shlex.split(repro_cmd),
            "signal": signal_entry(signal),
        }
    if target is not None:
        body["target"] = target_entry(target, build, None)
    emit(ch.reports.add_information(actor, ReportID(report_id), parse_body(MoreInformation, body)))


@app.command("work")
def work(
    forever: Annotated[bool, typer.Option("--forever", help="Keep waiting for new jobs until stopped.")] = False,
) -> int:
    """Run queued sandbox validations and AI-patcher jobs until none is left."""
    import signal as signals
    import threading

    runner = context.container().clearinghouse.worker()
    if forever:
        stop = threading.Event()
        previous = signals.signal(signals.SIGTERM, lambda *_: stop.set())
        try:
            runner.run_forever(stop)
        finally:
            signals.signal(signals.SIGTERM, previous)
        return ExitCode.OK
    done = runner.run_until_idle()
    failed = [j for j in done if j.status.value == "failed"]
    emit([{"job": j.id, "kind": j.kind, "status": j.status.value, "result": j.result, "error": j.error} for j in done])
    return ExitCode.OPERATIONAL if failed else ExitCode.OK


@app.command("tick")
def tick() -> None:
    """Run the clock: SLA reminders and escalations, embargo reminders, publication when an embargo ends."""
    emit(context.container().clearinghouse.operations.tick())


def register(root: typer.Typer) -> None:
    """Add ``bastion clearinghouse``; ``cli.clearinghouse_cases`` adds the case commands to ``app``."""
    root.add_typer(app, name="clearinghouse")
