"""The clearinghouse's pages, over the ``Clearinghouse`` facade, as the API: the report form (with reproducer
and target uploads), a report's status for its reporter, the case view (vendors and their statuses, the embargo
countdown, the thread, fix verification, publication), the vendor portal, and the SLA burn-down.

Visibility is the services': a reporter's list is their own reports, a vendor's the cases it takes part in,
an analyst's everything; a case or report someone may not see is the same 404 page as one that does not exist.
"""

from __future__ import annotations

import base64
import secrets
import shlex
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from bastion.clearinghouse.advisory import NotAffectedJustification, VendorStatus
from bastion.clearinghouse.cases import CaseClose, CaseResolution, MessageCreate, VendorStatusUpdate
from bastion.clearinghouse.embargo import RevisionDecision
from bastion.clearinghouse.public import CasePublic
from bastion.clearinghouse.publication import PublishRequest
from bastion.clearinghouse.reports import Decision, ReportDecision
from bastion.clearinghouse.schemas import ReportSubmission, SignalKind
from bastion.clearinghouse.service import Clearinghouse
from bastion.clearinghouse.states import CaseStatus
from bastion.core.errors import InvalidInput, NotFound
from bastion.core.ids import CaseID, EmbargoRevisionID, ReportID, VendorID
from bastion.core.principal import Role
from bastion.web.charts import Clock, sla_burndown
from bastion.web.render import render
from bastion.web.shell import optional, parse, redirect, split_list, text, web_router
from bastion.web.visitor import FormDep, Visitor, VisitorDep, checked, container_of

router = web_router()
MAX_FILES = 20


def _ch(request: Request) -> Clearinghouse:
    return container_of(request).clearinghouse


def _clocks(cases: list[CasePublic]) -> list[Clock]:
    return [
        Clock(label=case.title, opened_at=case.opened_at, due_at=case.sla_due_at, stopped_at=case.fixed_at)
        for case in cases
        if case.status == "open" or case.fixed_at is not None
    ]


@router.get("/clearinghouse")
def dashboard(request: Request, who: VisitorDep) -> Response:
    actor = who.require()
    ch = _ch(request)
    analyst = who.has(Role.CLEARINGHOUSE_ANALYST, Role.PROGRAMME_ADMIN)
    reports = ch.reports.list(actor, mine=not analyst).data
    cases = ch.cases.list(actor).data
    now = container_of(request).runtime.clock.now()
    open_cases = [c for c in cases if c.status == "open"]
    return render(
        request,
        "clearinghouse/dashboard.html",
        who,
        markings=[*(r.classification for r in reports), *(c.classification for c in cases)],
        reports=reports,
        cases=cases,
        analyst=analyst,
        chart=sla_burndown(_clocks(open_cases), now) if open_cases else None,
        can_report=who.has(Role.REPORTER),
        vendor=who.has(Role.VENDOR_CONTACT),
    )


@router.get("/clearinghouse/vendor")
def vendor_portal(request: Request, who: VisitorDep) -> Response:
    actor = who.require()
    if not who.has(Role.VENDOR_CONTACT):
        raise NotFound("the vendor portal is for vendors' contacts", hint="sign in as your vendor's contact")
    ch = _ch(request)
    vendors = ch.vendors.list(actor).data
    cases = ch.cases.list(actor).data
    own = {v.id for v in vendors}
    statuses = {c.id: [v for v in c.vendors if v.vendor_id in own or v.org_id == actor.org_id] for c in cases}
    now = container_of(request).runtime.clock.now()
    open_cases = [c for c in cases if c.status == "open"]
    return render(
        request,
        "clearinghouse/vendor.html",
        who,
        markings=[c.classification for c in cases],
        vendors=vendors,
        cases=cases,
        statuses=statuses,
        chart=sla_burndown(_clocks(open_cases), now, chart_id="vendor-sla") if open_cases else None,
    )


# --- reports ----------------------------------------------------------------------------------------------


@router.get("/clearinghouse/reports/new")
def new_report(request: Request, who: VisitorDep) -> Response:
    who.require()
    return render(
        request,
        "clearinghouse/report_form.html",
        who,
        client_key=secrets.token_urlsafe(16),
        signals=list(SignalKind),
        values={},
        error=None,
    )


async def _files(form: FormData, name: str) -> list[dict[str, str]]:
    files = [
        {"name": item.filename, "content": base64.b64encode(await item.read()).decode("ascii")}
        for item in form.getlist(name)
        if isinstance(item, UploadFile) and item.filename
    ]
    if len(files) > MAX_FILES:
        raise InvalidInput(f"{len(files)} files in {name}; at most {MAX_FILES}", hint="pack them in an archive")
    return files


async def _report_body(form: FormData) -> dict[str, Any]:
    command = text(form, "command")
    reproducer_files = await _files(form, "reproducer_files")
    archives = await _files(form, "target_archive")
    fixed = text(form, "affected_fixed")
    location = {
        k: v
        for k, v in {"file": optional(form, "location_file"), "function": optional(form, "location_function")}.items()
        if v
    }
    report: dict[str, Any] = {
        "title": text(form, "title"),
        "description": text(form, "description"),
        "purl": optional(form, "purl"),
        "cpe": optional(form, "cpe"),
        "affected": {"introduced": text(form, "affected_introduced") or "0", "fixed": fixed or None},
        "cwe": optional(form, "cwe"),
        "cvss_vector": optional(form, "cvss_vector"),
        "aliases": split_list(text(form, "aliases")),
        "location": location or None,
    }
    if command or reproducer_files:
        try:
            argv = shlex.split(command)
        except ValueError as e:
            raise InvalidInput(f"reproducer command: {e}", hint="quote arguments as a shell would") from None
        report["reproducer"] = {
            "files": reproducer_files,
            "command": argv,
            "signal": {"kind": text(form, "signal_kind"), "value": optional(form, "signal_value")},
        }
    if archives:
        report["target"] = {"kind": "archive", "archive": archives[0]}
    return {"client_key": text(form, "client_key") or secrets.token_urlsafe(16), "report": report}


@router.post("/clearinghouse/reports")
async def submit_report(request: Request, who: VisitorDep, form: FormDep) -> Response:
    actor = checked(request, who, form)
    ch = _ch(request)
    try:
        submission = parse(ReportSubmission, await _report_body(form))
        ack = await run_in_threadpool(ch.intake.submit, actor, submission)
    except InvalidInput as error:
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        return render(
            request,
            "clearinghouse/report_form.html",
            who,
            status=400,
            client_key=text(form, "client_key"),
            signals=list(SignalKind),
            values=values,
            error=error,
        )
    return redirect(f"/clearinghouse/reports/{ack.reports[0].id}")


@router.get("/clearinghouse/reports/{report_id}")
def report(request: Request, who: VisitorDep, report_id: str) -> Response:
    actor = who.require()
    found = _ch(request).reports.get(actor, ReportID(report_id))
    return render(
        request,
        "clearinghouse/report.html",
        who,
        markings=[found.classification],
        rep=found,
        analyst=who.has(Role.CLEARINGHOUSE_ANALYST, Role.PROGRAMME_ADMIN),
        decisions=list(Decision),
    )


@router.post("/clearinghouse/reports/{report_id}/decision")
def decide(request: Request, who: VisitorDep, form: FormDep, report_id: str) -> Response:
    actor = checked(request, who, form)
    body = parse(ReportDecision, {"decision": text(form, "decision"), "reason": text(form, "reason")})
    decided = _ch(request).reports.decide(actor, ReportID(report_id), body)
    return redirect(
        f"/clearinghouse/cases/{decided.case_id}" if decided.case_id else f"/clearinghouse/reports/{report_id}"
    )


# --- cases ------------------------------------------------------------------------------------------------


@router.get("/clearinghouse/cases/{case_id}")
def case(request: Request, who: VisitorDep, case_id: str) -> Response:
    actor = who.require()
    ch = _ch(request)
    wanted = CaseID(case_id)
    found = ch.cases.get(actor, wanted)
    thread = ch.cases.messages(actor, wanted).data
    now = container_of(request).runtime.clock.now()
    closed = found.status is CaseStatus.CLOSED
    vendor = who.has(Role.VENDOR_CONTACT) and not closed
    mine = [v for v in found.vendors if v.org_id == actor.org_id] if vendor else []
    authors = {v.org_id: v.name for v in found.vendors}
    disclosure = found.embargo.disclosure_at if not closed else None
    proposed = [r for r in found.embargo.revisions if r.status == "proposed"]
    return render(
        request,
        "clearinghouse/case.html",
        who,
        markings=[found.classification, found.report.classification],
        case=found,
        thread=thread,
        authors=authors,
        mine=mine,
        proposed=proposed,
        embargo_days=_days(disclosure, now) if disclosure and found.published_at is None else None,
        sla_days=_days(found.sla_due_at, now),
        chart=sla_burndown(_clocks([found]), now, chart_id="case-sla") if _clocks([found]) else None,
        analyst=who.has(Role.CLEARINGHOUSE_ANALYST, Role.PROGRAMME_ADMIN),
        vendor_statuses=list(VendorStatus),
        justifications=list(NotAffectedJustification),
        resolutions=list(CaseResolution),
    )


def _days(at: datetime, now: datetime) -> float:
    return (at - now).total_seconds() / 86400


def _case_action(
    request: Request, who: Visitor, form: FormData, case_id: str, act: Callable[[Any], object]
) -> Response:
    actor = checked(request, who, form)
    act(actor)
    return redirect(f"/clearinghouse/cases/{case_id}")


@router.post("/clearinghouse/cases/{case_id}/messages")
def post_message(request: Request, who: VisitorDep, form: FormDep, case_id: str) -> Response:
    ch = _ch(request)
    body = parse(MessageCreate, {"body": text(form, "body")}, labels={"body": "message"})
    return _case_action(request, who, form, case_id, lambda actor: ch.cases.post_message(actor, CaseID(case_id), body))


@router.post("/clearinghouse/cases/{case_id}/vendors/{vendor_id}")
def vendor_status(request: Request, who: VisitorDep, form: FormDep, case_id: str, vendor_id: str) -> Response:
    ch = _ch(request)
    body = parse(
        VendorStatusUpdate,
        {
            "status": text(form, "status"),
            "justification": optional(form, "justification"),
            "statement": optional(form, "statement"),
        },
    )
    return _case_action(
        request,
        who,
        form,
        case_id,
        lambda actor: ch.cases.set_vendor_status(actor, CaseID(case_id), VendorID(vendor_id), body),
    )


@router.post("/clearinghouse/cases/{case_id}/embargo/{revision_id}")
def embargo_answer(request: Request, who: VisitorDep, form: FormDep, case_id: str, revision_id: str) -> Response:
    ch = _ch(request)
    answer = text(form, "answer")
    if answer == "agree":
        return _case_action(
            request,
            who,
            form,
            case_id,
            lambda actor: ch.embargo.agree(actor, CaseID(case_id), EmbargoRevisionID(revision_id)),
        )
    if answer not in ("accept", "reject"):
        raise InvalidInput("answer the proposed date with agree, accept or reject", hint="use the form's buttons")
    body = RevisionDecision(accept=answer == "accept", note=optional(form, "note"))
    return _case_action(
        request,
        who,
        form,
        case_id,
        lambda actor: ch.embargo.decide(actor, CaseID(case_id), EmbargoRevisionID(revision_id), body),
    )


@router.post("/clearinghouse/cases/{case_id}/publish")
def publish(request: Request, who: VisitorDep, form: FormDep, case_id: str) -> Response:
    ch = _ch(request)
    body = parse(PublishRequest, {"reason": optional(form, "reason"), "cve_id": optional(form, "cve_id")})
    return _case_action(
        request, who, form, case_id, lambda actor: ch.publications.publish(actor, CaseID(case_id), body)
    )


@router.post("/clearinghouse/cases/{case_id}/close")
def close(request: Request, who: VisitorDep, form: FormDep, case_id: str) -> Response:
    ch = _ch(request)
    body = parse(CaseClose, {"resolution": text(form, "resolution"), "reason": text(form, "reason")})
    return _case_action(request, who, form, case_id, lambda actor: ch.cases.close(actor, CaseID(case_id), body))
