"""Real servers for the tests: uvicorn in a subprocess (its own memory and temporary directory, so the edge
tests can watch both) or in a thread over a test's own app (``in_thread``), and a raw HTTP/1.1 client that can
declare or stream bodies of any size."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from bastion.runtime import Runtime


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def in_thread(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on a free port, so that requests run concurrently as in
    production; yields its base URL once it accepts connections."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class Live:
    port: int
    pid: int
    tmpdir: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset_peak(self) -> int:
        """Start measuring the peak afresh (``clear_refs`` 5 resets VmHWM); returns the resident memory now."""
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        return self.memory()

    def memory(self, field: str = "VmRSS") -> int:
        """The server's resident memory (VmRSS) or its peak so far (VmHWM), in bytes."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
        raise AssertionError(f"no {field} in /proc/{self.pid}/status")


@contextmanager
def serve(runtime: Runtime, tmp_path: Path, **settings: str) -> Iterator[Live]:
    """``uvicorn bastion.api.asgi:app`` on the test's database and data directory; the server's TMPDIR is
    a folder of its own."""
    port = free_port()
    tmpdir = tmp_path / "server-tmp"
    tmpdir.mkdir(parents=True)
    env = {
        **os.environ,
        "BASTION_DATABASE_URL": runtime.database.url,
        "BASTION_DATA_DIR": str(runtime.settings.data_dir),
        "BASTION_SECRET_KEY": "test-secret-key",
        "TMPDIR": str(tmpdir),
        **{f"BASTION_{name.upper()}": value for name, value in settings.items()},
    }
    command = [sys.executable, "-m", "uvicorn", "bastion.api.asgi:app", "--port", str(port), "--no-access-log"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            process.kill()
            pytest.fail(f"uvicorn did not come up:\n{process.communicate()[0].decode(errors='replace')}")
        yield Live(port, process.pid, tmpdir)
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class Answer:
    status: int
    head: str
    body: bytes
    sent: int  # body bytes the client managed to send before the server answered or closed


def _read_answer(sock: socket.socket) -> tuple[int, str, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"the server closed without an answer: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next((int(v) for k, _, v in (line.partition(": ") for line in lines) if k.lower() == "content-length"), 0)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), head.decode("latin-1"), body


def request(
    live: Live,
    method: str,
    path: str,
    headers: dict[str, str],
    *,
    chunk: bytes = b"",
    chunks: int = 0,
    chunked: bool = False,
) -> Answer:
    """Send the head, then ``chunks`` copies of ``chunk`` (chunked transfer coding if ``chunked``) from a
    thread, while this one waits for the answer; the sender stops when the server answers or closes."""
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=60)
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{live.port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    sent = 0
    done = threading.Event()

    def send_body() -> None:
        nonlocal sent
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk
        try:
            for _ in range(chunks):
                if done.is_set():
                    return
                sock.sendall(frame)
                sent += len(chunk)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed: what the tests want

    sender = threading.Thread(target=send_body, daemon=True)
    sender.start()
    try:
        status, head, body = _read_answer(sock)
    finally:
        done.set()
        sender.join(timeout=60)
        sock.close()
    return Answer(status, head, body, sent)
