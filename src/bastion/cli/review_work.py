"""``bastion review ...`` (continued): findings, evidence, evaluation results, reports, the outbox and the
scheduler tick; and ``bastion demo``."""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Annotated

import typer

from bastion.cli import context
from bastion.cli.review import AsJson, ReviewId, body_of, emit, programme_and_actor, review, table
from bastion.core.ids import EvidenceID, FindingID, OutboxMessageID, ReviewID
from bastion.core.principal import Classification
from bastion.review import (
    FindingCreate,
    FindingsPublic,
    FindingStatus,
    FindingUpdate,
    FocusArea,
    ReportFormat,
    ReportVariant,
    ResponseCreate,
    Severity,
    invalid,
    seed_demo,
)
from bastion.review.demo import DEMO_DOMAIN

ClassificationOpt = Annotated[str, typer.Option("--classification", help="Its marking, e.g. CUI, SECRET.")]
FindingId = Annotated[str, typer.Argument(help="The finding's id (see `bastion review findings`).")]


def _level(value: str) -> Classification:
    try:
        return Classification.parse(value)
    except ValueError as e:
        raise invalid(str(e), field="classification") from None


def _text(value: str | None, path: Path | None, what: str) -> str | None:
    if path is None:
        return value
    try:
        return path.read_text("utf-8")
    except OSError as e:
        raise invalid(f"cannot read the {what} file {path}: {e.strerror}") from e


def _print_findings(result: FindingsPublic, as_json: bool) -> None:
    if as_json:
        emit(result)
        return
    rows = [[f.id, f.title[:60], f.focus_area, f.severity, f.classification.name, f.status] for f in result.data]
    table(f"{result.count} findings", ["id", "title", "focus area", "severity", "class.", "status"], rows)


def findings(
    review_id: ReviewId,
    status: Annotated[FindingStatus | None, typer.Option(help="Only findings in this state.")] = None,
    as_json: AsJson = False,
) -> None:
    """List the findings of a review that you may see."""
    programme, actor = programme_and_actor()
    _print_findings(programme.findings.list_for_review(actor, ReviewID(review_id), status=status), as_json)


def add_finding(
    review_id: ReviewId,
    *,
    title: Annotated[str, typer.Option(help="A one-line title.")],
    focus: Annotated[FocusArea, typer.Option(help="The focus area it belongs to.")],
    severity: Annotated[Severity, typer.Option(help="How severe it is.")],
    classification: ClassificationOpt,
    description: Annotated[
        str | None, typer.Option(help="What was found, in Markdown (required, or --description-file).")
    ] = None,
    description_file: Annotated[Path | None, typer.Option(help="Read the description (Markdown) from a file.")] = None,
    for_clearinghouse: Annotated[bool, typer.Option(help="A concrete software flaw for the clearinghouse.")] = False,
) -> None:
    """Record a finding (assigned evaluators). It starts as a draft."""
    programme, actor = programme_and_actor()
    body = body_of(
        FindingCreate,
        {
            "title": title,
            "focus_area": focus,
            "severity": severity,
            "classification": classification,
            "description": _text(description, description_file, "description"),
            "for_clearinghouse": for_clearinghouse,
        },
    )
    emit(programme.findings.create(actor, ReviewID(review_id), body))


def finding(finding_id: FindingId) -> None:
    """Show one finding with the lab's responses."""
    programme, actor = programme_and_actor()
    emit(programme.findings.get(actor, FindingID(finding_id)))


def update_finding(
    finding_id: FindingId,
    *,
    status: Annotated[FindingStatus | None, typer.Option(help="Move along the lifecycle.")] = None,
    title: Annotated[str | None, typer.Option(help="A new title.")] = None,
    severity: Annotated[Severity | None, typer.Option(help="A new severity.")] = None,
    classification: Annotated[str | None, typer.Option(help="A new marking, e.g. CUI, SECRET.")] = None,
    for_clearinghouse: Annotated[
        bool | None,
        typer.Option(
            "--for-clearinghouse/--no-for-clearinghouse", help="Flag (or unflag) it as a flaw for the clearinghouse."
        ),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(help="Why the marking may be lower (required to lower it; classification authorities only)."),
    ] = None,
) -> None:
    """Edit a finding or move its status (a refused move lists the allowed next states)."""
    programme, actor = programme_and_actor()
    fields = {
        "status": status,
        "title": title,
        "severity": severity,
        "classification": classification,
        "for_clearinghouse": for_clearinghouse,
        "reason": reason,
    }
    emit(
        programme.findings.update(
            actor, FindingID(finding_id), body_of(FindingUpdate, {k: v for k, v in fields.items() if v is not None})
        )
    )


def share(finding_id: FindingId) -> None:
    """Share a confirmed finding with the lab (programme administrators)."""
    programme, actor = programme_and_actor()
    emit(programme.findings.share(actor, FindingID(finding_id)))


def respond(
    finding_id: FindingId,
    body: Annotated[str | None, typer.Option(help="The lab's response, in Markdown (or --body-file).")] = None,
    body_file: Annotated[Path | None, typer.Option(help="Read the response (Markdown) from a file.")] = None,
) -> None:
    """Respond to a finding shared with your lab."""
    programme, actor = programme_and_actor()
    emit(
        programme.findings.respond(
            actor, FindingID(finding_id), body_of(ResponseCreate, {"body": _text(body, body_file, "response")})
        )
    )


def clearinghouse_candidates(as_json: AsJson = False) -> None:
    """Confirmed findings flagged as concrete software flaws (the clearinghouse seam)."""
    programme, actor = programme_and_actor()
    _print_findings(programme.findings.clearinghouse_candidates(actor), as_json)


def evidence(review_id: ReviewId) -> None:
    """List the evidence attached to a review."""
    programme, actor = programme_and_actor()
    emit(programme.evidence.list_for_review(actor, ReviewID(review_id)))


def upload_evidence(
    review_id: ReviewId,
    path: Annotated[Path, typer.Argument(help="The file to attach.")],
    classification: ClassificationOpt = "CUI",
    finding_id: Annotated[
        str | None, typer.Option("--finding", help="Attach it to this finding of the review.")
    ] = None,
    content_type: Annotated[str | None, typer.Option(help="Default: guessed from the file name.")] = None,
) -> None:
    """Attach an evidence file to a review (optionally to one of its findings)."""
    programme, actor = programme_and_actor()
    try:
        data = path.read_bytes()
    except OSError as e:
        raise invalid(f"cannot read {path}: {e.strerror}") from e
    kind = content_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    emit(
        programme.evidence.upload(
            actor,
            ReviewID(review_id),
            filename=path.name,
            content_type=kind,
            data=data,
            classification=_level(classification),
            finding_id=None if finding_id is None else FindingID(finding_id),
        )
    )


def download_evidence(
    evidence_id: Annotated[str, typer.Argument(help="The evidence id (see `bastion review evidence`).")],
    out: Annotated[Path, typer.Option("--output", help="Where to write the file.")],
) -> None:
    """Download an evidence file (its SHA-256 is checked first)."""
    programme, actor = programme_and_actor()
    meta, data = programme.evidence.content(actor, EvidenceID(evidence_id))
    out.write_bytes(data)
    context.err_console.print(f"wrote {out} ({meta.size} bytes, sha256 {meta.sha256}, {meta.classification.banner})")


def attach_evals(
    review_id: ReviewId,
    summary: Annotated[Path, typer.Argument(help="A JSON run summary with `scores` (task -> number).")],
    log: Annotated[list[Path] | None, typer.Option(help="An Inspect eval log to keep as evidence; repeatable.")] = None,
    classification: ClassificationOpt = "CUI",
) -> None:
    """Attach evaluation results to a review; the scores become available to the selection engine."""
    programme, actor = programme_and_actor()
    try:
        data = json.loads(summary.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise invalid(f"cannot read the summary {summary}: {e}") from e
    if not isinstance(data, dict):
        raise invalid("the summary must be a JSON object")
    rows = programme.evidence.attach_eval_results(
        actor, ReviewID(review_id), data, log or [], classification=_level(classification)
    )
    context.print_json(json.dumps([r.model_dump(mode="json") for r in rows]))


def report(
    review_id: ReviewId,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="The report's format.")] = ReportFormat.MARKDOWN,
    variant: Annotated[ReportVariant | None, typer.Option(help="full or lab; default by your role.")] = None,
    out: Annotated[Path | None, typer.Option("--output", help="Write to this file instead of standard output.")] = None,
) -> None:
    """Generate the review report (Markdown, HTML or PDF; PDF needs --out)."""
    if fmt is ReportFormat.PDF and out is None:
        raise invalid("a PDF report is binary: name the file to write with --output FILE", field="output")
    programme, actor = programme_and_actor()
    rendered = programme.reports.render(actor, ReviewID(review_id), fmt=fmt, variant=variant)
    if out is None:
        context.console.print(rendered.content, markup=False, highlight=False, soft_wrap=True)
        return
    try:
        if isinstance(rendered.content, bytes):
            out.write_bytes(rendered.content)
        else:
            out.write_text(rendered.content, "utf-8")
    except OSError as e:
        raise invalid(f"cannot write the report to {out}: {e.strerror}", field="output") from e
    context.err_console.print(f"wrote {out} ({rendered.classification.banner})")


def outbox(
    pending: Annotated[bool, typer.Option(help="Only notifications not delivered yet.")] = False,
    topic: Annotated[str | None, typer.Option(help="Only notifications on this topic.")] = None,
) -> None:
    """Notifications waiting for delivery (programme administrators)."""
    programme, actor = programme_and_actor()
    emit(programme.outbox.list_messages(actor, pending_only=pending, topic=topic))


def deliver(
    message_id: Annotated[str, typer.Argument(help="The notification's id (see `bastion review outbox`).")],
) -> None:
    """Mark a notification as delivered."""
    programme, actor = programme_and_actor()
    emit(programme.outbox.mark_delivered(actor, OutboxMessageID(message_id)))


def tick() -> None:
    """Close reviews whose window ended and enqueue due reminders (idempotent; run it from cron)."""
    result = context.container().review.reviews.tick()
    context.console.print(f"closed {len(result.closed)} reviews, enqueued {result.reminders} reminders")


def demo() -> None:
    """Seed a realistic demo programme and print a token for each demo user."""
    result = seed_demo(context.container())
    table(
        "demo users (export BASTION_TOKEN=<token> to act as one)",
        ["user", "token"],
        [[label, token] for label, token in result.tokens.items()],
    )
    table(
        f"web sign-in at the server's address (e.g. http://127.0.0.1:8000/) as <user>@{DEMO_DOMAIN}",
        ["user", "password"],
        [[label, password] for label, password in result.passwords.items()],
    )
    table("demo records", ["what", "id"], [[k, v] for k, v in result.ids.items()])


COMMANDS = (
    findings,
    add_finding,
    finding,
    update_finding,
    share,
    respond,
    clearinghouse_candidates,
    evidence,
    upload_evidence,
    download_evidence,
    attach_evals,
    report,
    outbox,
    deliver,
    tick,
)


def register(app: typer.Typer) -> None:
    """Add these commands to ``bastion review`` (``cli.review``), and ``bastion demo`` to ``app``."""
    for command in COMMANDS:
        review.command(command.__name__.replace("_", "-"))(command)
    app.command("demo")(demo)
