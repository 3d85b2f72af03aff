"""Fixtures of the review integration tests (helpers live in ``support.py``)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from bastion.runtime import Runtime
from tests.integration.review.support import Cast, build_cast


@pytest.fixture
def cast(runtime: Runtime) -> Cast:
    return build_cast(runtime)


@pytest.fixture
def request_log() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every path requested of it."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()
