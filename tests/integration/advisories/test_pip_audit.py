"""A real client: pip-audit against `bastion serve`, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.advisories.conftest import Loaded
from tests.integration.advisories.oracle import exact_pins


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(loaded: Loaded) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "BASTION_DATABASE_URL": loaded.runtime.database.url,
        "BASTION_DATA_DIR": str(loaded.runtime.settings.data_dir),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bastion.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            process.kill()
            output = process.communicate()[0].decode(errors="replace")
            pytest.fail(f"bastion serve did not come up:\n{output}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_pip_audit_reports_exactly_what_the_data_says(
    server: str, loaded: Loaded, shared_data: Path, tmp_path: Path
) -> None:
    pip_audit = shutil.which("pip-audit", path=str(Path(sys.executable).parent))
    assert pip_audit, "pip-audit is a dev dependency; install with: pip install --group dev"
    pins = exact_pins(shared_data / "osv" / "pypa-advisory-database.zip", 25, loaded.rejected)
    by_package: dict[str, tuple[str, set[str]]] = {}
    for package, version, ids in pins:
        by_package.setdefault(package, (version, ids))  # one pin per package in a requirements file
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("".join(f"{p}=={v}\n" for p, (v, _) in sorted(by_package.items())))

    result = subprocess.run(
        [
            pip_audit,
            "-s", "osv",
            "--osv-url", f"{server}/v1/query",
            "-r", str(requirements),
            "--no-deps",
            "--disable-pip",
            "-f", "json",
            "--progress-spinner", "off",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr  # pip-audit exits 1 when it found vulnerabilities
    report = json.loads(result.stdout)
    reported = {dep["name"]: {v["id"] for v in dep.get("vulns", [])} for dep in report["dependencies"]}
    assert set(reported) == set(by_package)
    for package, (version, expected) in by_package.items():
        assert reported[package] == expected, f"{package}=={version}"
    assert any(reported.values()), "the pins must include vulnerable versions, or the test proves little"
