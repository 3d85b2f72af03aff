"""Review API, continued: findings, evidence, evaluation results and operations (the outbox and the
scheduler tick). Included by ``bastion.api.review`` under /api."""

from __future__ import annotations

import functools
from enum import Enum
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from bastion.api.auth import PrincipalDep
from bastion.api.deps import ProgrammeDep
from bastion.api.limits import EVIDENCE_BODY
from bastion.api.uploads import UPLOAD_SCHEMA, streamed_upload
from bastion.core.ids import EvidenceID, FindingID, OutboxMessageID, ReviewID
from bastion.core.principal import Classification
from bastion.review import (
    EvalResultsCreate,
    EvidenceListPublic,
    EvidencePublic,
    FindingCreate,
    FindingPublic,
    FindingsPublic,
    FindingStatus,
    FindingUpdate,
    FocusArea,
    OutboxMessagePublic,
    OutboxPublic,
    ResponseCreate,
    ResponsePublic,
    TickResult,
    invalid,
)

router = APIRouter()
_findings: list[str | Enum] = ["findings"]
_evidence: list[str | Enum] = ["evidence"]
_operations: list[str | Enum] = ["operations"]
_CREATED = 201


# --- findings ---------------------------------------------------------------------------------------------


@router.get("/reviews/{review_id}/findings", tags=_findings, summary="Findings of a review you may see")
def list_findings(
    review_id: str,
    actor: PrincipalDep,
    programme: ProgrammeDep,
    status: FindingStatus | None = None,
    focus_area: FocusArea | None = None,
) -> FindingsPublic:
    return programme.findings.list_for_review(actor, ReviewID(review_id), status=status, focus_area=focus_area)


@router.post(
    "/reviews/{review_id}/findings",
    tags=_findings,
    status_code=_CREATED,
    summary="Record a finding (assigned evaluators; starts as draft)",
)
def create_finding(review_id: str, body: FindingCreate, actor: PrincipalDep, programme: ProgrammeDep) -> FindingPublic:
    return programme.findings.create(actor, ReviewID(review_id), body)


@router.get("/findings/{finding_id}", tags=_findings, summary="One finding with the lab's responses")
def get_finding(finding_id: str, actor: PrincipalDep, programme: ProgrammeDep) -> FindingPublic:
    return programme.findings.get(actor, FindingID(finding_id))


@router.patch(
    "/findings/{finding_id}",
    tags=_findings,
    summary="Edit a finding or move its status (409 lists the allowed next states)",
)
def update_finding(finding_id: str, body: FindingUpdate, actor: PrincipalDep, programme: ProgrammeDep) -> FindingPublic:
    return programme.findings.update(actor, FindingID(finding_id), body)


@router.post("/findings/{finding_id}/share", tags=_findings, summary="Share a confirmed finding with the lab")
def share_finding(finding_id: str, actor: PrincipalDep, programme: ProgrammeDep) -> FindingPublic:
    return programme.findings.share(actor, FindingID(finding_id))


@router.post(
    "/findings/{finding_id}/responses",
    tags=_findings,
    status_code=_CREATED,
    summary="The lab's response to a finding shared with it",
)
def respond_to_finding(
    finding_id: str, body: ResponseCreate, actor: PrincipalDep, programme: ProgrammeDep
) -> ResponsePublic:
    return programme.findings.respond(actor, FindingID(finding_id), body)


@router.get(
    "/clearinghouse/candidates",
    tags=_findings,
    summary="Confirmed findings flagged as concrete software flaws (for the clearinghouse)",
)
def clearinghouse_candidates(actor: PrincipalDep, programme: ProgrammeDep) -> FindingsPublic:
    return programme.findings.clearinghouse_candidates(actor)


# --- evidence ---------------------------------------------------------------------------------------------


@router.get("/reviews/{review_id}/evidence", tags=_evidence, summary="Evidence attached to a review")
def list_evidence(review_id: str, actor: PrincipalDep, programme: ProgrammeDep) -> EvidenceListPublic:
    return programme.evidence.list_for_review(actor, ReviewID(review_id))


@router.post(
    "/reviews/{review_id}/evidence",
    tags=_evidence,
    status_code=_CREATED,
    summary="Upload an evidence file (multipart; size-limited; SHA-256 recorded)",
    description="A multipart/form-data body with a `file` part and optional `classification` (default CUI) and "
    "`finding_id` fields. The body is read only after authentication, streamed to the data directory, and "
    "refused with 413 past BASTION_MAX_EVIDENCE_BYTES.",
    openapi_extra={**EVIDENCE_BODY, "requestBody": UPLOAD_SCHEMA},
)
async def upload_evidence(
    review_id: str, request: Request, actor: PrincipalDep, programme: ProgrammeDep
) -> EvidencePublic:
    service = programme.evidence
    async with streamed_upload(request, service.staging_dir, service.max_bytes) as upload:
        classification = upload.fields.get("classification", "CUI")
        try:
            level = Classification.parse(classification)
        except ValueError as e:
            raise invalid(str(e), field="classification") from e
        finding_id = upload.fields.get("finding_id")
        return await run_in_threadpool(
            functools.partial(
                service.upload,
                actor,
                ReviewID(review_id),
                filename=upload.filename,
                content_type=upload.content_type,
                data=upload.staged,
                classification=level,
                finding_id=None if finding_id is None else FindingID(finding_id),
            )
        )


@router.post(
    "/reviews/{review_id}/eval-results",
    tags=_evidence,
    status_code=_CREATED,
    summary="Attach an evaluation run summary (scores become available to the selection engine)",
    openapi_extra=EVIDENCE_BODY,  # a summary is evidence: it may be as large as an evidence file
)
def attach_eval_results(
    review_id: str, body: EvalResultsCreate, actor: PrincipalDep, programme: ProgrammeDep
) -> EvidenceListPublic:
    rows = programme.evidence.attach_eval_results(
        actor, ReviewID(review_id), body.summary, classification=body.classification
    )
    return EvidenceListPublic(data=rows, count=len(rows))


@router.get("/evidence/{evidence_id}", tags=_evidence, summary="Evidence metadata")
def get_evidence(evidence_id: str, actor: PrincipalDep, programme: ProgrammeDep) -> EvidencePublic:
    return programme.evidence.get(actor, EvidenceID(evidence_id))


@router.get(
    "/evidence/{evidence_id}/content",
    tags=_evidence,
    summary="Download an evidence file (integrity-checked)",
    response_class=Response,
)
def download_evidence(evidence_id: str, actor: PrincipalDep, programme: ProgrammeDep) -> Response:
    meta, data = programme.evidence.content(actor, EvidenceID(evidence_id))
    return Response(
        content=data,
        media_type=meta.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta.filename)}",
            "X-Content-Type-Options": "nosniff",
            "X-Classification": meta.classification.banner,
        },
    )


# --- operations -------------------------------------------------------------------------------------------


@router.get("/outbox", tags=_operations, summary="Notifications waiting for delivery (programme administrators)")
def list_outbox(
    actor: PrincipalDep, programme: ProgrammeDep, pending: bool = False, topic: str | None = None
) -> OutboxPublic:
    return programme.outbox.list_messages(actor, pending_only=pending, topic=topic)


@router.post("/outbox/{message_id}/delivered", tags=_operations, summary="Mark a notification as delivered")
def mark_delivered(message_id: str, actor: PrincipalDep, programme: ProgrammeDep) -> OutboxMessagePublic:
    return programme.outbox.mark_delivered(actor, OutboxMessageID(message_id))


@router.post(
    "/outbox/tick",
    tags=_operations,
    summary="Close reviews whose window ended and enqueue due reminders (idempotent)",
)
def tick(actor: PrincipalDep, programme: ProgrammeDep) -> TickResult:
    return programme.reviews.tick(actor)
