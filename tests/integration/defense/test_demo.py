"""``bastion demo`` also seeds two agencies whose SBOMs cyclonedx-py made from a virtualenv created at demo
time, with systems declared so that their worklists show SSVC decisions, and the alerts the demo's advisories
raised. Each agency sees only its own."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient

from bastion.container import Container
from bastion.review.demo import seed_demo
from tests.factories import auth_headers, verify_audit


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_the_demo_seeds_two_agencies_with_real_sboms_and_ssvc_worklists(
    container: Container, client: TestClient
) -> None:
    demo = seed_demo(container)
    treasury, cisa = auth_headers(demo.tokens["treasury-defender"]), auth_headers(demo.tokens["cisa-defender"])
    payments = demo.ids["defense_payments-api"]

    (version,) = ok(client.get(f"/api/defense/projects/{payments}/versions", headers=treasury))
    assert version["format"] == "cyclonedx-json-1.6" and version["matchable"] >= 1
    components = ok(client.get(f"/api/defense/versions/{version['id']}/components", headers=treasury))
    assert "pip" in {c["name"].lower() for c in components}  # what venv puts in a virtualenv made at demo time
    (collector,) = ok(client.get("/api/defense/projects", headers=cisa))
    (cisa_version,) = ok(client.get(f"/api/defense/projects/{collector['id']}/versions", headers=cisa))
    assert cisa_version["format"] == "cyclonedx-xml-1.5"

    worklist = ok(client.get("/api/defense/exposures", headers=treasury))
    assert len(worklist) >= 3
    top = worklist[0]
    assert top["advisory_id"] == demo.ids["defense_kev_advisory"] and top["kev"] is not None
    assert top["ssvc"]["decision"] == "Act" and top["ssvc"]["exploitation"] == "active"
    decisions = {(e["project_id"], e["ssvc"]["decision"]) for e in worklist}
    assert (payments, "Act") in decisions
    assert any(project != payments for project, _ in decisions)  # the internal system ranks its own way
    assert len({decision for _, decision in decisions}) >= 2
    cisa_worklist = ok(client.get("/api/defense/exposures", headers=cisa))
    assert cisa_worklist and {e["project_id"] for e in cisa_worklist} == {collector["id"]}
    assert len({e["ssvc"]["decision"] for e in cisa_worklist}) >= 2  # one KEV advisory, two that are not

    # the demo's advisories arrived after the uploads: each new exposure raised one alert, for its agency only
    alerts = ok(client.get("/api/defense/alerts", headers=treasury))
    assert alerts["count"] == len(worklist) and {a["advisory_id"] for a in alerts["data"]} >= {top["advisory_id"]}
    assert ok(client.get("/api/defense/alerts", headers=cisa))["count"] == len(cisa_worklist)
    assert ok(client.get(f"/api/defense/projects/{payments}", headers=cisa), 404)["code"] == "not_found"
    assert verify_audit(container.runtime).ok
