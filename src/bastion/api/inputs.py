"""Text the databases cannot hold is refused at the edge, on both databases alike, as a 400 (and so is a query
parameter given twice).

PostgreSQL refuses a NUL character in any text (SQLite stores it), so a NUL that reached a query used to be
a 500 on one database and stored data on the other. The request line is checked here, before routing and
authentication: the path (so every path parameter) and the query string (so every query parameter). Bodies
are checked where they are parsed (``bastion.core.fields.storable_json``), and the database layer turns a
driver's data error into ``InvalidInput`` for anything that still gets through.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from bastion.api.errors import error_response
from bastion.core.errors import InvalidInput

NUL = "\x00"


def _query_problem(query_string: bytes) -> tuple[str, str] | None:
    """(the parameter, what is wrong with it): a NUL, or a name given twice (every parameter of this API
    takes one value, so ``?a=1&a=2`` would otherwise silently mean ``a=2``)."""
    seen: set[str] = set()
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if NUL in name or NUL in value:
            return name.replace(NUL, "\\u0000"), "contains a NUL character (%00), which no text may hold"
        if name in seen:
            return name, "is given more than once; every query parameter takes one value"
        seen.add(name)
    return None


class RequestLineGuard:
    """A pure ASGI middleware: a NUL in the path or the query string, or a repeated query parameter, is a 400
    in the one error shape."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = None
            if NUL in scope["path"]:
                problem = ("the path", "contains a NUL character (%00), which no text may hold")
            elif (found := _query_problem(scope.get("query_string", b""))) is not None:
                problem = (f"query parameter {found[0]!r}", found[1])
            if problem is not None:
                where, what = problem
                error = InvalidInput(
                    f"{where} {what}",
                    code="invalid_request",
                    hint="ids and filters are plain text, one value each",
                    details={"problems": [{"field": where, "problem": what}]},
                )
                await error_response(error, scope["path"])(scope, receive, send)
                return
        await self.app(scope, receive, send)
