"""``bastion defend scan``: offline against the local database, the same answers as ``/v1`` for every
component, rendered as a table, JSON, SARIF or CycloneDX VEX, exit 1 when something actionable is found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bastion.cli.main import main
from bastion.container import Container
from bastion.runtime import Runtime
from tests.integration.defense.support import REQUIREMENTS, cyclonedx_py


def _scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["defend", "scan", *args])
    return code, capsys.readouterr().out


def test_scan_answers_as_v1_for_every_component(
    client: TestClient, loaded: Container, cli_env: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requirements = REQUIREMENTS + "urllib3==1.26.18\nrequests==2.31.0\njinja2==3.1.4\n"
    sbom = tmp_path / "bom.json"
    sbom.write_bytes(cyclonedx_py(requirements, tmp_path))
    code, out = _scan(capsys, str(sbom), "--output", "json")
    report = json.loads(out)
    assert code == 1 and report["components"] == 7 and report["matched"] == 7
    found: dict[str, set[str]] = {}
    for finding in report["findings"]:
        found.setdefault(finding["purl"], set()).add(finding["advisory_id"])
    for component in json.loads(sbom.read_text())["components"]:
        answer = client.post("/v1/query", json={"package": {"purl": component["purl"]}})
        assert answer.status_code == 200, answer.text
        expected = {v["id"] for v in answer.json().get("vulns", [])}
        assert found.get(component["purl"], set()) == expected, component["purl"]
    assert any(found.values()) and not all(found.get(c["purl"]) for c in json.loads(sbom.read_text())["components"])


def test_scan_outputs_and_exit_codes(
    loaded: Container, cli_env: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vulnerable = tmp_path / "requirements.txt"
    vulnerable.write_text(REQUIREMENTS)
    code, out = _scan(capsys, str(vulnerable), "-o", "sarif")
    log = json.loads(out)
    assert code == 1 and log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    salt = [r for r in results if "pkg:pypi/salt@3000.1" in r["message"]["text"]]
    assert salt and all(r["level"] == "error" for r in salt if r["ruleId"] == "PYSEC-2020-102")
    code, out = _scan(capsys, str(vulnerable), "-o", "cyclonedx")
    vex = json.loads(out)
    assert vex["bomFormat"] == "CycloneDX" and {v["analysis"]["state"] for v in vex["vulnerabilities"]} == {"in_triage"}
    code, out = _scan(capsys, str(vulnerable))
    assert code == 1 and "salt" in out and "findings" in out
    clean = tmp_path / "clean" / "requirements.txt"
    clean.parent.mkdir()
    clean.write_text("urllib3==2.2.2\n")
    code, out = _scan(capsys, str(clean), "-o", "json")
    assert code == 0 and json.loads(out)["findings"] == []
    unknown = tmp_path / "notes.md"
    unknown.write_text("# hello")
    code, _ = _scan(capsys, str(unknown))
    assert code == 2
