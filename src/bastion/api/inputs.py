"""Text the databases cannot hold is refused at the edge, on both databases alike, as a 400.

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


def _nul_in_query(query_string: bytes) -> str | None:
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if NUL in name or NUL in value:
            return name.replace(NUL, "\\u0000")
    return None


class RequestLineGuard:
    """A pure ASGI middleware: a NUL in the path or the query string is a 400 in the one error shape."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            where = None
            if NUL in scope["path"]:
                where = "the path"
            elif (name := _nul_in_query(scope.get("query_string", b""))) is not None:
                where = f"query parameter {name!r}"
            if where is not None:
                error = InvalidInput(
                    f"{where} contains a NUL character (%00), which no text may hold",
                    code="invalid_request",
                    hint="remove the NUL character; ids and filters are plain text",
                    details={"problems": [{"field": where, "problem": "contains NUL"}]},
                )
                await error_response(error)(scope, receive, send)
                return
        await self.app(scope, receive, send)
