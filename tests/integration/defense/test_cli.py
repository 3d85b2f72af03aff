"""``bastion defend``: every operation from the command line, as the user behind BASTION_TOKEN."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bastion.cli.main import main
from bastion.container import Container
from bastion.runtime import Runtime
from tests.integration.defense.fixtures import Agencies
from tests.integration.defense.support import REQUIREMENTS, cyclonedx_py


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    capsys.readouterr()
    code = main(["defend", *args])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_an_agency_works_through_the_cli(
    loaded: Container,
    agencies: Agencies,
    cli_env: Runtime,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BASTION_TOKEN", agencies.tokens["treasury"])
    system = _run(capsys, "system-add", "Payroll", "--exposure", "controlled", "--mission-impact", "high")
    project = _run(capsys, "project-add", system["id"], "payroll-api")
    bom = tmp_path / "bom.xml"
    bom.write_bytes(cyclonedx_py(REQUIREMENTS, tmp_path, output_format="XML", spec="1.6"))
    version = _run(capsys, "upload", project["id"], str(bom), "--label", "3.2.0")
    assert version["format"] == "cyclonedx-xml-1.6" and version["label"] == "3.2.0"
    assert [p["id"] for p in _run(capsys, "projects")] == [project["id"]]
    assert [v["id"] for v in _run(capsys, "versions", project["id"])] == [version["id"]]
    assert len(_run(capsys, "components", version["id"])) == 4
    worklist = _run(capsys, "exposures", "--project-id", project["id"])
    salt = next(e for e in worklist if e["kev"])
    assert worklist[0]["ssvc"]["decision"] in ("Act", "Attend") and salt["name"] == "salt"
    decided = _run(
        capsys,
        "vex-decide",
        project["id"],
        salt["advisory_id"],
        "pkg:pypi/salt",
        "--status",
        "not_affected",
        "--justification",
        "component_not_present",
        "--detail",
        "the master is not deployed",
    )
    assert decided["status"] == "not_affected"
    assert salt["advisory_id"] not in {
        e["advisory_id"] for e in _run(capsys, "exposures", "--project-id", project["id"])
    }
    openvex = _run(capsys, "vex-export", project["id"])
    assert any(s["status"] == "not_affected" for s in openvex["statements"])
    vendor = tmp_path / "vendor.openvex.json"
    vendor.write_text(json.dumps(openvex))
    assert _run(capsys, "vex-import", str(vendor), "--project-id", project["id"])
    monkeypatch.setenv("BASTION_TOKEN", agencies.tokens["energy"])
    capsys.readouterr()
    assert main(["defend", "exposures", "--project-id", project["id"]]) != 0  # another agency: not found
    monkeypatch.setenv("BASTION_TOKEN", agencies.tokens["admin"])
    stats = _run(capsys, "stats")
    assert stats["projects"] == 1 and stats["agencies"] == 1
