"""Cases through the API on both databases: each transition of the embargo, vendors' statuses, who may do what,
the clock (SLA reminders and escalation, the embargo's end publishes), and what is never served under embargo."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bastion.advisories.importer import AdvisoryImporter
from bastion.container import Container
from bastion.core.clock import ManualClock
from tests.factories import principal_for
from tests.integration.clearinghouse.conftest import ok
from tests.integration.clearinghouse.support import Cast, recparse_report

CH = "/api/clearinghouse"


def _open_case(client: TestClient, cast: Cast, tmp_path: Path, **overrides: Any) -> tuple[str, str]:
    """A triaged report (no reproducer), accepted by the analyst: (report id, case id)."""
    draft = recparse_report(tmp_path, reproducer=None, fixed_target=None, target=None, **overrides)
    ack = ok(
        client.post(f"{CH}/reports", json={"client_key": "c1", "report": draft}, headers=cast.headers("reporter")), 201
    )
    report_id = ack["reports"][0]["id"]
    decision = {"decision": "accept", "reason": "credible, high impact"}
    report = ok(client.post(f"{CH}/reports/{report_id}/decision", json=decision, headers=cast.headers("analyst")))
    return report_id, report["case_id"]


def test_the_embargo_from_proposal_to_an_agreed_extension(
    client: TestClient, cast: Cast, acme_vendor: str, clock: ManualClock, tmp_path: Path
) -> None:
    _, case_id = _open_case(client, cast, tmp_path)
    case = ok(client.get(f"{CH}/cases/{case_id}", headers=cast.headers("acme")))
    opened = clock.now()
    assert case["embargo"]["status"] == "proposed" and case["severity"] == "critical"
    first = case["embargo"]["revisions"][0]
    assert first["reason"] == "embargo policy 2026-11: 90 days, the default"
    ok(client.post(f"{CH}/cases/{case_id}/embargo/{first['id']}/agree", headers=cast.headers("acme")))
    active = ok(
        client.post(
            f"{CH}/cases/{case_id}/embargo/{first['id']}/decision",
            json={"accept": True},
            headers=cast.headers("analyst"),
        )
    )
    assert active["embargo"]["status"] == "active"
    assert active["embargo"]["revisions"][0]["agreed_by"][0]["org_id"] == cast.orgs["acme"]
    later = (opened + timedelta(days=120)).isoformat()
    proposal = {"disclosure_at": later, "reason": "the fix needs a coordinated release with downstream distributors"}
    revised = ok(client.post(f"{CH}/cases/{case_id}/embargo", json=proposal, headers=cast.headers("acme")), 201)
    assert revised["embargo"]["status"] == "revise"
    revision = next(r["id"] for r in revised["embargo"]["revisions"] if r["status"] == "proposed")
    ok(client.post(f"{CH}/cases/{case_id}/embargo/{revision}/agree", headers=cast.headers("reporter")))
    done = ok(
        client.post(
            f"{CH}/cases/{case_id}/embargo/{revision}/decision", json={"accept": True}, headers=cast.headers("analyst")
        )
    )
    assert done["embargo"]["status"] == "active"
    assert done["embargo"]["disclosure_at"].startswith(later[:19])
    extension = next(r for r in done["embargo"]["revisions"] if r["id"] == revision)
    assert extension["status"] == "accepted"
    assert {a["user_id"] for a in extension["agreed_by"]} == {cast.users["acme"], cast.users["reporter"]}
    too_late = {"disclosure_at": (opened + timedelta(days=200)).isoformat(), "reason": "more time please"}
    assert (
        "180 days"
        in ok(client.post(f"{CH}/cases/{case_id}/embargo", json=too_late, headers=cast.headers("acme")), 400)["message"]
    )


def test_who_may_do_what_in_a_case(client: TestClient, cast: Cast, acme_vendor: str, tmp_path: Path) -> None:
    other = ok(
        client.post(
            f"{CH}/vendors", json={"org_id": cast.orgs["other"], "products": []}, headers=cast.headers("analyst")
        ),
        201,
    )["id"]
    _, case_id = _open_case(client, cast, tmp_path)
    ok(client.post(f"{CH}/cases/{case_id}/vendors", json={"vendor_id": other}, headers=cast.headers("analyst")))
    status = {"status": "not_affected", "justification": "vulnerable_code_not_present"}
    # the other vendor takes part now, but states only its own status
    assert (
        ok(
            client.put(
                f"{CH}/cases/{case_id}/vendors/{acme_vendor}", json=status, headers=cast.headers("other_vendor")
            ),
            403,
        )["code"]
        == "forbidden"
    )
    ok(client.put(f"{CH}/cases/{case_id}/vendors/{other}", json=status, headers=cast.headers("other_vendor")))
    unjustified = ok(
        client.put(
            f"{CH}/cases/{case_id}/vendors/{acme_vendor}", json={"status": "not_affected"}, headers=cast.headers("acme")
        ),
        400,
    )
    assert "justification" in unjustified["message"]
    for who in ("reporter", "acme"):  # participants cannot add vendors or publish
        assert (
            ok(client.post(f"{CH}/cases/{case_id}/vendors", json={"vendor_id": other}, headers=cast.headers(who)), 403)[
                "code"
            ]
            == "forbidden"
        )
        assert (
            ok(client.post(f"{CH}/cases/{case_id}/publish", json={"reason": "now"}, headers=cast.headers(who)), 403)[
                "code"
            ]
            == "forbidden"
        )
    early = ok(client.post(f"{CH}/cases/{case_id}/publish", json={}, headers=cast.headers("analyst")), 400)
    assert "under embargo until" in early["message"]
    waiting = ok(
        client.post(f"{CH}/cases/{case_id}/publish", json={"reason": "agreed"}, headers=cast.headers("analyst")), 409
    )
    assert waiting["code"] == "vendors_still_investigating" and acme_vendor in waiting["message"]


def test_nothing_under_embargo_is_served_anywhere(
    client: TestClient, cast: Cast, acme_vendor: str, tmp_path: Path
) -> None:
    report_id, case_id = _open_case(client, cast, tmp_path)
    outsider, missing = cast.headers("other_vendor"), "chr_0000000000000000"
    # the same answer for a hidden thing as for a missing one
    assert (
        ok(client.get(f"{CH}/reports/{report_id}", headers=outsider), 404)["message"] == f"report {report_id} not found"
    )
    assert ok(client.get(f"{CH}/reports/{missing}", headers=outsider), 404)["message"] == f"report {missing} not found"
    assert ok(client.get(f"{CH}/cases/{case_id}", headers=outsider), 404)["message"] == f"case {case_id} not found"
    assert ok(client.get(f"{CH}/cases/{case_id}/messages", headers=outsider), 404)["code"] == "not_found"
    assert (
        ok(client.post(f"{CH}/cases/{case_id}/messages", json={"body": "hi"}, headers=outsider), 404)["code"]
        == "not_found"
    )
    # lists, counts and search
    assert ok(client.get(f"{CH}/reports", headers=outsider))["count"] == 0
    assert ok(client.get(f"{CH}/reports", params={"q": "recparse"}, headers=outsider))["count"] == 0
    assert ok(client.get(f"{CH}/cases", headers=outsider))["count"] == 0
    assert ok(client.get(f"{CH}/reports", params={"q": "recparse"}, headers=cast.headers("analyst")))["count"] == 1
    # the public surfaces: /v1, publications, feeds
    assert (
        ok(client.post("/v1/query", json={"package": {"name": "recparse", "ecosystem": "PyPI"}, "version": "1.0.0"}))
        == {}
    )
    assert client.get("/v1/vulns/x_BASTION-2026-0001").status_code == 404  # osv.dev's envelope: code 5
    assert ok(client.get(f"{CH}/publications"))["count"] == 0
    export = client.get("/feeds/osv/all.zip")
    assert export.status_code in (200, 404) and b"recparse" not in export.content
    index = client.get("/.well-known/csaf/white/index.txt")
    assert b"BASTION" not in index.content


def test_the_clock_reminds_escalates_and_publishes_when_the_embargo_ends(
    client: TestClient, cast: Cast, acme_vendor: str, container: Container, clock: ManualClock, tmp_path: Path
) -> None:
    _, case_id = _open_case(client, cast, tmp_path)
    tick = lambda: ok(client.post(f"{CH}/tick", headers=cast.headers("analyst")))  # noqa: E731
    assert tick() == {"reminders": 0, "escalations": 0, "published": []}
    clock.advance(timedelta(days=4))  # half of the critical SLA (7 days)
    assert tick()["reminders"] == 1
    assert tick()["reminders"] == 0  # each reminder once, however often the clock ticks
    clock.advance(timedelta(days=3))
    result = tick()
    assert (result["reminders"], result["escalations"]) == (1, 1)  # the 1-day reminder was overtaken: sent late
    topics = [m["topic"] for m in ok(client.get(f"{CH}/outbox", headers=cast.headers("analyst")))["data"]]
    assert topics.count("clearinghouse.sla.escalation") == 1 and topics.count("clearinghouse.sla.reminder") == 2
    assert ok(client.get(f"{CH}/outbox", headers=cast.headers("acme")), 403)["code"] == "forbidden"
    assert ok(client.post(f"{CH}/tick", headers=cast.headers("acme")), 403)["code"] == "forbidden"
    clock.advance(timedelta(days=83))  # the 90-day embargo ends (the test tokens have expired: cron runs it)
    published = container.clearinghouse.operations.tick().published
    assert published and published[0].startswith("BASTION-")
    case = container.clearinghouse.cases.get(principal_for(container.runtime, cast.users["reporter"]), case_id)
    assert (case.status, case.embargo.status) == ("published", "exited")
    query = {"package": {"name": "recparse", "ecosystem": "PyPI"}, "version": "1.0.0"}
    assert [v["id"] for v in ok(client.post("/v1/query", json=query))["vulns"]] == [f"x_{published[0]}"]
    assert ok(client.get(f"{CH}/publications/{published[0]}"))["case_id"] == case_id
    no_cve = ok(client.get(f"{CH}/publications/{published[0]}/cve"), 409)
    assert no_cve["code"] == "cve_not_assigned" and no_cve["hint"]
    assert ok(client.get(f"{CH}/publications/BASTION-2026-9999/cve"), 404)["code"] == "not_found"


def test_exploitation_in_the_wild_shortens_the_embargo(
    client: TestClient, cast: Cast, acme_vendor: str, clock: ManualClock, tmp_path: Path
) -> None:
    _, case_id = _open_case(client, cast, tmp_path)
    marked = ok(
        client.post(
            f"{CH}/cases/{case_id}/exploited", json={"reason": "seen in attacks"}, headers=cast.headers("analyst")
        )
    )
    assert marked["exploited"] is True
    assert marked["embargo"]["disclosure_at"].startswith((clock.now() + timedelta(days=7)).isoformat()[:19])


def test_vendors_are_found_by_cpe_and_by_a_claimed_purl_namespace(
    client: TestClient, cast: Cast, tmp_path: Path
) -> None:
    def register(org: str, claim: dict[str, str]) -> str:
        body = {"org_id": cast.orgs[org], "products": [claim]}
        return str(ok(client.post(f"{CH}/vendors", json=body, headers=cast.headers("analyst")), 201)["id"])

    by_cpe = register("other", {"cpe_vendor": "acmecorp", "cpe_product": "*"})
    by_namespace = register("acme", {"purl": "pkg:npm/@acme/*"})
    cpe = "cpe:2.3:a:acmecorp:record_server:2.1:*:*:*:*:*:*:*"
    _, case_id = _open_case(client, cast, tmp_path, purl=None, cpe=cpe)
    case = ok(client.get(f"{CH}/cases/{case_id}", headers=cast.headers("analyst")))
    assert [(v["vendor_id"], v["added_how"]) for v in case["vendors"]] == [(by_cpe, "registry")]
    # a package under the claimed npm scope finds its vendor; the CPE vendor has no claim on it
    draft = recparse_report(tmp_path, reproducer=None, fixed_target=None, target=None, purl="pkg:npm/@acme/records")
    draft |= {"title": "Prototype pollution in @acme/records", "description": "merge() copies __proto__ keys."}
    draft |= {"cwe": "CWE-1321", "location": None}
    ack = ok(client.post(f"{CH}/reports", json={"client_key": "npm", "report": draft}, headers=cast.headers("reporter")), 201)  # fmt: skip  # noqa: E501
    decision = {"decision": "accept", "reason": "credible"}
    report = ok(client.post(f"{CH}/reports/{ack['reports'][0]['id']}/decision", json=decision, headers=cast.headers("analyst")))  # fmt: skip  # noqa: E501
    npm_case = ok(client.get(f"{CH}/cases/{report['case_id']}", headers=cast.headers("acme")))
    assert [(v["vendor_id"], v["added_how"]) for v in npm_case["vendors"]] == [(by_namespace, "registry")]
    # and each vendor sees only its own case
    assert client.get(f"{CH}/cases/{case_id}", headers=cast.headers("acme")).status_code == 404
    assert client.get(f"{CH}/cases/{report['case_id']}", headers=cast.headers("other_vendor")).status_code == 404


def test_a_flaw_the_kev_catalogue_lists_gets_the_short_embargo_when_its_case_opens(
    client: TestClient, container: Container, cast: Cast, clock: ManualClock, tmp_path: Path
) -> None:
    kev = (
        Path(__file__).resolve().parents[3].parent / "shared" / "data" / "kev" / "known_exploited_vulnerabilities.json"
    )
    AdvisoryImporter(container.runtime.database, clock).import_sources([str(kev)])  # the real catalogue
    listed = json.loads(kev.read_text())["vulnerabilities"][0]["cveID"]
    _, case_id = _open_case(client, cast, tmp_path, aliases=[listed])
    case = ok(client.get(f"{CH}/cases/{case_id}", headers=cast.headers("analyst")))
    assert case["exploited"] is True
    assert case["embargo"]["revisions"][0]["reason"] == "embargo policy 2026-11: 7 days, exploited in the wild (KEV)"
    assert case["embargo"]["disclosure_at"].startswith((clock.now() + timedelta(days=7)).isoformat()[:19])
    # a CVE the catalogue does not list keeps the default
    clock.advance(timedelta(minutes=1))
    draft = recparse_report(tmp_path, reproducer=None, fixed_target=None, target=None, aliases=["CVE-2099-0001"])
    draft |= {
        "title": "Unrelated flaw in recparse.dump",
        "description": "dump() writes keys unescaped.",
        "cwe": "CWE-116",
    }
    draft |= {"location": {"file": "recparse/__init__.py", "function": "dump"}}
    ack = ok(client.post(f"{CH}/reports", json={"client_key": "c2", "report": draft}, headers=cast.headers("reporter")), 201)  # fmt: skip  # noqa: E501
    decision = {"decision": "accept", "reason": "credible"}
    other = ok(client.post(f"{CH}/reports/{ack['reports'][0]['id']}/decision", json=decision, headers=cast.headers("analyst")))  # fmt: skip  # noqa: E501
    plain = ok(client.get(f"{CH}/cases/{other['case_id']}", headers=cast.headers("analyst")))
    assert plain["exploited"] is False and "90 days, the default" in plain["embargo"]["revisions"][0]["reason"]


def test_an_analyst_closes_a_case_and_nothing_moves_it_afterwards(
    client: TestClient, cast: Cast, acme_vendor: str, container: Container, clock: ManualClock, tmp_path: Path
) -> None:
    _, case_id = _open_case(client, cast, tmp_path)
    closing = {"resolution": "not_a_vulnerability", "reason": "the parser rejects the input before the copy"}
    for who in ("reporter", "acme"):
        assert ok(client.post(f"{CH}/cases/{case_id}/close", json=closing, headers=cast.headers(who)), 403)["code"] == (
            "forbidden"
        )
    outsider = ok(client.post(f"{CH}/cases/{case_id}/close", json=closing, headers=cast.headers("other_vendor")), 404)
    assert outsider["message"] == f"case {case_id} not found"
    unknown = ok(
        client.post(
            f"{CH}/cases/{case_id}/close", json={**closing, "resolution": "done"}, headers=cast.headers("analyst")
        ),
        400,
    )
    assert "resolution" in json.dumps(unknown)
    closed = ok(client.post(f"{CH}/cases/{case_id}/close", json=closing, headers=cast.headers("analyst")))
    assert closed["status"] == "closed" and closed["closed_at"].startswith(clock.now().isoformat()[:19])
    # the participants read why in the thread
    thread = ok(client.get(f"{CH}/cases/{case_id}/messages", headers=cast.headers("reporter")))["data"]
    assert thread[-1]["body"] == f"Case closed (not a vulnerability): {closing['reason']}"
    # nothing changes it any more
    status = {"status": "fixed"}
    refusals = [
        client.post(f"{CH}/cases/{case_id}/messages", json={"body": "but wait"}, headers=cast.headers("acme")),
        client.put(f"{CH}/cases/{case_id}/vendors/{acme_vendor}", json=status, headers=cast.headers("acme")),
        client.post(f"{CH}/cases/{case_id}/exploited", json={"reason": "seen"}, headers=cast.headers("analyst")),
        client.post(f"{CH}/cases/{case_id}/publish", json={"reason": "now"}, headers=cast.headers("analyst")),
        client.post(f"{CH}/cases/{case_id}/close", json=closing, headers=cast.headers("analyst")),
    ]
    assert [r.status_code for r in refusals] == [409] * 5, [r.json() for r in refusals]
    assert [r.json()["code"] for r in refusals] == [
        "case_closed",
        "case_closed",
        "case_not_open",
        "case_not_open",
        "invalid_transition",
    ]
    # its clocks stop: no reminder, no escalation, and it is never published when its embargo would have ended
    clock.advance(timedelta(days=91))
    assert container.clearinghouse.operations.tick().published == []
    analyst = principal_for(container.runtime, cast.users["analyst"])  # the test tokens have expired by now
    topics = [m.topic for m in container.clearinghouse.outbox.list(analyst, pending_only=False).data]
    assert not [t for t in topics if t.startswith("clearinghouse.sla") or "embargo" in t], topics
    case = container.clearinghouse.cases.get(principal_for(container.runtime, cast.users["reporter"]), case_id)
    assert (case.status, case.published_at) == ("closed", None)
    query = {"package": {"name": "recparse", "ecosystem": "PyPI"}, "version": "1.0.0"}
    assert ok(client.post("/v1/query", json=query)) == {}


def test_a_published_case_closes_as_resolved(client: TestClient, cast: Cast, acme_vendor: str, tmp_path: Path) -> None:
    _, case_id = _open_case(client, cast, tmp_path)
    fixed = {"status": "fixed", "statement": "fixed in 1.0.1"}
    ok(client.put(f"{CH}/cases/{case_id}/vendors/{acme_vendor}", json=fixed, headers=cast.headers("acme")))
    published = ok(
        client.post(f"{CH}/cases/{case_id}/publish", json={"reason": "agreed"}, headers=cast.headers("analyst")), 201
    )
    closing = {"resolution": "resolved", "reason": "fixed in 1.0.1 and published"}
    closed = ok(client.post(f"{CH}/cases/{case_id}/close", json=closing, headers=cast.headers("analyst")))
    assert (closed["status"], closed["advisory_id"]) == ("closed", published["advisory_id"])
    assert ok(client.get(f"{CH}/publications/{published['advisory_id']}"))["case_id"] == case_id


def test_outsiders_learn_only_their_own_organisations_people_in_a_case(
    client: TestClient, cast: Cast, acme_vendor: str, tmp_path: Path
) -> None:
    other = ok(
        client.post(
            f"{CH}/vendors", json={"org_id": cast.orgs["other"], "products": []}, headers=cast.headers("analyst")
        ),
        201,
    )["id"]
    _, case_id = _open_case(client, cast, tmp_path)  # the analyst opens it and proposes the embargo
    ok(client.post(f"{CH}/cases/{case_id}/vendors", json={"vendor_id": other}, headers=cast.headers("analyst")))
    first = ok(client.get(f"{CH}/cases/{case_id}", headers=cast.headers("analyst")))["embargo"]["revisions"][0]["id"]
    ok(client.post(f"{CH}/cases/{case_id}/embargo/{first}/agree", headers=cast.headers("acme")))
    decision = {"accept": True}
    ok(client.post(f"{CH}/cases/{case_id}/embargo/{first}/decision", json=decision, headers=cast.headers("analyst")))
    for who in ("analyst", "acme", "reporter"):
        ok(client.post(f"{CH}/cases/{case_id}/messages", json={"body": f"from {who}"}, headers=cast.headers(who)), 201)
    fix = {"fixed_version": "9.9.9"}
    ok(client.post(f"{CH}/cases/{case_id}/fixes", json=fix, headers=cast.headers("acme")), 201)

    def seen_by(reader: str) -> tuple[set[str], list[dict[str, Any]]]:
        case = client.get(f"{CH}/cases/{case_id}", headers=cast.headers(reader))
        thread = client.get(f"{CH}/cases/{case_id}/messages", headers=cast.headers(reader))
        fixes = client.get(f"{CH}/cases/{case_id}/fixes", headers=cast.headers(reader))
        text = case.text + thread.text + fixes.text
        people = ("analyst", "acme", "reporter", "other_vendor")
        return {who for who in people if cast.users[who] in text}, ok(thread)["data"]

    staff, _ = seen_by("analyst")
    assert staff == {"analyst", "acme", "reporter"}  # control: every id is in the records, for staff
    acme, thread = seen_by("acme")
    assert acme == {"acme"}  # its own person; never the analyst's, the reporter's or another vendor's
    assert {m["body"]: m["from_reporter"] for m in thread} == {
        "from analyst": False,
        "from acme": False,
        "from reporter": True,  # still told apart, without the id
    }
    assert seen_by("other_vendor")[0] == set()
    assert seen_by("reporter")[0] == {"reporter"}
