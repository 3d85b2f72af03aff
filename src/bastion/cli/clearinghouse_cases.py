"""``bastion clearinghouse`` (continued): reporters and the vendor registry, cases (vendors, statuses, the thread,
the embargo), fixes and patch candidates (and the AI patcher), publication, the outbox."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from bastion.clearinghouse import (
    AiPatchRequest,
    CaseClose,
    CaseResolution,
    CaseStatus,
    ClaimIn,
    ExploitedMark,
    FixDeclaration,
    MessageCreate,
    NotAffectedJustification,
    PatchCandidate,
    PublishRequest,
    ReporterRegistration,
    RevisionCreate,
    RevisionDecision,
    VendorAdd,
    VendorCreate,
    VendorStatus,
    VendorStatusUpdate,
)
from bastion.cli.clearinghouse import app as clearinghouse_app
from bastion.cli.clearinghouse import ch_and_actor, emit, file_entry, parse_body, target_entry
from bastion.core.ids import AdvisoryID, CaseID, EmbargoRevisionID, NoticeID, VendorID
from bastion.core.principal import UserID

CaseArg = Annotated[str, typer.Argument(help="The case's id.")]


def _claims(purl: list[str] | None, cpe: list[str] | None) -> list[dict[str, Any]]:
    claims: list[dict[str, Any]] = [{"purl": p} for p in purl or []]
    for text in cpe or []:
        vendor, _, product = text.partition(":")
        claims.append({"cpe_vendor": vendor, "cpe_product": product or "*"})
    return claims


PurlClaims = Annotated[
    list[str] | None, typer.Option("--purl", help="A purl namespace it owns, e.g. pkg:pypi/name or pkg:npm/@acme/*.")
]
CpeClaims = Annotated[
    list[str] | None, typer.Option("--cpe", help="A CPE vendor:product it owns (vendor:* for all its products).")
]


def register_reporter(  # noqa: PLR0917 - Typer maps each option to a parameter
    user_id: Annotated[str, typer.Argument(help="The reporter's user id (an AI tool has its own user).")],
    kind: Annotated[str, typer.Option("--kind", help="person or ai_tool.")] = "ai_tool",
    tool_name: Annotated[str | None, typer.Option("--tool-name", help="The AI tool's name.")] = None,
    tool_version: Annotated[str | None, typer.Option("--tool-version", help="The AI tool's version.")] = None,
    per_minute: Annotated[int | None, typer.Option("--per-minute", help="Rate limit (reports per minute).")] = None,
    per_day: Annotated[int | None, typer.Option("--per-day", help="Daily quota (reports per day).")] = None,
) -> None:
    """Register a reporter: an AI tool's name, version and limits (analysts)."""
    ch, actor = ch_and_actor()
    body: dict[str, Any] = {"user_id": user_id, "kind": kind, "tool_name": tool_name, "tool_version": tool_version}
    body |= {"per_minute": per_minute, "per_day": per_day}
    emit(ch.reporters.register(actor, parse_body(ReporterRegistration, body)))


def reporter(user_id: Annotated[str, typer.Argument(help="The reporter's user id.")]) -> None:
    """A reporter's record of validated and rejected reports."""
    ch, actor = ch_and_actor()
    emit(ch.reporters.record(actor, UserID(user_id)))


def reporters() -> None:
    """Every registered reporter with its record of validated and rejected reports (analysts)."""
    ch, actor = ch_and_actor()
    emit([r.model_dump(mode="json") for r in ch.reporters.all(actor)])


def add_vendor(
    org_id: Annotated[str, typer.Argument(help="An organisation of kind vendor.")],
    purl: PurlClaims = None,
    cpe: CpeClaims = None,
) -> None:
    """Add a vendor to the registry with the namespaces it owns (analysts)."""
    ch, actor = ch_and_actor()
    emit(ch.vendors.register(actor, parse_body(VendorCreate, {"org_id": org_id, "products": _claims(purl, cpe)})))


def claim(
    vendor_id: Annotated[str, typer.Argument(help="The vendor's id.")],
    purl: PurlClaims = None,
    cpe: CpeClaims = None,
) -> None:
    """Add namespaces a vendor owns (analysts)."""
    ch, actor = ch_and_actor()
    result = None
    for body in _claims(purl, cpe):
        result = ch.vendors.add_product(actor, VendorID(vendor_id), parse_body(ClaimIn, body))
    if result is None:
        raise typer.BadParameter("give at least one --purl or --cpe")
    emit(result)


def vendors() -> None:
    """The vendor registry (a vendor sees its own entry)."""
    ch, actor = ch_and_actor()
    emit(ch.vendors.list(actor))


def cases(
    status: Annotated[CaseStatus | None, typer.Option("--status", help="Only cases in this status.")] = None,
) -> None:
    """Cases you take part in (analysts: all)."""
    ch, actor = ch_and_actor()
    emit(ch.cases.list(actor, status=status))


def case(case_id: CaseArg) -> None:
    """One case: its report, vendors and their statuses, embargo, fixes."""
    ch, actor = ch_and_actor()
    emit(ch.cases.get(actor, CaseID(case_id)))


def case_vendor(case_id: CaseArg, vendor_id: Annotated[str, typer.Argument(help="The vendor to add.")]) -> None:
    """Add a vendor to a case (analysts)."""
    ch, actor = ch_and_actor()
    emit(ch.cases.add_vendor(actor, CaseID(case_id), VendorAdd(vendor_id=vendor_id)))


def vendor_status(
    case_id: CaseArg,
    vendor_id: Annotated[str, typer.Argument(help="The vendor whose status this is (yours).")],
    status: Annotated[
        VendorStatus, typer.Option("--status", help="affected, not_affected, fixed, under_investigation.")
    ],
    justification: Annotated[
        NotAffectedJustification | None, typer.Option("--justification", help="Required with not_affected.")
    ] = None,
    statement: Annotated[str | None, typer.Option("--statement", help="Your statement, published with it.")] = None,
) -> None:
    """A vendor's answer in a case (the CSAF / VEX status)."""
    ch, actor = ch_and_actor()
    body = {"status": status, "justification": justification, "statement": statement}
    emit(ch.cases.set_vendor_status(actor, CaseID(case_id), VendorID(vendor_id), parse_body(VendorStatusUpdate, body)))


def message(case_id: CaseArg, body: Annotated[str, typer.Argument(help="The message.")]) -> None:
    """Write in the case's thread."""
    ch, actor = ch_and_actor()
    emit(ch.cases.post_message(actor, CaseID(case_id), parse_body(MessageCreate, {"body": body})))


def messages(case_id: CaseArg) -> None:
    """The case's thread."""
    ch, actor = ch_and_actor()
    emit(ch.cases.messages(actor, CaseID(case_id)))


def exploited(
    case_id: CaseArg, reason: Annotated[str, typer.Option("--reason", help="The evidence of exploitation.")]
) -> None:
    """Mark a case exploited in the wild: the embargo shortens (analysts)."""
    ch, actor = ch_and_actor()
    emit(ch.cases.mark_exploited(actor, CaseID(case_id), parse_body(ExploitedMark, {"reason": reason})))


def close(
    case_id: CaseArg,
    resolution: Annotated[
        CaseResolution,
        typer.Option("--resolution", help="resolved, not_a_vulnerability, vendor_unresponsive or withdrawn."),
    ],
    reason: Annotated[str, typer.Option("--reason", help="What the participants read in the thread.")],
) -> None:
    """Close a case with its resolution: it takes no more changes and its clocks stop (analysts)."""
    ch, actor = ch_and_actor()
    emit(ch.cases.close(actor, CaseID(case_id), parse_body(CaseClose, {"resolution": resolution, "reason": reason})))


def embargo_propose(
    case_id: CaseArg,
    date: Annotated[datetime, typer.Option("--date", help="The proposed disclosure date (ISO 8601 with a zone).")],
    reason: Annotated[str, typer.Option("--reason", help="Why this date.")],
) -> None:
    """Propose a disclosure date (an extension, or sooner)."""
    ch, actor = ch_and_actor()
    emit(
        ch.embargo.propose(
            actor, CaseID(case_id), parse_body(RevisionCreate, {"disclosure_at": date, "reason": reason})
        )
    )


def embargo_agree(case_id: CaseArg, revision_id: Annotated[str, typer.Argument(help="The proposal's id.")]) -> None:
    """Record your agreement to a proposed disclosure date."""
    ch, actor = ch_and_actor()
    emit(ch.embargo.agree(actor, CaseID(case_id), EmbargoRevisionID(revision_id)))


def embargo_decide(
    case_id: CaseArg,
    revision_id: Annotated[str, typer.Argument(help="The proposal's id.")],
    accept: Annotated[bool, typer.Option("--accept/--reject", help="Accept the proposal, or reject it.")],
    note: Annotated[str | None, typer.Option("--note", help="A note for the record.")] = None,
) -> None:
    """Accept or reject a proposed disclosure date (analysts)."""
    ch, actor = ch_and_actor()
    emit(
        ch.embargo.decide(
            actor, CaseID(case_id), EmbargoRevisionID(revision_id), RevisionDecision(accept=accept, note=note)
        )
    )


def fix(  # noqa: PLR0917 - Typer maps each option to a parameter
    case_id: CaseArg,
    fixed_version: Annotated[str | None, typer.Option("--fixed-version", help="The version that fixes it.")] = None,
    commit: Annotated[str | None, typer.Option("--commit", help="The commit that fixes it.")] = None,
    target: Annotated[
        Path | None, typer.Option("--target", help="The fixed version's source (dir or archive).")
    ] = None,
    build: Annotated[str | None, typer.Option("--build", help="The fixed target's build command.")] = None,
    patch: Annotated[Path | None, typer.Option("--patch", help="A patch for the vulnerable target (-p1).")] = None,
    vendor: Annotated[str | None, typer.Option("--vendor", help="Analysts: the vendor this fix is from.")] = None,
) -> None:
    """Declare a fix; the clearinghouse verifies it against the reproducer in the sandbox."""
    ch, actor = ch_and_actor()
    body: dict[str, Any] = {"fixed_version": fixed_version, "commit": commit, "vendor_id": vendor}
    if target is not None:
        body["target"] = target_entry(target, build, None)
    if patch is not None:
        body["patch"] = file_entry(patch, "fix.patch")
    emit(ch.fixes.declare(actor, CaseID(case_id), parse_body(FixDeclaration, body)))


def patch_candidate(
    case_id: CaseArg,
    patch: Annotated[Path, typer.Argument(help="A unified diff for the vulnerable target (-p1).")],
    note: Annotated[str | None, typer.Option("--note", help="What the patch does.")] = None,
) -> None:
    """Offer a patch candidate: it counts if it applies, builds, stops the reproducer and passes the tests."""
    ch, actor = ch_and_actor()
    emit(
        ch.fixes.candidate(
            actor, CaseID(case_id), parse_body(PatchCandidate, {"patch": file_entry(patch), "note": note})
        )
    )


def ai_patch(
    case_id: CaseArg,
    model: Annotated[str, typer.Option("--model", help="An Inspect model name, e.g. openai/gpt-4o.")],
    attempts: Annotated[int, typer.Option("--attempts", min=1, max=10, help="How many tries.")] = 3,
) -> None:
    """Queue the AI patcher on a case (run it with `bastion clearinghouse work`)."""
    ch, actor = ch_and_actor()
    emit(ch.fixes.request_ai_patch(actor, CaseID(case_id), AiPatchRequest(model=model, attempts=attempts)))


def publish(
    case_id: CaseArg,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Before the disclosure date: the agreed reason.")
    ] = None,
    cve: Annotated[str | None, typer.Option("--cve", help="The CVE id assigned to the flaw.")] = None,
) -> None:
    """Publish the case: the advisory, and its OSV record into the database (/v1, pip-audit)."""
    ch, actor = ch_and_actor()
    emit(ch.publications.publish(actor, CaseID(case_id), parse_body(PublishRequest, {"reason": reason, "cve_id": cve})))


def fixes(case_id: CaseArg) -> None:
    """The case's fixes and patch candidates, each verified or not with its checks."""
    ch, actor = ch_and_actor()
    emit([f.model_dump(mode="json") for f in ch.fixes.for_case(actor, CaseID(case_id))])


def publication(
    advisory_id: Annotated[str, typer.Argument(help="The advisory's id, e.g. BASTION-2026-0001.")],
    cve: Annotated[
        bool, typer.Option("--cve", help="Print its CVE JSON 5 record instead (once a CVE is assigned).")
    ] = False,
) -> None:
    """One published advisory, with the OSV record it put into the database (or its CVE record)."""
    ch, _ = ch_and_actor()
    wanted = AdvisoryID(advisory_id)
    emit(ch.publications.cve(wanted) if cve else ch.publications.get(wanted))


def publications() -> None:
    """Published advisories."""
    ch, _ = ch_and_actor()
    emit(ch.publications.all())


def outbox(
    pending: Annotated[bool, typer.Option("--pending", help="Only messages not yet delivered.")] = False,
) -> None:
    """Reminders, escalations and notices waiting for delivery (analysts)."""
    ch, actor = ch_and_actor()
    emit(ch.outbox.list(actor, pending_only=pending))


def delivered(message_id: Annotated[str, typer.Argument(help="The outbox message's id.")]) -> None:
    """Mark an outbox message delivered (analysts; what a mail or webhook relay calls once it has sent it)."""
    ch, actor = ch_and_actor()
    emit(ch.outbox.mark_delivered(actor, NoticeID(message_id)))


def register() -> None:
    """Add the case commands to ``bastion clearinghouse`` (``cli.clearinghouse``)."""
    commands: dict[str, Any] = {
        "register-reporter": register_reporter,
        "reporter": reporter,
        "add-vendor": add_vendor,
        "claim": claim,
        "vendors": vendors,
        "cases": cases,
        "case": case,
        "case-vendor": case_vendor,
        "vendor-status": vendor_status,
        "message": message,
        "messages": messages,
        "exploited": exploited,
        "close": close,
        "embargo-propose": embargo_propose,
        "embargo-agree": embargo_agree,
        "embargo-decide": embargo_decide,
        "fix": fix,
        "patch": patch_candidate,
        "ai-patch": ai_patch,
        "publish": publish,
        "publications": publications,
        "outbox": outbox,
        "delivered": delivered,
        "reporters": reporters,
        "fixes": fixes,
        "publication": publication,
    }
    for name, command in commands.items():
        clearinghouse_app.command(name)(command)
