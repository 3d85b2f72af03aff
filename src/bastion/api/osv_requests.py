"""Reading ``/v1`` request bodies: the shapes (documented in OpenAPI) and a fast path for the common batch.

Fields we do not know are ignored, as osv.dev ignores them: clients send their own (osv-scanner 1.x sends
``omit``), and a 400 would cost them every answer. A mistyped field name cannot turn into a wrong "not
affected": without ``package`` or ``commit`` a query is refused, and without ``version`` it lists every
advisory of the package."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bastion.advisories import InvalidQuery, QueryRequest

MAX_BATCH = 1000
ModelT = TypeVar("ModelT", bound=BaseModel)


class PackageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str | None = Field(default=None, examples=["jinja2"])
    ecosystem: str | None = Field(default=None, examples=["PyPI"])
    purl: str | None = Field(default=None, examples=["pkg:pypi/jinja2@3.1.2"])


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    commit: str | None = Field(default=None, description="A git commit hash (full, or at least 7 hex digits).")
    version: str | None = Field(default=None, examples=["3.1.2"])
    package: PackageIn | None = Field(default=None, description="Optional with a commit; {} is no package.")
    page_token: str | None = Field(default=None, description="The next_page_token of the previous page.")

    def request(self) -> QueryRequest:
        package = self.package or PackageIn()
        return QueryRequest(self.commit, self.version, package.name, package.ecosystem, package.purl, self.page_token)


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    queries: list[QueryIn] = Field(max_length=MAX_BATCH, description=f"Up to {MAX_BATCH} queries.")
    full_records: bool = Field(
        default=False, description="Bastion extension: return whole records, not only id and modified."
    )
    bastion_errors: bool = Field(
        default=False, description="Bastion extension: say why in a bastion_error object on each failed result."
    )


def parse(raw: bytes, model: type[ModelT]) -> ModelT:
    """The request body as ``model``; a body that is not one is malformed as a whole (400)."""
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as e:
        errors = e.errors(include_url=False)
        if errors[0]["type"] == "json_invalid":
            raise InvalidQuery(
                f"the request body is not valid JSON: {errors[0]['msg']}", hint="send a JSON object"
            ) from None
        problems = [{"field": ".".join(str(p) for p in err["loc"]) or "body", "problem": err["msg"]} for err in errors]
        first = problems[0]
        raise InvalidQuery(
            f"invalid query: {first['field']}: {first['problem']}",
            hint="see /docs for the request shape",
            details={"problems": problems},
        ) from None


_QUERY_KEYS = frozenset(QueryIn.model_fields)
_PACKAGE_KEYS = frozenset(PackageIn.model_fields)
_BATCH_KEYS = frozenset(BatchIn.model_fields)


def _plain_query(item: Any) -> QueryRequest | None:
    """The request, when ``item`` is plainly a valid query (strings or nulls in known fields); else None."""
    if type(item) is not dict or not item.keys() <= _QUERY_KEYS:
        return None
    package = item.get("package")
    if package is None:
        package = {}
    elif type(package) is not dict or not package.keys() <= _PACKAGE_KEYS:
        return None
    values = (
        item.get("commit"), item.get("version"), package.get("name"), package.get("ecosystem"), package.get("purl"),
        item.get("page_token"),
    )  # fmt: skip
    if any(value is not None and type(value) is not str for value in values):
        return None
    return QueryRequest(*values)


def batch_requests(raw: bytes) -> tuple[list[QueryRequest], bool, bool]:
    """The batch's queries, ``full_records`` and ``bastion_errors``.

    The common, plainly valid body is read with orjson alone: a thousand pydantic models cost more than the
    rest of the answer. Anything else goes through ``BatchIn``, which accepts it or says what is wrong.
    """
    try:
        data = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        data = None
    if type(data) is dict and data.keys() <= _BATCH_KEYS and type(data.get("queries")) is list:
        flags = (data.get("full_records", False), data.get("bastion_errors", False))
        plain = [_plain_query(item) for item in data["queries"]] if len(data["queries"]) <= MAX_BATCH else [None]
        if all(type(flag) is bool for flag in flags) and all(request is not None for request in plain):
            return [request for request in plain if request is not None], flags[0], flags[1]
    body = parse(raw, BatchIn)
    return [item.request() for item in body.queries], body.full_records, body.bastion_errors
