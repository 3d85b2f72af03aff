"""The OSV-compatible API (``/v1``): the same requests and responses as osv.dev, so its clients work.

Differences from osv.dev, all additive: ``GET /v1/vulns/{id}`` also accepts an alias (a CVE id);
``POST /v1/querybatch`` takes ``"full_records": true`` to return whole records instead of ids; an unknown
ecosystem, purl type or malformed version is a 400 with a message, not an empty 200. Request bodies are read as
JSON whatever the Content-Type (pip-audit sends none).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from bastion.advisories.errors import InvalidQuery
from bastion.advisories.package_index import Hit
from bastion.advisories.query import (
    CommitQuery,
    PackageQuery,
    Query,
    QueryService,
    offset_from_token,
    page_token,
)
from bastion.advisories.service import AdvisoryService
from bastion.core.errors import BastionError
from bastion.runtime import Runtime

router = APIRouter(prefix="/v1", tags=["OSV-compatible API"])

MAX_BATCH = 1000


@dataclass(frozen=True, slots=True)
class OsvServices:
    """Built once per app, so the query service's compiled-range cache lives across requests."""

    query: QueryService
    advisories: AdvisoryService
    page_size: int

    @classmethod
    def for_runtime(cls, runtime: Runtime) -> OsvServices:
        database = runtime.database
        return cls(QueryService(database), AdvisoryService(database), runtime.settings.osv_page_size)


def services(request: Request) -> OsvServices:
    svc: OsvServices = request.app.state.osv
    return svc


class PackageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, examples=["jinja2"])
    ecosystem: str | None = Field(default=None, examples=["PyPI"])
    purl: str | None = Field(default=None, examples=["pkg:pypi/jinja2@3.1.2"])


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    commit: str | None = Field(default=None, description="A git commit hash (full, or at least 7 hex digits).")
    version: str | None = Field(default=None, examples=["3.1.2"])
    package: PackageIn | None = None
    page_token: str | None = Field(default=None, description="The next_page_token of the previous page.")


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queries: list[QueryIn] = Field(max_length=MAX_BATCH, description=f"Up to {MAX_BATCH} queries.")
    full_records: bool = Field(
        default=False, description="Bastion extension: return whole records, not only id and modified."
    )


async def _json_body(request: Request, model: type[BaseModel]) -> Any:
    raw = await request.body()
    try:
        data = json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:  # a body that is not UTF-8 is not JSON either
        raise InvalidQuery(f"the request body is not valid JSON: {e}", hint="send a JSON object") from e
    try:
        return model.model_validate(data)
    except ValidationError as e:
        problems = [
            {"field": ".".join(str(p) for p in err["loc"]) or "body", "problem": err["msg"]} for err in e.errors()
        ]
        first = problems[0]
        raise InvalidQuery(
            f"invalid query: {first['field']}: {first['problem']}",
            hint="see /docs for the request shape",
            details={"problems": problems},
        ) from e


def _json(content: dict[str, Any]) -> Response:
    """Serialize with orjson: a 1,000-query batch can hold tens of thousands of results."""
    return Response(content=orjson.dumps(content), media_type="application/json")


def _build(query: QueryIn) -> Query:
    package = query.package
    if query.commit:
        if package or query.version:
            raise InvalidQuery(
                "a commit query takes no package or version", hint="send the commit alone, or a package query"
            )
        return CommitQuery.build(query.commit)
    if package is None:
        raise InvalidQuery(
            "a query needs a package (name and ecosystem, or purl) or a commit",
            hint='e.g. {"version": "3.1.2", "package": {"name": "jinja2", "ecosystem": "PyPI"}}',
        )
    return PackageQuery.build(ecosystem=package.ecosystem, name=package.name, purl=package.purl, version=query.version)


def _page(matches: list[Hit], query: Query, token: str | None, size: int) -> tuple[list[Hit], str | None]:
    offset = offset_from_token(query, token)
    page = matches[offset : offset + size]
    more = offset + size < len(matches)
    return page, page_token(query, offset + size) if more else None


def _in_batch(index: int, error: BastionError) -> BastionError:
    error.message = f"queries[{index}]: {error.message}"
    error.details = {**error.details, "query_index": index}
    return error


QUERY_EXAMPLE = {"version": "2.4.1", "package": {"name": "jinja2", "ecosystem": "PyPI"}}


@router.post(
    "/query",
    summary="Vulnerabilities affecting a package version, a purl or a commit",
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": QueryIn.model_json_schema()}}}},
)
async def query(request: Request) -> Response:
    body: QueryIn = await _json_body(request, QueryIn)
    return _json(await run_in_threadpool(_answer_query, services(request), body))


def _answer_query(svc: OsvServices, body: QueryIn) -> dict[str, Any]:
    built = _build(body)
    generation, [matches] = svc.query.match_at_generation([built])
    page, next_token = _page(matches, built, body.page_token, svc.page_size)
    documents = svc.advisories.documents([vuln_id for vuln_id, _ in page], generation=generation)
    result: dict[str, Any] = {}
    if page:
        result["vulns"] = [documents[vuln_id] for vuln_id, _ in page if vuln_id in documents]
    if next_token:
        result["next_page_token"] = next_token
    return result


@router.post(
    "/querybatch",
    summary=f"Up to {MAX_BATCH} queries at once; results in the same order",
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": BatchIn.model_json_schema()}}}},
)
async def querybatch(request: Request) -> Response:
    body: BatchIn = await _json_body(request, BatchIn)
    return _json(await run_in_threadpool(_answer_batch, services(request), body))


def _answer_batch(svc: OsvServices, body: BatchIn) -> dict[str, Any]:
    built: list[Query] = []
    for index, item in enumerate(body.queries):
        try:
            built.append(_build(item))
        except BastionError as e:
            raise _in_batch(index, e) from e
    try:
        generation, all_matches = svc.query.match_at_generation(built)
    except BastionError as e:
        failed_at = e.details.get("query_index")
        raise (_in_batch(failed_at, e) if isinstance(failed_at, int) else e) from e
    results: list[dict[str, Any]] = []
    pages = []
    for index, (item, matches) in enumerate(zip(body.queries, all_matches, strict=True)):
        try:
            pages.append(_page(matches, built[index], item.page_token, svc.page_size))
        except BastionError as e:
            raise _in_batch(index, e) from e
    wanted = [vuln_id for page, _ in pages for vuln_id, _ in page] if body.full_records else []
    documents = svc.advisories.documents(wanted, generation=generation) if wanted else {}
    for page, next_token in pages:
        result: dict[str, Any] = {}
        if page:
            result["vulns"] = (
                [documents[vuln_id] for vuln_id, _ in page if vuln_id in documents]
                if body.full_records
                else [{"id": vuln_id, "modified": modified} for vuln_id, modified in page]
            )
        if next_token:
            result["next_page_token"] = next_token
        results.append(result)
    return {"results": results}


@router.get("/vulns/{vuln_id}", summary="One advisory by id, or by an alias such as a CVE id")
def get_vuln(
    request: Request,
    response: Response,
    vuln_id: Annotated[str, Path(max_length=255, examples=["PYSEC-2021-66", "CVE-2021-44228"])],
) -> dict[str, Any]:
    lookup = services(request).advisories.get(vuln_id)
    response.headers["X-Bastion-Alias-Group"] = ", ".join(lookup.group)
    return lookup.document
