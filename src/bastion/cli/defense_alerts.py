"""``bastion defend alerts`` and ``bastion defend triage``: an agency's alert settings and alerts, the outbox's
delivery run, and the AI triage assistant's proposals. Commands act as the principal behind ``BASTION_TOKEN``,
except ``alerts deliver`` (the operator's: what the ``defense.alerts`` periodic job does)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.table import Table
from rich.text import Text

from bastion.cli import context
from bastion.cli.auth import current_principal
from bastion.core.ids import AlertID, DeliveryID, ProjectID, TriageProposalID
from bastion.defense.alerts import AlertSettingsUpdate
from bastion.defense.errors import InvalidDefenseInput
from bastion.defense.triage import Evidence, EvidenceKind, VexDraft
from bastion.defense.triage_service import TriageConfirm, TriageReject, TriageRequest

alerts_app = typer.Typer(help="Where the agency's alerts go (webhook, e-mail), its alerts and their delivery.")
triage_app = typer.Typer(
    help="The AI triage assistant: a model proposes an explanation, reachability, remediation and a VEX draft for "
    "one exposure; nothing is applied until you confirm."
)
T = TypeVar("T", bound=BaseModel)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _emit(record: BaseModel) -> None:
    context.print_json(record.model_dump_json())


def _table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    out = Table(title=Text(title))
    for column in columns:
        out.add_column(column, no_wrap=column == "id")
    for row in rows:
        out.add_row(*(Text(cell) for cell in row))  # names and messages are data, never markup
    context.console.print(out)


def _parse(model: type[T], data: dict[str, Any], command: str) -> T:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "input"
        raise InvalidDefenseInput(
            f"{where}: {first['msg']}", hint=f"see `bastion defend {command} --help`", details={"field": where}
        ) from e


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidDefenseInput(f"cannot read {what} {path}: {e}", hint="give a readable UTF-8 text file") from e


# --- alerts -----------------------------------------------------------------------------------------------------


@alerts_app.command("settings")
def settings() -> None:
    """Show where the agency's alerts go (the webhook secret is never shown)."""
    _emit(context.container().defense_alerts.settings(current_principal()))


@alerts_app.command("configure")
def configure(
    webhook_url: Annotated[str | None, typer.Option(help="POST signed alerts here (https://...).")] = None,
    webhook_secret_file: Annotated[
        Path | None,
        typer.Option(help="A file holding the webhook's signing secret (16+ characters); kept when omitted."),
    ] = None,
    email: Annotated[list[str] | None, typer.Option(help="Mail alerts to this address (repeatable).")] = None,
    disable: Annotated[bool, typer.Option("--disable", help="Keep the settings but send nothing.")] = False,
) -> None:
    """Set where the agency's alerts go. Omitting --webhook-url removes the webhook; the e-mail list is replaced."""
    secret = _read(webhook_secret_file, "the webhook secret file").strip() if webhook_secret_file else None
    update = _parse(
        AlertSettingsUpdate,
        {"enabled": not disable, "webhook_url": webhook_url, "webhook_secret": secret, "emails": email or []},
        "alerts configure",
    )
    _emit(context.container().defense_alerts.configure(current_principal(), update))


@alerts_app.command("test")
def send_test() -> None:
    """Send a test alert to each channel now (not queued, not retried); exit 3 if a channel did not take it."""
    checks = context.container().alert_outbox.send_test(current_principal())
    _emit(checks)
    if not checks.ok:
        raise typer.Exit(3)


@alerts_app.command("list")
def list_alerts(
    project: Annotated[str | None, typer.Option(help="Only this project's alerts.")] = None, as_json: JsonOpt = False
) -> None:
    """The agency's alerts, newest first, with how each delivery went."""
    found = context.container().defense_alerts.list(
        current_principal(), project_id=None if project is None else ProjectID(project)
    )
    if as_json:
        _emit(found)
        return
    rows = [
        [
            a.id,
            a.raised_at.strftime("%Y-%m-%d %H:%M"),
            a.advisory_id,
            a.purl,
            ", ".join(f"{d.channel}: {d.status}" + (f" ({d.attempts})" if d.attempts > 1 else "") for d in a.deliveries)
            or "no channel set",
        ]
        for a in found.data
    ]
    _table(f"{found.count} alerts", ["id", "raised", "advisory", "component", "deliveries"], rows)


@alerts_app.command("show")
def show(alert_id: Annotated[str, typer.Argument(help="The alert's id.")]) -> None:
    """One alert: what it says and how each delivery went."""
    _emit(context.container().defense_alerts.get(current_principal(), AlertID(alert_id)))


@alerts_app.command("retry")
def retry(delivery_id: Annotated[str, typer.Argument(help="A given-up delivery's id (see `alerts show`).")]) -> None:
    """Try a given-up delivery again (after fixing the receiver): its attempts start over."""
    _emit(context.container().defense_alerts.retry(current_principal(), DeliveryID(delivery_id)))


@alerts_app.command("deliver")
def deliver() -> None:
    """Send every due delivery now, once (what the `defense.alerts` periodic job does); prints the counts."""
    run = context.container().alert_outbox.deliver_due()
    context.print_json(json.dumps(run.as_dict()))


# --- triage -----------------------------------------------------------------------------------------------------


@triage_app.command("propose")
def propose(
    exposure_id: Annotated[int, typer.Argument(help="The exposure's id (see `bastion defend exposures`).")],
    model: Annotated[str, typer.Option(help="An Inspect model name, provider/model (e.g. openai/gpt-4o).")],
    import_graph: Annotated[
        list[Path] | None, typer.Option(help="An import graph of your code (e.g. pydeps, go mod graph); repeatable.")
    ] = None,
    code: Annotated[list[Path] | None, typer.Option(help="A code excerpt that uses the package; repeatable.")] = None,
    note: Annotated[list[Path] | None, typer.Option(help="A note on how the component is used; repeatable.")] = None,
) -> None:
    """Ask the model for a proposal about one exposure, with your usage evidence. It is recorded (model, prompt
    hash, inputs) and applies nothing: confirm or reject it."""
    evidence = [
        Evidence(kind=kind, name=path.name, text=_read(path, "evidence"))
        for kind, paths in (
            (EvidenceKind.IMPORT_GRAPH, import_graph),
            (EvidenceKind.CODE_EXCERPT, code),
            (EvidenceKind.NOTE, note),
        )
        for path in paths or []
    ]
    request = _parse(TriageRequest, {"model": model, "evidence": evidence}, "triage propose")
    _emit(context.container().triage.propose(current_principal(), exposure_id, request))


@triage_app.command("list")
def list_proposals(
    exposure: Annotated[int | None, typer.Option(help="Only proposals about this exposure.")] = None,
    status: Annotated[str | None, typer.Option(help="proposed, invalid, confirmed or rejected.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The agency's triage proposals, newest first."""
    found = context.container().triage.list(current_principal(), exposure_id=exposure, status=status)
    if as_json:
        _emit(found)
        return
    rows = [
        [
            p.id,
            p.status,
            p.advisory_id,
            p.purl,
            p.proposal.vex.status.value if p.proposal else "-",
            p.proposal.reachability.value if p.proposal else "-",
            p.model,
        ]
        for p in found.data
    ]
    _table(
        f"{found.count} proposals", ["id", "status", "advisory", "component", "VEX draft", "reachable", "model"], rows
    )


@triage_app.command("show")
def show_proposal(proposal_id: Annotated[str, typer.Argument(help="The proposal's id.")]) -> None:
    """One proposal, with its model, prompt hash and inputs."""
    _emit(context.container().triage.get(current_principal(), TriageProposalID(proposal_id)))


@triage_app.command("confirm")
def confirm(
    proposal_id: Annotated[str, typer.Argument(help="The proposal's id.")],
    note: Annotated[str, typer.Option(help="Why you agree.")] = "",
    status: Annotated[str | None, typer.Option(help="Correct the draft: the VEX status to record.")] = None,
    justification: Annotated[str | None, typer.Option(help="With --status not_affected: the justification.")] = None,
    detail: Annotated[str | None, typer.Option(help="With --status: the impact or action statement.")] = None,
) -> None:
    """Confirm a proposal: its VEX draft (or your correction) becomes the analyst's decision on the project."""
    body: dict[str, Any] = {"note": note}
    if status is not None:
        body["vex"] = _parse(
            VexDraft, {"status": status, "justification": justification, "detail": detail or note}, "triage confirm"
        )
    _emit(
        context.container().triage.confirm(
            current_principal(), TriageProposalID(proposal_id), _parse(TriageConfirm, body, "triage confirm")
        )
    )


@triage_app.command("reject")
def reject(
    proposal_id: Annotated[str, typer.Argument(help="The proposal's id.")],
    note: Annotated[str, typer.Option(help="Why it is wrong.")] = "",
) -> None:
    """Reject a proposal: nothing is recorded but the rejection."""
    body = _parse(TriageReject, {"note": note}, "triage reject")
    _emit(context.container().triage.reject(current_principal(), TriageProposalID(proposal_id), body))


def register(group: typer.Typer) -> None:
    """Add ``alerts`` and ``triage`` to the ``bastion defend`` group."""
    group.add_typer(alerts_app, name="alerts")
    group.add_typer(triage_app, name="triage")
