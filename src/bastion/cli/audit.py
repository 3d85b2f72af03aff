"""``bastion audit verify|checkpoint|list``: check the audit log's keyed chain, sign its head, read its events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bastion.cli import context
from bastion.cli.auth import current_principal
from bastion.cli.exits import ExitCode
from bastion.core.audit import Checkpoint
from bastion.identity import MAX_PAGE, AuditLogService

audit = typer.Typer(help="The append-only, keyed, hash-chained audit log.")


def _service() -> AuditLogService:
    return context.container().audit_log


def _checkpoint_file(given: Path | None) -> Path | None:
    return given or context.container().settings.audit_checkpoint_file


@audit.command("verify")
def verify(
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            metavar="FILE",
            help="Verify against the latest checkpoint in FILE. Default: BASTION_AUDIT_CHECKPOINT_FILE, if set.",
        ),
    ] = None,
) -> int:
    """Recompute the keyed chain. Exit 0 when intact, 1 (naming the first bad event) when tampered with."""
    path = _checkpoint_file(checkpoint)
    latest = Checkpoint.latest_in(path) if path is not None and (checkpoint or path.exists()) else None
    result = _service().verify(current_principal(), checkpoint=latest)
    if result.ok:
        against = f", up to and beyond checkpoint seq {result.checkpoint_seq}" if result.checkpoint_seq else ""
        context.console.print(f"audit log intact: {result.events_checked} events verified{against}", highlight=False)
        return ExitCode.OK
    context.console.print(
        f"[bold red]audit log tampered[/]: first bad event seq {result.first_bad_seq}: {result.problem}",
        highlight=False,
    )
    return ExitCode.FINDINGS


@audit.command("checkpoint")
def checkpoint_command(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            metavar="FILE",
            help="Append the signed checkpoint to FILE. Default: BASTION_AUDIT_CHECKPOINT_FILE; else print it.",
        ),
    ] = None,
) -> int:
    """Sign the chain's head (seq and hash) for keeping outside the database; run it from cron."""
    signed = _service().checkpoint(current_principal())
    path = _checkpoint_file(output)
    if path is None:
        context.console.print(signed.line(), highlight=False, soft_wrap=True)
        return ExitCode.OK
    with path.open("a", encoding="utf-8") as handle:
        handle.write(signed.line() + "\n")
    context.console.print(f"checkpoint at seq {signed.seq} appended to {path}", highlight=False)
    return ExitCode.OK


@audit.command("list")
def list_events(
    after: Annotated[int, typer.Option("--after", min=0, help="Show events after this seq.")] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1, max=MAX_PAGE, help="At most this many events.")] = 50,
    resource: Annotated[str | None, typer.Option("--resource", help="Only events about this id.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the events as JSON.")] = False,
) -> None:
    """List audit events in chain order (programme administrators)."""
    page = _service().list_events(current_principal(), after_seq=after, limit=limit, resource_id=resource)
    if as_json:
        context.print_json(json.dumps(page.model_dump(mode="json")))
        return
    table = Table(title=f"audit events ({page.count} in total)")
    for column in ("seq", "at", "actor", "action", "resource", "outcome"):
        table.add_column(column)
    for e in page.data:
        resource_text = f"{e.resource_type} {e.resource_id or ''}".strip()
        table.add_row(
            str(e.seq),
            f"{e.at:%Y-%m-%d %H:%M:%S}",
            e.actor_user_id or "-",
            e.action,
            resource_text,
            e.outcome,
        )
    context.console.print(table)
    if page.next_after_seq is not None:
        context.console.print(f"more: bastion audit list --after {page.next_after_seq}")


def register(app: typer.Typer) -> None:
    app.add_typer(audit, name="audit")
