"""Request bodies are limited in front of everything, against a real uvicorn, on SQLite and PostgreSQL:
a declared size over the limit is refused before a byte is read, a streamed (chunked) body is cut off at the
limit, with or without a token; nothing reaches the temporary directory and the server's memory stays flat."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bastion.runtime import Runtime
from tests.factories import make_admin
from tests.integration.api.live import Answer, Live, request, serve

MiB = 1024 * 1024
EVIDENCE_LIMIT = 4 * MiB  # set small, so that a body far past it is quick to send
BOUNDARY = "edgeboundary"
MULTIPART_HEAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
    "Content-Type: application/octet-stream\r\n\r\n"
).encode()
MEMORY_SLACK = 24 * MiB  # far below any of the bodies sent, far above the server's normal wobble


@pytest.fixture
def live(runtime: Runtime, tmp_path: Path) -> Iterator[Live]:
    with serve(runtime, tmp_path, max_evidence_bytes=str(EVIDENCE_LIMIT)) as server:
        yield server


@pytest.fixture
def token(runtime: Runtime) -> str:
    return make_admin(runtime)[1]


def _headers(token: str | None, **more: str) -> dict[str, str]:
    return {**({"Authorization": f"Bearer {token}"} if token else {}), **more}


def _assert_too_large(answer: Answer, limit: int) -> None:
    assert answer.status == 413, (answer.head, answer.body)
    error = json.loads(answer.body)
    assert error["code"] == "payload_too_large"
    assert error["details"]["limit_bytes"] == limit
    assert str(limit) in error["hint"]


def _nothing_on_disk(live: Live, runtime: Runtime) -> None:
    assert list(live.tmpdir.iterdir()) == []
    assert list((runtime.settings.data_dir / "evidence").rglob("*.part")) == []


@pytest.mark.parametrize("with_token", [False, True], ids=["no-token", "token"])
def test_a_declared_2gib_upload_is_refused_before_its_body_is_read(
    live: Live, runtime: Runtime, token: str, *, with_token: bool
) -> None:
    before = live.reset_peak()
    headers = _headers(
        token if with_token else None,
        **{"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Content-Length": str(2 * 1024 * MiB)},
    )
    answer = request(live, "POST", "/api/reviews/rev_any/evidence", headers, chunk=MULTIPART_HEAD + b"x" * MiB)
    _assert_too_large(answer, EVIDENCE_LIMIT + 64 * 1024)
    assert "connection: close" in answer.head.lower()
    assert live.memory("VmHWM") - before < MEMORY_SLACK
    _nothing_on_disk(live, runtime)


@pytest.mark.parametrize("with_token", [False, True], ids=["no-token", "token"])
def test_a_streamed_json_body_is_cut_off_at_the_limit(
    live: Live, runtime: Runtime, token: str, *, with_token: bool
) -> None:
    before = live.reset_peak()
    headers = _headers(token if with_token else None, **{"Content-Type": "application/json"})
    body = b'{"name": "' + b"a" * (64 * 1024)
    answer = request(live, "POST", "/api/organisations", headers, chunk=body, chunks=1024, chunked=True)
    _assert_too_large(answer, MiB)  # the default BASTION_MAX_JSON_BODY_BYTES
    assert answer.sent < 1024 * len(body)  # refused long before the 64 MiB the client meant to send
    assert live.memory("VmHWM") - before < MEMORY_SLACK
    _nothing_on_disk(live, runtime)


def test_a_streamed_upload_is_cut_off_at_the_evidence_limit(live: Live, runtime: Runtime, token: str) -> None:
    before = live.reset_peak()
    headers = _headers(token, **{"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    chunk = b"x" * (256 * 1024)
    upload = MULTIPART_HEAD + chunk
    answer = request(live, "POST", "/api/reviews/rev_any/evidence", headers, chunk=upload, chunks=256, chunked=True)
    _assert_too_large(answer, EVIDENCE_LIMIT + 64 * 1024)
    assert live.memory("VmHWM") - before < MEMORY_SLACK
    _nothing_on_disk(live, runtime)


def test_a_streamed_upload_without_a_token_is_refused_before_its_body_is_read(live: Live, runtime: Runtime) -> None:
    """No size to check yet, and nothing to read: without credentials the upload is a 401 at once."""
    before = live.reset_peak()
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    chunk = b"x" * (256 * 1024)
    upload = MULTIPART_HEAD + chunk
    answer = request(live, "POST", "/api/reviews/rev_any/evidence", headers, chunk=upload, chunks=256, chunked=True)
    assert answer.status == 401 and json.loads(answer.body)["code"] == "unauthenticated"
    assert live.memory("VmHWM") - before < MEMORY_SLACK
    _nothing_on_disk(live, runtime)
