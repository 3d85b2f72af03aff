"""``bastion audit verify|list``: check the audit log's hash chain, read its events."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from bastion.cli import context
from bastion.cli.auth import current_principal
from bastion.identity.audit_log import MAX_PAGE, AuditLogService

audit = typer.Typer(help="The append-only, hash-chained audit log.")


def _service() -> AuditLogService:
    rt = context.runtime()
    return AuditLogService(rt.database, rt.clock)


@audit.command("verify")
def verify() -> int:
    """Recompute the hash chain. Exit 0 when intact, 1 (naming the first bad event) when tampered with."""
    result = _service().verify(current_principal())
    if result.ok:
        context.console.print(f"audit log intact: {result.events_checked} events verified")
        return 0
    context.console.print(
        f"[bold red]audit log tampered[/]: first bad event seq {result.first_bad_seq}: {result.problem}",
        highlight=False,
    )
    return 1


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
        context.console.print_json(json.dumps(page.model_dump(mode="json")))
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
