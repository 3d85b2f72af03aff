"""Evidence uploads, on SQLite and PostgreSQL: streamed to the data directory off the event loop, never a half
file under the final name, and what a killed server left behind is swept on the next start."""

from __future__ import annotations

import fcntl
import hashlib
import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from bastion.api.app import create_app
from bastion.runtime import Runtime
from tests.integration.api.live import serve
from tests.integration.review.support import Cast, ok, submission_body

PAYLOAD = os.urandom(3 * 1024 * 1024 + 17)  # several writer batches


def _open_review(client: TestClient, cast: Cast) -> str:
    sub = ok(client.post("/api/submissions", json=submission_body(), headers=cast.headers("owner_lab")), 201)
    review = ok(client.post("/api/reviews", json={"submission_id": sub["id"]}, headers=cast.headers("admin")), 201)
    return str(review["id"])


def test_an_upload_round_trips_and_is_stored_privately(client: TestClient, cast: Cast, runtime: Runtime) -> None:
    review_id = _open_review(client, cast)
    files = {"file": ("trace.bin", PAYLOAD, "application/octet-stream")}
    created = ok(
        client.post(
            f"/api/reviews/{review_id}/evidence",
            files=files,
            data={"classification": "SECRET"},
            headers=cast.headers("admin"),
        ),
        201,
    )
    assert (created["size"], created["sha256"]) == (len(PAYLOAD), hashlib.sha256(PAYLOAD).hexdigest())
    assert created["classification"] == "SECRET" and created["filename"] == "trace.bin"
    download = client.get(f"/api/evidence/{created['id']}/content", headers=cast.headers("admin"))
    assert download.status_code == 200 and download.content == PAYLOAD
    stored = runtime.settings.data_dir / "evidence" / review_id / created["id"]
    assert stored.stat().st_mode & 0o777 == 0o600 and stored.parent.stat().st_mode & 0o777 == 0o700
    assert list((runtime.settings.data_dir / "evidence").rglob("*.part")) == []


@pytest.mark.parametrize(
    ("files", "data", "problem"),
    [
        ({"classification": (None, "CUI")}, {}, "no `file` part"),
        ({"file": ("a.txt", b"x", "text/plain")}, {"colour": "red"}, "unexpected form part 'colour'"),
        ({"file": ("a.txt", b"x", "text/plain")}, {"classification": "PURPLE"}, "unknown classification"),
        ({"file": ("a.txt", b"x", "text/plain")}, {"finding_id": "fnd\x00"}, "NUL"),
    ],
)
def test_a_bad_upload_form_is_a_400_that_says_what_is_wrong(
    client: TestClient, cast: Cast, runtime: Runtime, files: Any, data: dict[str, str], problem: str
) -> None:
    review_id = _open_review(client, cast)
    response = client.post(f"/api/reviews/{review_id}/evidence", files=files, data=data, headers=cast.headers("admin"))
    assert response.status_code == 400, response.text
    assert problem in response.json()["message"]
    assert list((runtime.settings.data_dir / "evidence").rglob("*.part")) == []


def test_a_body_that_is_not_multipart_is_a_400(client: TestClient, cast: Cast) -> None:
    response = client.post("/api/reviews/rev_x/evidence", json={"file": "x"}, headers=cast.headers("admin"))
    assert response.status_code == 400 and response.json()["code"] == "invalid_upload"


def test_a_file_over_the_evidence_limit_is_a_413_and_leaves_nothing(
    runtime: Runtime, cast: Cast, client: TestClient
) -> None:
    review_id = _open_review(client, cast)
    runtime.settings.max_evidence_bytes = 1024 * 1024
    with TestClient(create_app(runtime)) as small:
        files = {"file": ("big.bin", b"x" * (1024 * 1024 + 1), "application/octet-stream")}
        response = small.post(f"/api/reviews/{review_id}/evidence", files=files, headers=cast.headers("admin"))
    assert response.status_code == 413 and response.json()["details"]["limit_bytes"] == 1024 * 1024
    assert [p for p in (runtime.settings.data_dir / "evidence").rglob("*") if p.is_file()] == []


def test_the_event_loop_serves_others_while_an_upload_is_stored(
    runtime: Runtime, cast: Cast, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The evidence service is held inside its work; /healthz must still answer. (Before, the upload called
    the service on the event loop, and every other request waited for it.)"""
    review_id = _open_review(client, cast)
    app = create_app(runtime)
    service = app.state.container.review.evidence
    inside, release = threading.Event(), threading.Event()
    real_upload = service.upload

    def held_upload(*args: Any, **kwargs: Any) -> Any:
        inside.set()
        release.wait(timeout=60)
        return real_upload(*args, **kwargs)

    monkeypatch.setattr(service, "upload", held_upload)
    results: dict[str, int] = {}
    with TestClient(app) as test_client:

        def upload() -> None:
            files = {"file": ("t.bin", PAYLOAD, "application/octet-stream")}
            response = test_client.post(
                f"/api/reviews/{review_id}/evidence", files=files, headers=cast.headers("admin")
            )
            results["upload"] = response.status_code

        def health() -> None:
            results["healthz"] = test_client.get("/healthz").status_code

        uploader = threading.Thread(target=upload)
        uploader.start()
        try:
            assert inside.wait(timeout=60)
            checker = threading.Thread(target=health)
            checker.start()
            checker.join(timeout=20)
            answered = results.get("healthz")
        finally:
            release.set()
            uploader.join(timeout=60)
    assert answered == 200
    assert results["upload"] == 201


def test_a_killed_server_leaves_no_half_file_and_the_next_start_sweeps_its_part(
    runtime: Runtime, cast: Cast, client: TestClient, tmp_path: Path
) -> None:
    review_id = _open_review(client, cast)
    evidence = runtime.settings.data_dir / "evidence"
    with serve(runtime, tmp_path) as live:
        sock = socket.create_connection(("127.0.0.1", live.port))
        head = (
            f"POST /api/reviews/{review_id}/evidence HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {cast.tokens['admin']}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 9000000\r\n\r\n"
            '--b\r\nContent-Disposition: form-data; name="file"; filename="t.bin"\r\n\r\n'
        )
        sock.sendall(head.encode() + b"x" * (2 * 1024 * 1024))  # a part of the declared body, then silence
        for _ in range(200):
            parts = list(evidence.rglob("*.part"))
            if parts and parts[0].stat().st_size > 0:
                break
            time.sleep(0.05)
        assert parts, "the upload never reached the staging area"
        os.kill(live.pid, signal.SIGKILL)
        sock.close()
    assert list(evidence.rglob("*.part")) == parts  # the crash left its .part ...
    assert [p for p in evidence.rglob("*") if p.is_file() and p.suffix != ".part"] == []  # ... and nothing else
    with serve(runtime, tmp_path / "again") as live:
        assert httpx.get(f"{live.base}/healthz").status_code == 200
    assert list(evidence.rglob("*.part")) == []


def test_a_start_sweeps_abandoned_parts_but_not_those_being_written(runtime: Runtime, tmp_path: Path) -> None:
    staging = runtime.settings.data_dir / "evidence" / ".incoming"
    staging.mkdir(parents=True)
    abandoned = [staging / "a.part", runtime.settings.data_dir / "evidence" / "evd_1.part"]
    for path in abandoned:
        path.write_bytes(b"half")
    live = staging / "b.part"
    live.write_bytes(b"being written")
    fd = os.open(live, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # what an upload in another server process holds while it writes
    try:
        create_app(runtime)
        assert [p.exists() for p in abandoned] == [False, False]
        assert live.read_bytes() == b"being written"
    finally:
        os.close(fd)


def test_an_eval_summary_over_the_evidence_limit_is_a_413(runtime: Runtime, cast: Cast, client: TestClient) -> None:
    review_id = _open_review(client, cast)
    runtime.settings.max_evidence_bytes = 2048
    with TestClient(create_app(runtime)) as small:
        summary = {"summary": {"scores": {"ctf": 0.5}, "notes": "x" * 4096}}
        response = small.post(f"/api/reviews/{review_id}/eval-results", json=summary, headers=cast.headers("admin"))
    assert response.status_code == 413 and response.json()["details"]["limit_bytes"] == 2048
