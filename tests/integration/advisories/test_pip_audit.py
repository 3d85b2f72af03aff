"""A real client: pip-audit against `bastion serve`, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.advisories.conftest import Loaded, serving
from tests.integration.advisories.oracle import exact_pins


@pytest.fixture(scope="module")
def server(loaded: Loaded) -> Iterator[str]:
    with serving(loaded.runtime) as base:
        yield base


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
