"""The issue's "done when", as a new user would do it, with the CLI and the API only, on SQLite and PostgreSQL:

1. submit a report with a reproducer against a vulnerable target of our own (``recparse``, a small Python
   package: code injection through ``eval``);
2. see it validated in the sandbox (and the reproducer *not* triggering against the declared fixed version);
3. see a second, differently worded submission recognised as its duplicate;
4. see it opened as a case with its vendor (found in the registry by purl), who answers;
5. see the vendor's fix verified in the sandbox;
6. find the published OSV record through ``/v1/query`` and pip-audit (and nowhere before publication), and the
   CSAF advisory and VEX documents, pulled from the provider's feed, validating against the official schema and
   the TC's mandatory tests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from bastion.clearinghouse.feeds import WELL_KNOWN
from bastion.cli.main import main
from bastion.runtime import Runtime
from tests.integration.advisories.conftest import serving
from tests.integration.clearinghouse.support import POC, Cast, build_cast, write_recparse
from tests.unit.clearinghouse.test_formats import _csaf_mandatory, _csaf_schema_validator, _cve_validator, _errors


def _cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, token: str | None, *args: str) -> Any:
    if token is None:
        monkeypatch.delenv("BASTION_TOKEN", raising=False)
    else:
        monkeypatch.setenv("BASTION_TOKEN", token)
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == 0, f"bastion {' '.join(args)} exited {code}: {err}"
    return json.loads(out)


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _pip_audit(base: str, tmp_path: Path) -> dict[str, set[str]]:
    """What pip-audit reports for recparse==1.0.0: each vulnerability's id and aliases."""
    pip_audit = shutil.which("pip-audit", path=str(Path(sys.executable).parent))
    assert pip_audit, "pip-audit is a dev dependency"
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("recparse==1.0.0\n")
    result = subprocess.run(
        [pip_audit, "-s", "osv", "--osv-url", f"{base}/v1/query", "-r", str(requirements), "--no-deps",
         "--disable-pip", "-f", "json", "--progress-spinner", "off"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    return {
        dep["name"]: {name for v in dep.get("vulns", []) for name in [v["id"], *v.get("aliases", [])]}
        for dep in report["dependencies"]
    }


def _query(client: TestClient) -> list[str]:
    body = {"package": {"name": "recparse", "ecosystem": "PyPI"}, "version": "1.0.0"}
    return [v["id"] for v in _ok(client.post("/v1/query", json=body)).get("vulns", [])]


def test_a_new_user_takes_a_flaw_from_report_to_published_advisory(
    cli_env: Runtime,
    client: TestClient,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cast: Cast = build_cast(cli_env)
    analyst, reporter, vendor = cast.tokens["analyst"], cast.tokens["reporter"], cast.tokens["acme"]
    vendor_entry = _cli(
        capsys, monkeypatch, analyst, "clearinghouse", "add-vendor", cast.orgs["acme"], "--purl", "pkg:pypi/recparse"
    )

    # 1. A report with a reproducer against our own vulnerable target, through the CLI.
    vulnerable = write_recparse(tmp_path / "recparse-1.0.0")
    fixed = write_recparse(tmp_path / "recparse-1.0.1", fixed=True)
    poc = tmp_path / "poc.py"
    poc.write_text(POC)
    ack = _cli(
        capsys, monkeypatch, reporter, "clearinghouse", "submit",
        "--title", "Code injection in recparse.parse through record values",
        "--description", "recparse.parse evaluates each value of a key=value record with eval(), so a record "
        "from an untrusted source runs arbitrary Python code in the parsing process.",
        "--purl", "pkg:pypi/recparse", "--fixed", "1.0.1", "--cwe", "CWE-95",
        "--cvss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "--location-file", "recparse/__init__.py", "--location-function", "parse",
        "--repro-file", str(poc), "--repro-cmd", "python3 poc.py", "--signal", "output_marker:PWNED-42",
        "--target", str(vulnerable), "--test", "python3 -m unittest -q test_recparse",
        "--fixed-target", str(fixed),
    )  # fmt: skip
    report_id = ack["reports"][0]["id"]
    assert ack["tracking_id"].startswith("sub_") and ack["reports"][0]["status"] == "validating"

    # 2. Validated in the sandbox: the marker came, and did not come from the fixed version.
    jobs = _cli(capsys, monkeypatch, None, "clearinghouse", "work")
    assert [j["status"] for j in jobs] == ["succeeded"]
    report = _ok(client.get(f"/api/clearinghouse/reports/{report_id}", headers=cast.headers("reporter")))
    assert report["status"] == "validated"
    validation = report["validations"][0]
    assert validation["outcome"] == "validated" and validation["evidence_sha256"]
    assert validation["detail"]["vulnerable"]["signal_seen"] is True
    assert validation["detail"]["fixed_version"]["signal_seen"] is False
    assert "PWNED-42" in validation["detail"]["vulnerable"]["steps"][-1]["stdout"]

    # 3. A second reporter words the same flaw differently: recognised as a duplicate, told nothing secret.
    second = {
        "client_key": "second-1",
        "report": {
            "title": "Arbitrary code execution when recparse parses untrusted key/value input",
            "description": "Values handed to parse() go straight into Python's eval, letting an attacker who "
            "controls the input execute code.",
            "purl": "pkg:pypi/recparse",
            "cwe": "CWE-95",
            "location": {"file": "recparse/__init__.py", "function": "parse"},
        },
    }
    dup = _ok(client.post("/api/clearinghouse/reports", json=second, headers=cast.headers("reporter2")), 201)
    assert dup["reports"][0]["status"] == "duplicate"
    assert dup["reports"][0]["duplicate"]["report_id"] is None  # not theirs to see
    assert report_id not in json.dumps(dup)
    dup_id = dup["reports"][0]["id"]
    seen = _ok(client.get(f"/api/clearinghouse/reports/{dup_id}", headers=cast.headers("analyst")))
    assert seen["duplicate_of"] == report_id and seen["duplicate_reason"].startswith("fingerprint")

    # 4. Accepted: a case with the vendor the registry names; the vendor answers in it.
    accepted = _cli(
        capsys, monkeypatch, analyst, "clearinghouse", "decide", report_id,
        "--decision", "accept", "--reason", "validated in the sandbox",
    )  # fmt: skip
    case_id = accepted["case_id"]
    case = _ok(client.get(f"/api/clearinghouse/cases/{case_id}", headers=cast.headers("acme")))
    assert [v["name"] for v in case["vendors"]] == ["Acme Parsers"] and case["vendors"][0]["added_how"] == "registry"
    assert case["embargo"]["status"] == "proposed" and case["embargo"]["disclosure_at"]
    assert _ok(client.get(f"/api/clearinghouse/cases/{case_id}", headers=cast.headers("other_vendor")), 404) == {
        "code": "not_found",
        "message": f"case {case_id} not found",
    }
    vendor_id = vendor_entry["id"]
    answered = _ok(
        client.put(
            f"/api/clearinghouse/cases/{case_id}/vendors/{vendor_id}",
            json={"status": "affected", "statement": "Confirmed; 1.0.1 replaces eval with ast.literal_eval."},
            headers=cast.headers("acme"),
        )
    )
    assert answered["vendors"][0]["status"] == "affected"
    _ok(
        client.post(
            f"/api/clearinghouse/cases/{case_id}/messages",
            json={"body": "We reproduced it and are releasing 1.0.1."},
            headers=cast.headers("acme"),
        ),
        201,
    )
    thread = _cli(capsys, monkeypatch, reporter, "clearinghouse", "messages", case_id)
    assert [m["body"] for m in thread["data"]] == ["We reproduced it and are releasing 1.0.1."]
    # the vendor's notice waits in the outbox until a relay marks it delivered
    pending = _cli(capsys, monkeypatch, analyst, "clearinghouse", "outbox", "--pending")
    [notice] = [m for m in pending["data"] if m["topic"] == "clearinghouse.vendor_notified"]
    assert notice["payload"] == {"case_id": case_id, "vendor_id": vendor_entry["id"], "org_id": cast.orgs["acme"]}
    assert _cli(capsys, monkeypatch, analyst, "clearinghouse", "delivered", notice["id"])["delivered_at"]
    pending = _cli(capsys, monkeypatch, analyst, "clearinghouse", "outbox", "--pending")
    assert notice["id"] not in [m["id"] for m in pending["data"]]

    # 5. The vendor's fix, verified in the sandbox against the same reproducer.
    declared = _cli(
        capsys, monkeypatch, vendor, "clearinghouse", "fix", case_id, "--fixed-version", "1.0.1",
        "--target", str(fixed),
    )  # fmt: skip
    assert declared["status"] == "pending"
    _cli(capsys, monkeypatch, None, "clearinghouse", "work")
    case = _ok(client.get(f"/api/clearinghouse/cases/{case_id}", headers=cast.headers("analyst")))
    assert case["fixes"][0]["status"] == "verified" and case["fixed_at"]
    assert case["fixes"][0]["detail"]["checks"] == {"applies": True, "builds": True, "reproducer_stops": True}
    assert case["vendors"][0]["status"] == "fixed"
    [fix] = _cli(capsys, monkeypatch, vendor, "clearinghouse", "fixes", case_id)
    assert fix["status"] == "verified" and fix["fixed_version"] == "1.0.1"
    records = _cli(capsys, monkeypatch, analyst, "clearinghouse", "reporters")
    [mine] = [r for r in records if r["reporter"]["user_id"] == cast.users["reporter"]]
    assert (mine["submitted"], mine["validated"], mine["accepted"]) == (1, 1, 1)

    # 6. Nothing before publication; then /v1/query and pip-audit find it, and its CSAF documents validate.
    assert _query(client) == []
    assert _ok(client.get("/api/clearinghouse/publications"))["count"] == 0
    assert client.get(f"/{WELL_KNOWN}/white/index.txt").text.split() == []
    published = _cli(
        capsys, monkeypatch, analyst, "clearinghouse", "publish", case_id,
        "--reason", "fix verified and released; the vendor agreed", "--cve", "CVE-2026-99001",
    )  # fmt: skip
    osv_id = published["osv"]["id"]
    shown = _cli(capsys, monkeypatch, reporter, "clearinghouse", "publication", published["advisory_id"])
    assert shown["osv"]["id"] == osv_id and shown["case_id"] == case_id
    # the CVE JSON 5 record, through the CLI and the API alike, valid against the CVE Program's schema
    cve = _cli(capsys, monkeypatch, reporter, "clearinghouse", "publication", published["advisory_id"], "--cve")
    assert cve == _ok(client.get(f"/api/clearinghouse/publications/{published['advisory_id']}/cve"))
    assert cve["cveMetadata"]["cveId"] == "CVE-2026-99001" and cve["cveMetadata"]["state"] == "PUBLISHED"
    assert _errors(_cve_validator(), cve) == []
    assert osv_id.startswith("x_BASTION-")
    assert _query(client) == [osv_id]
    record = _ok(client.get(f"/v1/vulns/{osv_id}"))
    assert record["aliases"] == ["CVE-2026-99001"]
    assert record["affected"][0]["ranges"][0]["events"] == [{"introduced": "0"}, {"fixed": "1.0.1"}]
    with serving(cli_env, secret_key="test-secret-key") as base:
        # pip-audit names a vulnerability by its CVE when it has one, and lists our id among the aliases
        assert _pip_audit(base, tmp_path) == {"recparse": {osv_id, "CVE-2026-99001"}}
    # the CSAF advisory and its VEX variant, as a CSAF aggregator finds them through the provider's index
    index = client.get(f"/{WELL_KNOWN}/white/index.txt").text.split()
    assert len(index) == 2 and any(name.endswith("-vex.json") for name in index)
    for name in index:
        document = _ok(client.get(f"/{WELL_KNOWN}/white/{name}"))
        assert document["vulnerabilities"][0]["cve"] == "CVE-2026-99001"
        assert _errors(_csaf_schema_validator(), document) == []  # the official CSAF 2.0 schema
        assert _csaf_mandatory(document, tmp_path) == []  # the TC's mandatory tests (the csaf validator)

    # 7. The analyst closes the case; the participants read the resolution in its thread.
    closed = _cli(
        capsys, monkeypatch, analyst, "clearinghouse", "close", case_id,
        "--resolution", "resolved", "--reason", "fixed in 1.0.1, published as " + published["advisory_id"],
    )  # fmt: skip
    assert closed["status"] == "closed" and closed["advisory_id"] == published["advisory_id"]
    thread = _cli(capsys, monkeypatch, vendor, "clearinghouse", "messages", case_id)
    assert thread["data"][-1]["body"].startswith("Case closed (resolved): fixed in 1.0.1")
