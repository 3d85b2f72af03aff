"""The floor for the OSV API benchmark: bare uvicorn answering with answers computed beforehand.

Nothing but uvicorn and a raw ASGI app: it reads the request body (as any server must) and sends back
- ``POST /bytes/querybatch``: the batch answer's bytes, precomputed;
- ``POST /orjson/querybatch``: the same answer serialized with orjson on each request;
- ``POST /bytes/query``: the answer bytes for that exact request body, precomputed.

``BENCH_FLOOR_DATA`` names a JSON file: ``{"batch": <answer>, "single": {<request body>: <answer>, ...}}``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

_DATA = orjson.loads(Path(os.environ["BENCH_FLOOR_DATA"]).read_bytes())
BATCH_OBJECT: Any = _DATA["batch"]
BATCH_BYTES = orjson.dumps(BATCH_OBJECT)
SINGLE: dict[bytes, bytes] = {key.encode(): orjson.dumps(value) for key, value in _DATA["single"].items()}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    path = scope["path"]
    if path == "/bytes/querybatch":
        payload = BATCH_BYTES
    elif path == "/orjson/querybatch":
        payload = orjson.dumps(BATCH_OBJECT)
    else:
        payload = SINGLE[body]
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
