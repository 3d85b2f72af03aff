"""``bastion demo`` also seeds a clearinghouse: reports (some from an AI tool), a case validated in the sandbox
with two vendors and an agreed embargo, a verified fix, and a publication answering in /v1."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bastion.container import Container
from bastion.review.demo import seed_demo
from tests.factories import auth_headers, verify_audit
from tests.integration.clearinghouse.conftest import ok


def test_the_demo_seeds_a_clearinghouse(container: Container, client: TestClient) -> None:
    demo = seed_demo(container)
    analyst = auth_headers(demo.tokens["treasury-analyst"])
    case = ok(client.get(f"/api/clearinghouse/cases/{demo.ids['current_case']}", headers=analyst))
    assert sorted((v["name"], v["added_how"]) for v in case["vendors"]) == [
        ("Northwind Linux", "analyst"),
        ("Tinyconf Project", "registry"),
    ]
    assert case["embargo"]["status"] == "active" and case["fixes"][0]["status"] == "verified"
    assert case["report"]["status"] == "accepted" and case["report"]["tool_name"] == "BugHound"
    assert case["report"]["validations"][0]["outcome"] == "validated"
    assert (
        ok(client.get(f"/api/clearinghouse/reports/{demo.ids['triage_report']}", headers=analyst))["status"] == "triage"
    )
    assert (
        ok(client.get(f"/api/clearinghouse/reports/{demo.ids['duplicate_report']}", headers=analyst))["status"]
        == "duplicate"
    )
    advisory = demo.ids["published_advisory"]
    query = {"package": {"name": "tinyconf-legacy", "ecosystem": "PyPI"}, "version": "1.0"}
    assert [v["id"] for v in ok(client.post("/v1/query", json=query))["vulns"]] == [f"x_{advisory}"]
    # the current case is under embargo: not served
    assert ok(client.post("/v1/query", json={**query, "package": {"name": "tinyconf", "ecosystem": "PyPI"}})) == {}
    assert verify_audit(container.runtime).ok
