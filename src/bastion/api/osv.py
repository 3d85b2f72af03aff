"""The OSV-compatible API (``/v1``): the same requests and responses as osv.dev, so its clients work.

Envelopes are osv.dev's (proto3 JSON): an empty answer is ``{}``, an empty batch is ``{}``, and an error is
``{"code": <gRPC status>, "message": ...}``, to which Bastion adds ``hint`` and ``reason`` (its stable
machine code). Inside a batch, a query's own problem gets an empty result, as osv.dev answers a version it
cannot read, and the other queries keep their answers; the ``X-Bastion-Query-Errors`` header names the
failed queries, and ``"bastion_errors": true`` adds a ``bastion_error`` object to each failed result (not
by default: osv-scanner decodes answers with protojson, which refuses fields it does not know).

Bastion's other additions: ``GET /v1/vulns/{id}`` also accepts an alias (a CVE id); ``querybatch`` takes
``"full_records": true``; a single query's unknown ecosystem, purl type or unreadable version is a 400 with
a message and a hint. Request bodies are read as JSON whatever the Content-Type (pip-audit sends none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from bastion.advisories import AdvisoryService, Answer, InvalidQuery, OsvQueries, Problem, QueryProblem
from bastion.api.osv_requests import MAX_BATCH, BatchIn, QueryIn, batch_requests, parse
from bastion.container import Container

router = APIRouter(prefix="/v1", tags=["OSV-compatible API"])

MAX_LISTED_ERRORS = 50  # in the X-Bastion-Query-Errors header
JSON = "application/json"
EXAMPLE = '{"version": "2.4.1", "package": {"name": "jinja2", "ecosystem": "PyPI"}}'

# How to fix each problem, in this API's terms (the domain's own hint is used where it has one).
HINTS: dict[Problem, str] = {
    Problem.VERSION_TWICE: 'drop "version", or the @version of the purl',
    Problem.PURL_WITH_NAME: 'send {"package": {"purl": "pkg:pypi/jinja2@3.1.2"}} alone, or a name and ecosystem',
    Problem.NO_PACKAGE: f'e.g. {EXAMPLE}, or {{"commit": "<hash>"}}',
    Problem.NO_NAME: f"e.g. {EXAMPLE}",
    Problem.NO_ECOSYSTEM: f"e.g. {EXAMPLE}",
    Problem.COMMIT_WITH_PACKAGE: 'send {"commit": "<hash>"} alone; a version query names a package instead',
    Problem.BAD_PAGE_TOKEN: "omit page_token to start from the first page",
    Problem.FOREIGN_PAGE_TOKEN: "send the same query with the next_page_token it returned",
}


@dataclass(frozen=True, slots=True)
class OsvServices:
    """The container's advisories services, as this router uses them."""

    queries: OsvQueries
    advisories: AdvisoryService

    @classmethod
    def for_container(cls, container: Container) -> OsvServices:
        return cls(container.osv_queries, container.advisories)


def services(request: Request) -> OsvServices:
    svc: OsvServices = request.app.state.osv
    return svc


def hint_for(problem: QueryProblem) -> str | None:
    return HINTS.get(problem.problem) or problem.hint


def _error(problem: QueryProblem) -> InvalidQuery:
    return InvalidQuery(problem.message, code=problem.code, hint=hint_for(problem), details=dict(problem.details))


@router.post(
    "/query",
    summary="Vulnerabilities affecting a package version, a purl or a commit",
    openapi_extra={"requestBody": {"content": {JSON: {"schema": QueryIn.model_json_schema()}}}},
)
async def query(request: Request) -> Response:
    body = parse(await request.body(), QueryIn)
    answers = await run_in_threadpool(services(request).queries.answer, [body.request()], records=True)
    answer = answers.answers[0]
    if answer.problem is not None:
        raise _error(answer.problem)
    return Response(_page_json(answer, full=True), media_type=JSON)


@router.post(
    "/querybatch",
    summary=f"Up to {MAX_BATCH} queries at once; results in the same order",
    openapi_extra={"requestBody": {"content": {JSON: {"schema": BatchIn.model_json_schema()}}}},
)
async def querybatch(request: Request) -> Response:
    requests, full_records, explain = batch_requests(await request.body())
    if not requests:
        return Response(b"{}", media_type=JSON)  # proto3 JSON leaves out an empty list: osv.dev answers {}
    answers = await run_in_threadpool(services(request).queries.answer, requests, records=full_records)
    parts = [b'{"results":[']
    for answer in answers.answers:
        if answer.problem is not None:
            parts.append(_failed_json(answer.problem, explain=explain))
        elif full_records or answer.next_page_token:
            parts.append(_page_json(answer, full=full_records))
        else:
            parts.append(answer.hits.osv_result_json)  # remembered with the answer, serialized once
        parts.append(b",")
    parts[-1] = b"]}"
    return Response(b"".join(parts), media_type=JSON, headers=_error_header(answers.answers))


def _page_json(answer: Answer, *, full: bool) -> bytes:
    if not answer.hits:
        return b"{}"
    vulns = b"[" + b",".join(r.osv_json for r in answer.records) + b"]" if full else answer.hits.osv_json
    more = b',"next_page_token":' + orjson.dumps(answer.next_page_token) if answer.next_page_token else b""
    return b'{"vulns":' + vulns + more + b"}"


def _failed_json(problem: QueryProblem, *, explain: bool) -> bytes:
    if not explain:
        return b"{}"
    error: dict[str, Any] = {"reason": problem.code, "message": problem.message}
    if hint := hint_for(problem):
        error["hint"] = hint
    return orjson.dumps({"bastion_error": error})


def _error_header(answers: Sequence[Answer]) -> dict[str, str] | None:
    failed = [f"queries[{i}] {a.problem.code}" for i, a in enumerate(answers) if a.problem is not None]
    if not failed:
        return None
    listed = ", ".join(failed[:MAX_LISTED_ERRORS])
    more = f", and {len(failed) - MAX_LISTED_ERRORS} more" if len(failed) > MAX_LISTED_ERRORS else ""
    return {"X-Bastion-Query-Errors": f"{len(failed)}: {listed}{more}"}


@router.get("/vulns/{vuln_id}", summary="One advisory by id, or by an alias such as a CVE id")
def get_vuln(
    request: Request,
    vuln_id: Annotated[str, Path(max_length=255, examples=["PYSEC-2021-66", "CVE-2021-44228"])],
) -> Response:
    lookup = services(request).advisories.get(vuln_id)
    return Response(lookup.record.osv_json, media_type=JSON, headers={"X-Bastion-Alias-Group": ", ".join(lookup.group)})
