"""The Done-when journey through the HTTP API: a new agency user uploads a real SBOM (made by cyclonedx-py)
and a real lockfile (written by pip), sees exposure ranked by SSVC with KEV flags, and records a VEX decision
that survives the next SBOM version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from bastion.container import Container
from tests.integration.defense.fixtures import Agencies
from tests.integration.defense.support import REQUIREMENTS, cyclonedx_py


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _project(client: TestClient, headers: dict[str, str], *, exposure: str = "open", impact: str = "high") -> str:
    system = ok(
        client.post(
            "/api/defense/systems",
            json={"name": "Payments portal", "exposure": exposure, "mission_impact": impact},
            headers=headers,
        ),
        201,
    )
    project = ok(
        client.post(f"/api/defense/systems/{system['id']}/projects", json={"name": "api"}, headers=headers), 201
    )
    return str(project["id"])


def test_real_sbom_ranked_by_ssvc_with_kev_and_a_vex_decision_survives_the_next_version(
    client: TestClient, loaded: Container, agencies: Agencies, tmp_path: Path
) -> None:
    headers = agencies.headers("treasury")
    project = _project(client, headers)
    sbom = cyclonedx_py(REQUIREMENTS, tmp_path).decode()
    first = ok(
        client.post(
            f"/api/defense/projects/{project}/versions",
            json={"filename": "bom.json", "content": sbom, "label": "1.0"},
            headers=headers,
        ),
        201,
    )
    assert first["format"] == "cyclonedx-json-1.6"
    assert first["component_count"] == 4 and first["matchable"] == 4

    worklist = ok(client.get("/api/defense/exposures", params={"project_id": project}, headers=headers))
    assert worklist, "pinned old versions of jinja2, requests, urllib3 and salt have advisories"
    top = worklist[0]
    # salt 3000.1 is affected by CVE-2020-11651, in KEV: exploitation active on an open, high-impact system
    assert top["name"] == "salt" and top["kev"] is not None and top["kev"]["due_date"] == "2022-05-03"
    assert top["ssvc"]["decision"] == "Act" and top["ssvc"]["exploitation"] == "active"
    ranks = {"Act": 0, "Attend": 1, "Track*": 2, "Track": 3}
    assert [ranks[e["ssvc"]["decision"]] for e in worklist] == sorted(ranks[e["ssvc"]["decision"]] for e in worklist)
    assert all(e["kev"] is None for e in worklist if e["name"] != "salt")
    jinja = next(e for e in worklist if e["name"] == "jinja2")
    assert jinja["fixed_versions"] and jinja["upgrade_to"] is not None
    assert jinja["severity"] is None or jinja["severity"]["score"] > 0

    decision = {
        "advisory_id": jinja["advisory_id"],
        "package": "pkg:pypi/jinja2",
        "status": "not_affected",
        "justification": "vulnerable_code_not_in_execute_path",
        "detail": "templates are never built from user input",
    }
    ok(client.post(f"/api/defense/projects/{project}/vex", json=decision, headers=headers), 201)

    # The next SBOM version: same jinja2, requests upgraded.
    newer = REQUIREMENTS.replace("requests==2.19.1", "requests==2.31.0")
    second = ok(
        client.post(
            f"/api/defense/projects/{project}/versions",
            json={"filename": "bom.json", "content": cyclonedx_py(newer, tmp_path).decode(), "label": "1.1"},
            headers=headers,
        ),
        201,
    )
    assert second["number"] == 2 and second["current"]
    versions = ok(client.get(f"/api/defense/projects/{project}/versions", headers=headers))
    assert [v["label"] for v in versions] == ["1.1", "1.0"] and [v["current"] for v in versions] == [True, False]
    listed = ok(client.get("/api/defense/exposures", params={"project_id": project}, headers=headers))
    assert jinja["advisory_id"] not in {e["advisory_id"] for e in listed if e["name"] == "jinja2"}
    everything = ok(
        client.get(
            "/api/defense/exposures", params={"project_id": project, "include_suppressed": True}, headers=headers
        )
    )
    kept = next(e for e in everything if e["advisory_id"] == jinja["advisory_id"] and e["name"] == "jinja2")
    assert kept["version_id"] == second["id"] and kept["suppressed"]
    assert (
        kept["vex"]["status"] == "not_affected"
        and kept["vex"]["justification"] == "vulnerable_code_not_in_execute_path"
    )

    openvex = ok(
        client.get(f"/api/defense/projects/{project}/vex/export", params={"format": "openvex"}, headers=headers)
    )
    stated = [s for s in openvex["statements"] if s["vulnerability"]["name"] == jinja["advisory_id"]]
    assert stated and stated[0]["status"] == "not_affected"
    assert stated[0]["justification"] == "vulnerable_code_not_in_execute_path"
    cdx = ok(client.get(f"/api/defense/projects/{project}/vex/export", params={"format": "cyclonedx"}, headers=headers))
    analysed = [v for v in cdx["vulnerabilities"] if v["id"] == jinja["advisory_id"]]
    assert analysed[0]["analysis"]["state"] == "not_affected"
    assert analysed[0]["analysis"]["justification"] == "code_not_reachable"


def test_a_real_lockfile_from_pip_and_an_unknown_format(
    client: TestClient, loaded: Container, agencies: Agencies, tmp_path: Path
) -> None:
    headers = agencies.headers("treasury")
    project = _project(client, headers, exposure="small", impact="low")
    version = ok(
        client.post(
            f"/api/defense/projects/{project}/versions",
            json={"filename": "requirements.txt", "content": REQUIREMENTS + "--hash=sha256:00\n"},
            headers=headers,
        ),
        201,
    )
    assert version["format"] == "requirements.txt" and version["component_count"] == 4
    worklist = ok(client.get("/api/defense/exposures", params={"project_id": project}, headers=headers))
    salt = next(e for e in worklist if e["name"] == "salt" and e["kev"])
    assert salt["ssvc"]["automatable"] is False  # a small system: not reachable to automate
    refused = client.post(
        f"/api/defense/projects/{project}/versions",
        json={"filename": "notes.md", "content": "# not an inventory"},
        headers=headers,
    )
    assert refused.status_code == 400 and refused.json()["code"] == "unknown_inventory_format"
    assert "CycloneDX" in refused.json()["hint"]
    broken = client.post(
        f"/api/defense/projects/{project}/versions",
        json={"filename": "bom.json", "content": '{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": 7}'},
        headers=headers,
    )
    assert broken.status_code == 400 and broken.json()["code"] == "invalid_inventory"
    versions = ok(client.get(f"/api/defense/projects/{project}/versions", headers=headers))
    assert len(versions) == 1  # neither refusal left a version behind
