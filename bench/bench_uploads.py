"""Benchmark: does the server stay responsive while it takes evidence uploads?

1. Seeds the demo programme into a fresh SQLite database and serves it with uvicorn (one worker).
2. Measures ``GET /healthz`` alone (idle), then again while 30 clients upload a 5 MiB evidence file each,
   all at once, as the programme administrator.

Run: .venv/bin/python bench/bench_uploads.py [--uploads 30] [--size-mib 5]
Prints a Markdown table. ``--server-src OTHER/src`` serves another checkout's code (same schema) instead.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bastion.container import Container
from bastion.core.config import Settings
from bastion.review.demo import seed_demo


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _probe(base: str, stop: threading.Event) -> list[float]:
    """/healthz every 20 ms from a thread of its own, so the uploading clients cannot delay it."""
    times = []
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set():
            started = time.perf_counter()
            client.get("/healthz").raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
            time.sleep(0.02)
    return times


def _probing(base: str) -> tuple[threading.Event, concurrent.futures.Future[list[float]]]:
    stop = threading.Event()
    return stop, concurrent.futures.ThreadPoolExecutor(1).submit(_probe, base, stop)


async def _upload_all(base: str, token: str, review: str, uploads: int, size: int) -> None:
    payload = os.urandom(size)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=300) as client:

        async def upload(index: int) -> None:
            files = {"file": (f"trace-{index}.bin", payload, "application/octet-stream")}
            response = await client.post(f"/api/reviews/{review}/evidence", files=files, headers=headers)
            response.raise_for_status()

        await asyncio.gather(*(upload(i) for i in range(uploads)))


def _measure(base: str, token: str, review: str, uploads: int, size: int) -> tuple[list[float], list[float]]:
    stop, idle = _probing(base)
    time.sleep(2)
    stop.set()
    stop, busy = _probing(base)
    asyncio.run(_upload_all(base, token, review, uploads, size))
    stop.set()
    return idle.result(), busy.result()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uploads", type=int, default=30)
    parser.add_argument("--size-mib", type=int, default=5)
    parser.add_argument("--server-src", type=Path, help="serve this source tree's bastion instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", secret_key="bench")
        container = Container.from_settings(settings)
        container.runtime.migrate()
        demo = seed_demo(container)
        port = _port()
        env = {**os.environ, "BASTION_DATA_DIR": str(settings.data_dir), "BASTION_SECRET_KEY": "bench"}
        if args.server_src:
            env["PYTHONPATH"] = str(args.server_src.resolve())
        command = [sys.executable, "-m", "uvicorn", "bastion.api.asgi:app", "--port", str(port), "--no-access-log"]
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(f"{base}/healthz", timeout=1).raise_for_status()
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            token, review = demo.tokens["programme-admin"], demo.ids["review"]
            idle, busy = _measure(base, token, review, args.uploads, args.size_mib * 1024 * 1024)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"/healthz while {args.uploads} clients upload {args.size_mib} MiB each (one uvicorn worker, SQLite)\n")
    print("| when | requests | p50 | p99 | max |")
    print("|---|---|---|---|---|")
    for label, times in (("idle", idle), ("during the uploads", busy)):
        print(
            f"| {label} | {len(times)} | {statistics.median(times):.1f} ms | {_pct(times, 0.99):.1f} ms "
            f"| {max(times):.1f} ms |"
        )


if __name__ == "__main__":
    main()
