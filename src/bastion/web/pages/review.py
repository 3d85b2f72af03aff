"""The review programme's pages, over ``ReviewProgramme`` (and ``EvalService`` for the battery), as the API.

What a visitor sees is what the services return to them: a lab's submission shows only "selected" or "not
selected" because the selection service gives a lab nothing more; a section the policy refuses (the
evaluators assigned, for a lab) is left out of the page. Every change is a form with the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any, TypeVar

from fastapi import Request, Response
from starlette.datastructures import FormData, UploadFile

from bastion.core.errors import Forbidden, InvalidInput, NotFound
from bastion.core.ids import ExtensionID, FindingID, ReviewID, SubmissionID
from bastion.core.principal import Classification, Role
from bastion.review.lifecycle import FindingStatus, FocusArea, Severity
from bastion.review.reports import REPORT_CSP, ReportFormat
from bastion.review.schemas import (
    AssignmentCreate,
    DocumentLink,
    ExtensionAnswer,
    ExtensionCreate,
    FindingCreate,
    FindingUpdate,
    NominationCreate,
    ReleaseRecord,
    ResponseCreate,
    ReviewCreate,
    SubmissionCreate,
)
from bastion.review.service import ReviewProgramme
from bastion.web.charts import Series, profile_chart
from bastion.web.render import render
from bastion.web.shell import markings_of, optional, parse, redirect, split_list, text, web_router
from bastion.web.visitor import FormDep, Visitor, VisitorDep, checked, container_of

router = web_router()
T = TypeVar("T")
MARKINGS = [c.name for c in Classification]


def _programme(request: Request) -> ReviewProgramme:
    return container_of(request).review


def _if_allowed(read: Callable[[], T]) -> T | None:
    """A section of a page the policy may refuse this visitor: left out (None) rather than failing the page."""
    try:
        return read()
    except (NotFound, Forbidden):
        return None


# --- the dashboard and submissions ------------------------------------------------------------------------


@router.get("/review")
def dashboard(request: Request, who: VisitorDep) -> Response:
    actor = who.require()
    programme = _programme(request)
    submissions = programme.submissions.list_visible(actor).data
    reviews = programme.reviews.list_visible(actor).data
    return render(
        request,
        "review/dashboard.html",
        who,
        markings=[*markings_of(submissions), *markings_of(reviews)],
        submissions=submissions,
        reviews=reviews,
        can_submit=who.has(Role.LAB_SUBMITTER),
    )


@router.get("/review/submissions/new")
def new_submission(request: Request, who: VisitorDep) -> Response:
    who.require()
    return render(request, "review/submit.html", who, markings_choices=MARKINGS, values={}, error=None)


def _date(value: str, field: str) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar date, made UTC below
    except ValueError:
        raise InvalidInput(f"{field}: {value!r} is not a date", hint="use YYYY-MM-DD") from None
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


@router.post("/review/submissions")
def create_submission(request: Request, who: VisitorDep, form: FormDep) -> Response:
    actor = checked(request, who, form)
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        flop = text(form, "training_compute_flop")
        doc_url = text(form, "documentation_url")
        body = parse(
            SubmissionCreate,
            {
                "model_name": text(form, "model_name"),
                "model_version": text(form, "model_version"),
                "developer": text(form, "developer"),
                "training_compute_flop": flop or None,
                "modalities": split_list(text(form, "modalities")),
                "intended_release_at": _date(text(form, "intended_release_at"), "intended release"),
                "access_endpoint": optional(form, "access_endpoint"),
                "access_credential": optional(form, "access_credential"),
                "documentation": [DocumentLink(title=text(form, "documentation_title") or "Documentation", url=doc_url)]
                if doc_url
                else [],
                "classification": text(form, "classification") or "CUI",
            },
        )
        created = _programme(request).submissions.create(actor, body)
    except InvalidInput as error:
        return render(
            request, "review/submit.html", who, status=400, markings_choices=MARKINGS, values=values, error=error
        )
    return redirect(f"/review/submissions/{created.id}")


@router.get("/review/submissions/{submission_id}")
def submission(request: Request, who: VisitorDep, submission_id: str) -> Response:
    actor = who.require()
    programme = _programme(request)
    wanted = SubmissionID(submission_id)
    found = programme.submissions.get(actor, wanted)
    selection = programme.selection.get(actor, wanted)
    return render(
        request,
        "review/submission.html",
        who,
        markings=[found.classification],
        sub=found,
        selection=selection,
        own_lab=who.is_lab and actor.org_id == found.org_id,
        can_withdraw=who.has(Role.LAB_SUBMITTER) and actor.org_id == found.org_id and found.status == "active",
        can_nominate=who.has(Role.AGENCY_REVIEWER) and found.status == "active",
        can_open=who.has(Role.PROGRAMME_ADMIN) and found.review_id is None and found.status == "active",
    )


@router.post("/review/submissions/{submission_id}/withdraw")
def withdraw(request: Request, who: VisitorDep, form: FormDep, submission_id: str) -> Response:
    actor = checked(request, who, form)
    _programme(request).submissions.withdraw(actor, SubmissionID(submission_id))
    return redirect(f"/review/submissions/{submission_id}")


@router.post("/review/submissions/{submission_id}/nominations")
def nominate(request: Request, who: VisitorDep, form: FormDep, submission_id: str) -> Response:
    actor = checked(request, who, form)
    body = parse(NominationCreate, {"reason": text(form, "reason")})
    _programme(request).submissions.nominate(actor, SubmissionID(submission_id), body)
    return redirect(f"/review/submissions/{submission_id}")


@router.post("/review/reviews")
def open_review(request: Request, who: VisitorDep, form: FormDep) -> Response:
    actor = checked(request, who, form)
    days = text(form, "window_days")
    body = parse(ReviewCreate, {"submission_id": text(form, "submission_id"), "window_days": days or None})
    opened = _programme(request).reviews.open(actor, body)
    return redirect(f"/review/reviews/{opened.id}")


# --- a review ---------------------------------------------------------------------------------------------


def _profile(programme: ReviewProgramme, actor: Any, evidence: list[Any], sub: Any) -> list[Series]:
    """The model's eval scores (its eval summaries, newest last) against the reference models' scores."""
    series: list[Series] = []
    references: dict[str, dict[str, float]] = {}
    for item in evidence:
        summary = item.summary or {}
        if item.kind != "eval_summary":
            continue
        tasks = summary.get("tasks")
        if isinstance(tasks, dict):  # a stored profile (bastion.evals.profile.ModelProfile)
            scores = {t: float(f.get("rate", 0)) for t, f in tasks.items() if isinstance(f, dict)}
        else:
            scores = {t: float(v) for t, v in (summary.get("scores") or {}).items() if isinstance(v, int | float)}
        if scores:
            name = str(summary.get("model") or summary.get("run_id") or item.filename)
            series = [Series(f"{sub.model_name if sub else 'model'} ({name})", scores)]
        for task, by_model in (summary.get("reference_scores") or {}).items():
            for model, value in (by_model or {}).items():
                references.setdefault(model, {})[task] = float(value)
    if sub is not None:
        for task, by_model in sub.reference_scores.items():
            for model, value in by_model.items():
                references.setdefault(model, {})[task] = float(value)
    if not series and sub is not None and sub.evaluation_scores:
        series = [Series(f"{sub.model_name} (figures on the submission)", dict(sub.evaluation_scores))]
    return series + [Series(model, scores) for model, scores in sorted(references.items())] if series else []


@router.get("/review/reviews/{review_id}")
def review(request: Request, who: VisitorDep, review_id: str) -> Response:
    actor = who.require()
    container = container_of(request)
    programme = container.review
    wanted = ReviewID(review_id)
    found = programme.reviews.get(actor, wanted)
    sub = _if_allowed(lambda: programme.submissions.get(actor, found.submission_id))
    findings = programme.findings.list_for_review(actor, wanted).data
    extensions = programme.extensions.list_for_review(actor, wanted).data
    assignments = _if_allowed(lambda: programme.assignments.list_for_review(actor, wanted).data)
    evidence = _if_allowed(lambda: programme.evidence.list_for_review(actor, wanted).data) or []
    evaluator = who.has(Role.EVALUATOR) and any(a.user_id == actor.user_id for a in assignments or [])
    runs = (
        [r for r in container.evals.list_runs(actor) if r.review_id == review_id]
        if who.has(Role.EVALUATOR, Role.PROGRAMME_ADMIN)
        else []
    )
    people = _if_allowed(lambda: container.identity.list_users(actor)) or []  # whom the policy lets them see
    evaluators = [u for u in people if Role.EVALUATOR in u.roles and u.active] if who.has(Role.PROGRAMME_ADMIN) else []
    names = {u.id: u.display_name for u in people}
    series = _profile(programme, actor, evidence, sub)
    open_ = found.status == "open"
    days_left = (found.deadline - container.runtime.clock.now()).total_seconds() / 86400
    return render(
        request,
        "review/review.html",
        who,
        markings=[found.classification, *markings_of(findings), *markings_of(evidence)],
        rev=found,
        sub=sub,
        days_left=days_left,
        findings=findings,
        extensions=extensions,
        assignments=assignments,
        evidence=evidence,
        runs=runs,
        evaluators=evaluators,
        names=names,
        chart=profile_chart(series) if series else None,
        series=series,
        is_admin=who.has(Role.PROGRAMME_ADMIN),
        is_evaluator=evaluator,
        is_lab_submitter=who.has(Role.LAB_SUBMITTER) and who.is_lab,
        is_open=open_,
        focus_areas=list(FocusArea),
        severities=list(Severity),
        markings_choices=MARKINGS,
        statuses=FindingStatus,
    )


def _review_action(
    request: Request, who: Visitor, form: FormData, review_id: str, act: Callable[[Any], object]
) -> Response:
    actor = checked(request, who, form)
    act(actor)
    return redirect(f"/review/reviews/{review_id}")


@router.post("/review/reviews/{review_id}/release")
def release(request: Request, who: VisitorDep, form: FormDep, review_id: str) -> Response:
    programme = _programme(request)
    return _review_action(
        request,
        who,
        form,
        review_id,
        lambda actor: programme.reviews.release(actor, ReviewID(review_id), ReleaseRecord()),
    )


@router.post("/review/reviews/{review_id}/extensions")
def propose_extension(request: Request, who: VisitorDep, form: FormDep, review_id: str) -> Response:
    programme = _programme(request)
    body = parse(ExtensionCreate, {"days": text(form, "days"), "reason": text(form, "reason")})
    return _review_action(
        request, who, form, review_id, lambda actor: programme.extensions.propose(actor, ReviewID(review_id), body)
    )


@router.post("/review/reviews/{review_id}/extensions/{extension_id}")
def answer_extension(request: Request, who: VisitorDep, form: FormDep, review_id: str, extension_id: str) -> Response:
    programme = _programme(request)
    consent = text(form, "consent")
    if consent not in ("yes", "no"):
        raise InvalidInput("answer the extension with consent or decline", hint="use one of the two buttons")
    body = ExtensionAnswer(consent=consent == "yes")
    return _review_action(
        request, who, form, review_id, lambda actor: programme.extensions.answer(actor, ExtensionID(extension_id), body)
    )


@router.post("/review/reviews/{review_id}/assignments")
def assign(request: Request, who: VisitorDep, form: FormDep, review_id: str) -> Response:
    programme = _programme(request)
    body = parse(
        AssignmentCreate,
        {
            "user_id": text(form, "user_id"),
            "focus_areas": [v for v in form.getlist("focus_areas") if isinstance(v, str)],
        },
        labels={"focus_areas": "focus areas (choose at least one)", "user_id": "evaluator"},
    )
    return _review_action(
        request, who, form, review_id, lambda actor: programme.assignments.assign(actor, ReviewID(review_id), body)
    )


@router.post("/review/reviews/{review_id}/findings")
def add_finding(request: Request, who: VisitorDep, form: FormDep, review_id: str) -> Response:
    programme = _programme(request)
    body = parse(
        FindingCreate,
        {
            "title": text(form, "title"),
            "focus_area": text(form, "focus_area"),
            "severity": text(form, "severity"),
            "classification": text(form, "classification") or "CUI",
            "description": text(form, "description"),
            "for_clearinghouse": text(form, "for_clearinghouse") == "yes",
        },
    )
    return _review_action(
        request, who, form, review_id, lambda actor: programme.findings.create(actor, ReviewID(review_id), body)
    )


@router.post("/review/reviews/{review_id}/findings/{finding_id}/status")
def finding_status(request: Request, who: VisitorDep, form: FormDep, review_id: str, finding_id: str) -> Response:
    programme = _programme(request)
    wanted = text(form, "status")
    if wanted == FindingStatus.SHARED_WITH_LAB:
        return _review_action(
            request, who, form, review_id, lambda actor: programme.findings.share(actor, FindingID(finding_id))
        )
    body = parse(FindingUpdate, {"status": wanted})
    return _review_action(
        request, who, form, review_id, lambda actor: programme.findings.update(actor, FindingID(finding_id), body)
    )


@router.post("/review/reviews/{review_id}/findings/{finding_id}/responses")
def respond(request: Request, who: VisitorDep, form: FormDep, review_id: str, finding_id: str) -> Response:
    programme = _programme(request)
    body = parse(ResponseCreate, {"body": text(form, "body")}, labels={"body": "your answer"})
    return _review_action(
        request, who, form, review_id, lambda actor: programme.findings.respond(actor, FindingID(finding_id), body)
    )


@router.post("/review/reviews/{review_id}/evidence")
async def upload_evidence(request: Request, who: VisitorDep, form: FormDep, review_id: str) -> Response:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("choose a file to upload as evidence", hint="use the file field of the form")
    data = await upload.read()
    marking = text(form, "classification") or "CUI"
    finding_id = optional(form, "finding_id")
    programme = _programme(request)
    try:
        level = Classification.parse(marking)
    except ValueError as e:
        raise InvalidInput(str(e)) from None

    def act(actor: Any) -> object:
        return programme.evidence.upload(
            actor,
            ReviewID(review_id),
            filename=upload.filename or "evidence",
            content_type=upload.content_type or "application/octet-stream",
            data=data,
            classification=level,
            finding_id=None if finding_id is None else FindingID(finding_id),
        )

    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_review_action, request, who, form, review_id, act)


@router.post("/review/reviews/{review_id}/battery")
def start_battery(request: Request, who: VisitorDep, form: FormDep, review_id: str) -> Response:
    container = container_of(request)
    model = text(form, "model")
    if "/" not in model:
        raise InvalidInput(
            f"model {model!r} is not PROVIDER/MODEL", hint="name the model as Inspect does, e.g. openai/gpt-4o"
        )
    limit = text(form, "limit") or "10"
    if not limit.isdigit() or not 1 <= int(limit) <= 1000:
        raise InvalidInput(f"samples per task: {limit!r} is not a number from 1 to 1000")
    return _review_action(
        request,
        who,
        form,
        review_id,
        lambda actor: container.evals.start_run(actor, model=model, review_id=review_id, limit=int(limit)),
    )


@router.get("/review/reviews/{review_id}/report.{fmt}")
def report(request: Request, who: VisitorDep, review_id: str, fmt: str) -> Response:
    actor = who.require()
    if fmt not in (ReportFormat.HTML, ReportFormat.PDF):
        raise NotFound(f"there is no report as .{fmt}", hint="download it as .html or .pdf")
    rendered = _programme(request).reports.render(actor, ReviewID(review_id), fmt=ReportFormat(fmt))
    disposition = "inline" if fmt == ReportFormat.HTML else "attachment"
    return Response(
        content=rendered.content,
        media_type=rendered.media_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{rendered.filename}"',
            "X-Classification": rendered.classification.banner,
            "Content-Security-Policy": REPORT_CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )
