"""/api/submissions, /api/reviews, /api/findings, /api/evidence, /api/extensions, /api/outbox: the
voluntary pre-release review. Thin: parse, call one ``ReviewProgramme`` service, return its record."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from bastion.api import review_content
from bastion.api.auth import PrincipalDep
from bastion.api.deps import ProgrammeDep
from bastion.core.ids import ExtensionID, ReviewID, SubmissionID
from bastion.core.principal import UserID
from bastion.review import (
    REPORT_CSP,
    AssignmentCreate,
    AssignmentPublic,
    AssignmentsPublic,
    ExtensionAnswer,
    ExtensionCreate,
    ExtensionPublic,
    ExtensionsPublic,
    NominationCreate,
    NominationPublic,
    ReleaseRecord,
    ReportFormat,
    ReportVariant,
    ReviewCreate,
    ReviewPublic,
    ReviewsPublic,
    SelectionOverride,
    SelectionPublic,
    SubmissionAccess,
    SubmissionCreate,
    SubmissionPublic,
    SubmissionsPublic,
    SubmissionStatus,
    SubmissionUpdate,
    WindowStatus,
)

router = APIRouter(prefix="/api")
_submissions: list[str | Enum] = ["submissions"]
_selection: list[str | Enum] = ["selection"]
_reviews: list[str | Enum] = ["reviews"]
_findings: list[str | Enum] = ["findings"]
_evidence: list[str | Enum] = ["evidence"]
_operations: list[str | Enum] = ["operations"]
_CREATED = status.HTTP_201_CREATED


# --- submissions ------------------------------------------------------------------------------------------


@router.post("/submissions", tags=_submissions, status_code=_CREATED, summary="Submit a model (labs)")
def create_submission(body: SubmissionCreate, actor: PrincipalDep, programme: ProgrammeDep) -> SubmissionPublic:
    return programme.submissions.create(actor, body)


@router.get("/submissions", tags=_submissions, summary="Submissions you may see (a lab: its own)")
def list_submissions(
    actor: PrincipalDep, programme: ProgrammeDep, status: SubmissionStatus | None = None
) -> SubmissionsPublic:
    return programme.submissions.list_visible(actor, status=status)


@router.get("/submissions/{submission_id}", tags=_submissions, summary="One submission")
def get_submission(submission_id: str, actor: PrincipalDep, programme: ProgrammeDep) -> SubmissionPublic:
    return programme.submissions.get(actor, SubmissionID(submission_id))


@router.patch("/submissions/{submission_id}", tags=_submissions, summary="Update a submission (the lab)")
def update_submission(
    submission_id: str, body: SubmissionUpdate, actor: PrincipalDep, programme: ProgrammeDep
) -> SubmissionPublic:
    return programme.submissions.update(actor, SubmissionID(submission_id), body)


@router.delete(
    "/submissions/{submission_id}",
    tags=_submissions,
    summary="Withdraw a submission (the lab; closes its review, keeps its findings)",
)
def withdraw_submission(submission_id: str, actor: PrincipalDep, programme: ProgrammeDep) -> SubmissionPublic:
    return programme.submissions.withdraw(actor, SubmissionID(submission_id))


@router.get(
    "/submissions/{submission_id}/access",
    tags=_submissions,
    summary="The decrypted model-access credential (assigned evaluators and programme administrators)",
)
def get_submission_access(submission_id: str, actor: PrincipalDep, programme: ProgrammeDep) -> SubmissionAccess:
    return programme.submissions.read_access(actor, SubmissionID(submission_id))


# --- selection --------------------------------------------------------------------------------------------


@router.get(
    "/submissions/{submission_id}/selection",
    tags=_selection,
    summary="Selection status (the lab) or the full rationale (programme and agency staff)",
)
def get_selection(submission_id: str, actor: PrincipalDep, programme: ProgrammeDep) -> SelectionPublic:
    return programme.selection.get(actor, SubmissionID(submission_id))


@router.post(
    "/submissions/{submission_id}/selection",
    tags=_selection,
    summary="Manual override of the selection decision (mandatory reason; audited)",
)
def override_selection(
    submission_id: str, body: SelectionOverride, actor: PrincipalDep, programme: ProgrammeDep
) -> SelectionPublic:
    return programme.selection.override(actor, SubmissionID(submission_id), body)


@router.post(
    "/submissions/{submission_id}/selection/evaluate",
    tags=_selection,
    summary="Re-run the selection policy (replaces a manual override)",
)
def evaluate_selection(submission_id: str, actor: PrincipalDep, programme: ProgrammeDep) -> SelectionPublic:
    return programme.selection.evaluate(actor, SubmissionID(submission_id))


@router.post(
    "/submissions/{submission_id}/nominations",
    tags=_selection,
    status_code=_CREATED,
    summary="Nominate a submission for review (agencies)",
)
def nominate(
    submission_id: str, body: NominationCreate, actor: PrincipalDep, programme: ProgrammeDep
) -> NominationPublic:
    return programme.submissions.nominate(actor, SubmissionID(submission_id), body)


@router.get("/selection-policy", tags=_selection, summary="The selection policy in force (version and rules)")
def get_selection_policy(actor: PrincipalDep, programme: ProgrammeDep) -> dict[str, Any]:
    del actor  # any signed-in user may read the programme's published criteria
    return programme.selection.policy_description()


# --- reviews ----------------------------------------------------------------------------------------------


@router.post("/reviews", tags=_reviews, status_code=_CREATED, summary="Open the review window (programme)")
def open_review(body: ReviewCreate, actor: PrincipalDep, programme: ProgrammeDep) -> ReviewPublic:
    return programme.reviews.open(actor, body)


@router.get("/reviews", tags=_reviews, summary="Reviews you may see")
def list_reviews(actor: PrincipalDep, programme: ProgrammeDep, status: WindowStatus | None = None) -> ReviewsPublic:
    return programme.reviews.list_visible(actor, status=status)


@router.get("/reviews/{review_id}", tags=_reviews, summary="One review: window state, deadline, reminders")
def get_review(review_id: str, actor: PrincipalDep, programme: ProgrammeDep) -> ReviewPublic:
    return programme.reviews.get(actor, ReviewID(review_id))


@router.post(
    "/reviews/{review_id}/release",
    tags=_reviews,
    summary="Record the model's public release (the lab; never refused, closes the review)",
)
def record_release(
    review_id: str, actor: PrincipalDep, programme: ProgrammeDep, body: ReleaseRecord | None = None
) -> ReviewPublic:
    return programme.reviews.release(actor, ReviewID(review_id), body or ReleaseRecord())


@router.get("/reviews/{review_id}/extensions", tags=_reviews, summary="Extensions proposed and consented")
def list_extensions(review_id: str, actor: PrincipalDep, programme: ProgrammeDep) -> ExtensionsPublic:
    return programme.extensions.list_for_review(actor, ReviewID(review_id))


@router.post(
    "/reviews/{review_id}/extensions",
    tags=_reviews,
    status_code=_CREATED,
    summary="Propose an extension (programme) or grant one (the lab: consented at once)",
)
def propose_extension(
    review_id: str, body: ExtensionCreate, actor: PrincipalDep, programme: ProgrammeDep
) -> ExtensionPublic:
    return programme.extensions.propose(actor, ReviewID(review_id), body)


@router.post("/extensions/{extension_id}/answer", tags=_reviews, summary="The lab's recorded consent or refusal")
def answer_extension(
    extension_id: str, body: ExtensionAnswer, actor: PrincipalDep, programme: ProgrammeDep
) -> ExtensionPublic:
    return programme.extensions.answer(actor, ExtensionID(extension_id), body)


@router.get("/reviews/{review_id}/assignments", tags=_reviews, summary="Evaluators assigned (staff only)")
def list_assignments(review_id: str, actor: PrincipalDep, programme: ProgrammeDep) -> AssignmentsPublic:
    return programme.assignments.list_for_review(actor, ReviewID(review_id))


@router.post(
    "/reviews/{review_id}/assignments",
    tags=_reviews,
    status_code=_CREATED,
    summary="Assign a trusted evaluator to focus areas (programme; no one from the submitting lab)",
)
def assign_evaluator(
    review_id: str, body: AssignmentCreate, actor: PrincipalDep, programme: ProgrammeDep
) -> AssignmentPublic:
    return programme.assignments.assign(actor, ReviewID(review_id), body)


@router.delete(
    "/reviews/{review_id}/assignments/{user_id}",
    tags=_reviews,
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an evaluator from a review",
)
def unassign_evaluator(review_id: str, user_id: str, actor: PrincipalDep, programme: ProgrammeDep) -> None:
    programme.assignments.unassign(actor, ReviewID(review_id), UserID(user_id))


@router.get(
    "/reviews/{review_id}/report",
    tags=_reviews,
    summary="The review report (Markdown, HTML or PDF); a lab gets its releasable summary",
    response_class=Response,
    responses={
        200: {"content": {"text/markdown": {}, "text/html": {}, "application/pdf": {}}},
        503: {"description": "PDF asked for, but this installation cannot render PDF"},
    },
)
def get_report(
    review_id: str,
    actor: PrincipalDep,
    programme: ProgrammeDep,
    fmt: Annotated[
        ReportFormat, Query(alias="format", description="md, html or pdf (pdf needs the pdf extra)")
    ] = ReportFormat.MARKDOWN,
    variant: Annotated[ReportVariant | None, Query(description="full (staff) or lab; default by role")] = None,
) -> Response:
    report = programme.reports.render(actor, ReviewID(review_id), fmt=fmt, variant=variant)
    return Response(
        content=report.content,
        media_type=report.media_type,
        headers={
            "Content-Disposition": f'inline; filename="{report.filename}"',
            "X-Classification": report.classification.banner,
            "Content-Security-Policy": REPORT_CSP,  # a report loads nothing from anywhere
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


router.include_router(review_content.router)  # findings, evidence, operations
