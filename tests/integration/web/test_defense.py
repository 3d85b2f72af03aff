"""Agencies' defense pages in a real Chromium: a defender registers a system and a project, uploads an SBOM made
by cyclonedx-py, sees the worklist ranked by SSVC decision with KEV flags, records a VEX decision that survives
the next upload (a pinned requirements.txt), exports VEX, sets where alerts go, and confirms a triage proposal
made by the assistant (its model scripted with Inspect's mockllm). Another agency, a lab and a reporter never
see any of it: what the policy conceals is the same 404 page as what does not exist."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bastion.core.principal import Principal
from bastion.defense.records import SSVC_RANK, ProjectCreate, SsvcDecision, SystemCreate
from bastion.defense.triage import TriageAgent
from bastion.defense.triage_service import TriageService
from tests.integration.defense.support import cyclonedx_py
from tests.integration.web.browser import Browser
from tests.integration.web.server import Served

SignIn = Callable[[str], Browser]
DEFENDER = "cisa-reviewer"  # a user of the CISA agency: its inventories are the agency's own
# Real PyPA advisories are loaded for these (server.py): salt 3000.1 is in KEV (CVE-2020-11651).
FIRST = "jinja2==2.10\nsalt==3000.1\n"
NEXT = "jinja2==2.10\nsalt==3000.1\n# pinned by pip-compile\n"


def _principal(served: Served, label: str) -> Principal:
    return served.container.identity.get_principal(served.demo.users[label])


def _rows(browser: Browser) -> list[dict[str, str]]:
    return [
        {
            "decision": str(row.get_attribute("data-decision")),
            "advisory": str(row.get_attribute("data-advisory")),
            "purl": str(row.get_attribute("data-purl")),
            "kev": str(row.get_attribute("data-kev") or ""),
        }
        for row in browser.all("#worklist tbody tr")
    ]


def _json(browser: Browser, path: str) -> Any:
    browser.open(path)
    return json.loads(browser.driver.execute_script("return document.body.innerText"))


class _Scripted:
    """The assistant's model: Inspect's mockllm with one scripted answer."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, name: str) -> Any:
        from inspect_ai.model import ModelOutput, ModelUsage, get_model

        self.asked.append(name)
        output = ModelOutput.from_content(model="mockllm/model", content=self.answer)
        output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return get_model(name, custom_outputs=[output])


PROPOSAL = {
    "explanation": "salt's master lets anyone reach its ClearFuncs methods without authentication.",
    "reachability": "likely",
    "reachability_reasoning": "The payments API runs a salt master on the management network.",
    "remediation": ["Upgrade salt to 3000.2 or later", "Block ports 4505-4506 at the perimeter"],
    "vex": {"status": "affected", "detail": "Upgrade salt this week; the master is reachable."},
}


def test_a_defender_uploads_sees_the_worklist_by_ssvc_decides_and_keeps_the_decision(
    sign_in: SignIn, served: Served, tmp_path: Path
) -> None:
    defender = sign_in(DEFENDER)
    defender.open("/")
    assert defender.find("nav a[href='/defense']").text == "Defense"
    defender.open("/defense")
    defender.fill("sys-name", "Payments portal")
    defender.choose("sys-exposure", "open")
    defender.choose("sys-impact", "high")
    defender.submit("form[action='/defense/systems'] button")
    assert defender.path.startswith("/defense/systems/sys_")
    assert defender.text("#system-exposure") == "open"
    defender.check_page("defense-system")
    defender.fill("prj-name", "payments-api")
    defender.submit("form[action$='/projects'] button")
    assert defender.path.startswith("/defense/projects/prj_")
    project = defender.path.split("/")[-1].split("#")[0]
    defender.check_page("defense-project-empty")

    sbom = tmp_path / "bom.json"
    sbom.write_bytes(cyclonedx_py(FIRST, tmp_path))  # a real SBOM, made by cyclonedx-py
    defender.find("#inventory").send_keys(str(sbom))
    defender.fill("label", "1.0")
    defender.submit("#upload button")
    assert "1.0 (bom.json" in defender.text("#current-version")
    rows = _rows(defender)
    assert {r["purl"].split("@")[0] for r in rows} == {"pkg:pypi/jinja2", "pkg:pypi/salt"}
    ranks = [SSVC_RANK[SsvcDecision(r["decision"])] for r in rows]
    assert ranks == sorted(ranks)  # most urgent first
    kev = [r for r in rows if r["kev"]]
    assert kev and all(r["purl"].startswith("pkg:pypi/salt@") for r in kev)
    assert "CVE-2020-11651" in {r["kev"] for r in kev}
    assert rows[0]["decision"] == "Act" and rows[0]["kev"]  # exploited, open to the internet, high impact: Act
    assert defender.find(f"#worklist tr[data-kev='{kev[0]['kev']}'] .badge.kev").text == "KEV"
    assert "jinja2" in defender.text("#worklist") and "3000.1" in defender.text("#worklist")
    defender.check_page("defense-worklist")

    # a file that is no inventory: a clear refusal, and nothing kept
    junk = tmp_path / "notes.md"
    junk.write_text("just some notes\n")
    defender.find("#inventory").send_keys(str(junk))
    defender.submit("#upload button")
    assert defender.text("h1") == "That did not work"
    assert "notes.md is not an SBOM or lockfile format Bastion reads" in defender.text(".error")
    assert "CycloneDX 1.4-1.6" in defender.text(".error .hint")
    defender.check_page("defense-upload-refused")
    defender.open(f"/defense/projects/{project}")
    assert "1.0 (bom.json" in defender.text("#current-version")

    defender.open("/defense")
    assert "payments-api" in defender.text("#systems")
    assert {r["advisory"] for r in rows} <= {r["advisory"] for r in _rows(defender)}  # the agency's worklist
    defender.check_page("defense-dashboard")

    # a decision on one jinja2 advisory: not affected, the template engine only builds the documentation
    decided = next(r for r in rows if r["purl"].startswith("pkg:pypi/jinja2@"))
    link = defender.find(f"#worklist tr[data-advisory='{decided['advisory']}'] a")
    defender.open(str(link.get_attribute("href")).removeprefix(defender.base))
    assert defender.text("#vex-state") == "not analysed"
    defender.check_page("defense-exposure")
    defender.choose("vex-status", "not_affected")  # without saying why: refused, nothing recorded
    defender.submit("#decide button")
    assert "a not affected decision needs a justification" in defender.text(".error")
    defender.driver.back()
    defender.driver.refresh()
    assert defender.text("#vex-state") == "not analysed"
    defender.choose("vex-status", "not_affected")
    defender.choose("vex-justification", "vulnerable_code_not_in_execute_path")
    defender.fill("vex-detail", "jinja2 only renders the documentation at build time.")
    defender.submit("#decide button")
    assert defender.text("#vex-state").startswith("not affected (vulnerable code not in execute path)")

    defender.open(f"/defense/projects/{project}")
    assert decided["advisory"] not in [r["advisory"] for r in _rows(defender)]  # out of the worklist
    statement = defender.find(f"#vex-statements tr[data-advisory='{decided['advisory']}']")
    assert statement.get_attribute("data-status") == "not_affected"
    assert "Cisa Reviewer" in statement.text  # who decided
    assert decided["advisory"] in defender.text("#suppressed")

    # the next version, a pinned requirements.txt: the decision holds
    lockfile = tmp_path / "requirements.txt"
    lockfile.write_text(NEXT)
    defender.find("#inventory").send_keys(str(lockfile))
    defender.fill("label", "1.1")
    defender.submit("#upload button")
    assert "1.1 (requirements.txt" in defender.text("#current-version")
    after = _rows(defender)
    assert decided["advisory"] not in [r["advisory"] for r in after]
    assert {r["advisory"] for r in after} == {r["advisory"] for r in rows} - {decided["advisory"]}
    assert (
        defender.find(f"#vex-statements tr[data-advisory='{decided['advisory']}']").get_attribute("data-status")
        == "not_affected"
    )

    # the picture: both versions, by upload date, as the table beside it says
    chart = str(defender.find("#over-time svg desc").get_attribute("textContent"))
    assert "1.0 uploaded" in chart and "1.1 uploaded" in chart
    assert f"{len(rows)} matching advisories, {len(rows) - 1} open" in chart
    assert len(defender.all("#versions tbody tr")) == 2
    defender.check_page("defense-project")

    # a vendor's OpenVEX says one salt advisory does not apply: it leaves the worklist, credited to the vendor
    vendor_says = after[-1]
    openvex_in = {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://saltproject.example/vex/2026-1",
        "author": "Salt Project",
        "timestamp": "2026-11-01T00:00:00Z",
        "version": 1,
        "statements": [
            {
                "vulnerability": {"name": vendor_says["advisory"]},
                "products": [{"@id": vendor_says["purl"]}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_present",
                "impact_statement": "Our build leaves the affected module out.",
            }
        ],
    }
    vex_file = tmp_path / "salt.openvex.json"
    vex_file.write_text(json.dumps(openvex_in))
    defender.find("#vex-document").send_keys(str(vex_file))
    defender.submit("#vex-import button")
    assert vendor_says["advisory"] not in [r["advisory"] for r in _rows(defender)]
    imported = defender.find(f"#vex-statements tr[data-advisory='{vendor_says['advisory']}']")
    assert imported.get_attribute("data-status") == "not_affected" and "Salt Project (vendor)" in imported.text

    # VEX out, in both formats
    openvex = _json(defender, f"/defense/projects/{project}/vex/openvex.json")
    (ours,) = [s for s in openvex["statements"] if s["vulnerability"]["name"] == decided["advisory"]]
    assert ours["status"] == "not_affected" and ours["justification"] == "vulnerable_code_not_in_execute_path"
    cyclonedx = _json(defender, f"/defense/projects/{project}/vex/cyclonedx.json")
    (vuln,) = [v for v in cyclonedx["vulnerabilities"] if v["id"] == decided["advisory"]]
    assert vuln["analysis"]["state"] == "not_affected"


def test_a_defender_sets_where_alerts_go(sign_in: SignIn, served: Served) -> None:
    defender = sign_in(DEFENDER)
    defender.open("/defense/alerts")
    defender.check_page("defense-alert-settings")
    assert defender.find("#enabled").is_selected()  # on, until the agency turns alerts off
    defender.fill("webhook_url", "https://hooks.cisa.example/bastion")
    defender.fill("webhook_secret", "a-long-shared-webhook-secret")
    defender.fill("emails", "soc@cisa.example, patching@cisa.example")
    defender.submit("#settings button")
    assert defender.find("#saved").text == "Saved."
    state = defender.text("#settings-state")
    assert "https://hooks.cisa.example/bastion (secret set)" in state
    assert "soc@cisa.example, patching@cisa.example" in state
    assert "alerts are off" not in state
    assert defender.find("#webhook_secret").get_attribute("value") == ""  # never shown again
    assert "a-long-shared-webhook-secret" not in defender.driver.page_source

    # the project's next version brings in jinja2: one alert per new exposure, queued to both channels
    actor = _principal(served, DEFENDER)
    defense = served.container.defense
    system = defense.create_system(actor, SystemCreate(name="Intranet", exposure="controlled", mission_impact="low"))
    project = defense.create_project(actor, system.id, ProjectCreate(name="wiki"))
    defense.upload(actor, project.id, b"salt==3000.1\n", "requirements.txt", label="1")  # the baseline
    defense.upload(actor, project.id, b"salt==3000.1\njinja2==2.10\n", "requirements.txt", label="2")
    new = [e for e in defense.exposures(actor, project_id=project.id) if e.name == "jinja2"]
    defender.open("/defense/alerts")
    raised = defender.all(f"#alerts tr[data-project='{project.id}']")
    assert {r.get_attribute("data-advisory") for r in raised} == {e.advisory_id for e in new}
    assert {r.get_attribute("data-purl") for r in raised} == {"pkg:pypi/jinja2@2.10"}  # the baseline raised nothing
    assert all("webhook: pending" in r.text and "email: pending" in r.text for r in raised)
    defender.check_page("defense-alerts-raised")

    defender.fill("emails", "soc@cisa.example, not an address")
    defender.submit("#settings button")
    assert "not an address" in defender.text("main") and "e-mail" in defender.text("main")
    defender.open("/defense/alerts")
    assert "not an address" not in defender.text("#settings-state")  # nothing half-saved

    defender.find("#enabled").click()  # turned off; the secret left empty is kept
    defender.submit("#settings button")
    state = defender.text("#settings-state")
    assert "alerts are off" in state and "https://hooks.cisa.example/bastion (secret set)" in state


def test_a_person_confirms_the_triage_assistants_proposal(
    sign_in: SignIn, served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    actor = _principal(served, DEFENDER)
    defense = served.container.defense
    system = defense.create_system(
        actor, SystemCreate(name="Config management", exposure="controlled", mission_impact="medium")
    )
    project = defense.create_project(actor, system.id, ProjectCreate(name="salt-masters"))
    defense.upload(actor, project.id, b"salt==3000.1\n", "requirements.txt", label="2026.11")
    exposure = next(e for e in defense.exposures(actor, project_id=project.id) if e.kev is not None)
    # the server's assistant, its model scripted with Inspect's mockllm (the container's wiring otherwise)
    model = _Scripted(f"My assessment:\n```json\n{json.dumps(PROPOSAL)}\n```")
    triage = TriageService(
        uow=served.container.uow, defense=defense, advisories=served.container.advisories, agent=TriageAgent(model)
    )
    monkeypatch.setattr(served.container, "triage", triage)

    defender = sign_in(DEFENDER)
    defender.open(f"/defense/exposures/{exposure.id}")
    defender.fill("model", "x")  # a model name that names nothing: a clear refusal, no model asked
    defender.submit("#triage button")
    assert defender.text("h1") == "That did not work" and "model" in defender.text(".error")
    assert model.asked == []

    defender.open(f"/defense/exposures/{exposure.id}")
    defender.fill("model", "mockllm/model")
    defender.choose("evidence_kind", "import_graph")
    defender.fill("evidence_name", "pydeps payments")
    defender.fill("evidence_text", "payments.ops -> salt.client")
    defender.submit("#triage button")
    assert model.asked == ["mockllm/model"]
    assert defender.path.startswith("/defense/triage/tri_")
    proposal_id = defender.path.rsplit("/", 1)[1]
    assert "Upgrade salt to 3000.2 or later" in defender.text("#proposal")
    assert defender.find("#proposal-status").get_attribute("data-status") == "proposed"
    assert "payments.ops -> salt.client" in defender.text("#inputs")
    defender.check_page("defense-triage-proposal")

    defender.open("/defense")
    assert "Triage proposals (1 waiting)" in defender.text("main")
    defender.open("/defense/triage")
    row = defender.find(f"#waiting tr[data-proposal='{proposal_id}']")
    assert "affected" in row.text and "mockllm/model" in row.text
    defender.check_page("defense-triage-list")
    defender.open(f"/defense/exposures/{exposure.id}")
    assert defender.text("#vex-state") == "not analysed"  # only a proposal: nothing applied yet

    defender.open(f"/defense/triage/{proposal_id}")
    defender.fill("confirm-note", "Checked with the platform team.")
    defender.submit("#confirm button")
    assert defender.find("#proposal-status").get_attribute("data-status") == "confirmed"
    assert not defender.all("#confirm")
    defender.open(f"/defense/exposures/{exposure.id}")
    assert defender.text("#vex-state").startswith("affected: Upgrade salt this week")
    defender.open(f"/defense/projects/{project.id}")
    assert (
        defender.find(f"#vex-statements tr[data-advisory='{exposure.advisory_id}']").get_attribute("data-status")
        == "affected"
    )
    defender.open("/defense/triage")
    assert defender.find(f"#decided tr[data-proposal='{proposal_id}']").get_attribute("data-status") == "confirmed"

    # an unusable answer is recorded and shown for what it is; rejected, the decision stays as the person made it
    model.answer = "I think it is probably fine."
    defender.open(f"/defense/exposures/{exposure.id}")
    defender.fill("model", "mockllm/model")
    defender.submit("#triage button")
    assert defender.find("#proposal-status").get_attribute("data-status") == "invalid"
    assert "unusable" in defender.text(".error")
    assert not defender.all("#confirm")
    defender.check_page("defense-triage-invalid")
    defender.fill("reject-note", "We already decided.")
    defender.submit("#reject button")
    assert defender.find("#proposal-status").get_attribute("data-status") == "rejected"
    assert "We already decided." in defender.text("#proposal-status")
    defender.open(f"/defense/exposures/{exposure.id}")
    assert defender.text("#vex-state").startswith("affected: Upgrade salt this week")


def _missing(path: str) -> str:
    head, _, ident = path.rpartition("/")
    if ident.isdigit():
        return f"{head}/999999999"
    return f"{head}/{ident.split('_', 1)[0]}_0000000000000000"


def test_no_one_else_sees_an_agencys_inventories(sign_in: SignIn, served: Served) -> None:
    actor = _principal(served, DEFENDER)
    defense = served.container.defense
    system = defense.create_system(actor, SystemCreate(name="Secret payroll", exposure="small", mission_impact="high"))
    project = defense.create_project(actor, system.id, ProjectCreate(name="payroll-batch"))
    defense.upload(actor, project.id, b"jinja2==2.10\n", "requirements.txt", label="1")
    exposure = defense.exposures(actor, project_id=project.id)[0]
    pages = [f"/defense/systems/{system.id}", f"/defense/projects/{project.id}", f"/defense/exposures/{exposure.id}"]

    other = sign_in("nsa-reviewer")  # another agency
    other.open("/defense")
    assert "Secret payroll" not in other.text() and "payroll-batch" not in other.text()
    for path in pages:
        other.open(path)
        assert other.text("h1") == "Not found", path
        concealed = other.text().replace(path.rsplit("/", 1)[1], "ID")
        other.open(_missing(path))
        assert other.text().replace(_missing(path).rsplit("/", 1)[1], "ID") == concealed, path
    other.open(f"/defense/projects/{project.id}/vex/openvex.json")
    assert other.text("h1") == "Not found"
    other.check_page("defense-concealed-other-agency")

    for label in ("beta-submitter", "researcher", "tinyconf-maintainer"):
        outsider = sign_in(label)  # a lab, a reporter, a vendor
        assert not outsider.all("nav a[href='/defense']")
        for path in ("/defense", "/defense/alerts", "/defense/triage", *pages):
            outsider.open(path)
            assert outsider.text("h1") == "Not found", (label, path)
            assert "payroll" not in outsider.text().lower()

    other.driver.delete_all_cookies()
    for path in ("/defense", pages[1]):
        other.open(path)
        assert other.path.startswith("/signin?next="), path


def test_a_programme_administrator_sees_counts_and_no_agency(sign_in: SignIn, served: Served) -> None:
    actor = _principal(served, "treasury-reviewer")  # a second agency with an inventory of its own
    defense = served.container.defense
    system = defense.create_system(actor, SystemCreate(name="Mint ledger", exposure="open", mission_impact="high"))
    project = defense.create_project(actor, system.id, ProjectCreate(name="ledger-web"))
    defense.upload(actor, project.id, b"salt==3000.1\n", "requirements.txt", label="1")
    expected = defense.statistics(actor)

    admin = sign_in("programme-admin")
    admin.find("nav a[href='/defense/programme']").click()
    assert admin.path == "/defense/programme"
    figures = admin.text("#figures")
    assert f"Agencies with inventories {expected.agencies}" in figures and expected.agencies >= 1
    assert f"Of which in KEV {expected.kev_exposures}" in figures and expected.kev_exposures >= 1
    act = admin.find("#figures td[data-decision='Act']").text
    assert act == str(expected.by_decision.get("Act", 0))
    page = admin.text("main")
    for name in ("Treasury", "Mint ledger", "ledger-web", "Cybersecurity and Infrastructure", "salt"):
        assert name not in page
    admin.check_page("defense-programme-counts")
    for path in ("/defense", f"/defense/projects/{project.id}", "/defense/alerts"):
        admin.open(path)  # an administrator sees no agency's inventory
        assert admin.text("h1") == "Not found", path

    outsider = sign_in("researcher")
    outsider.open("/defense/programme")
    assert outsider.text("h1") == "Not allowed"  # programme figures are for agencies and administrators
    assert "Open exposures" not in outsider.text()


def test_an_sbom_larger_than_a_form_posts_through_the_upload_page(
    sign_in: SignIn, served: Served, tmp_path: Path
) -> None:
    """A real inventory of thousands of components is more than the 1 MiB every other form is allowed: the upload
    form takes what the API's upload takes (BASTION_MAX_EVIDENCE_BYTES)."""
    actor = _principal(served, DEFENDER)
    defense = served.container.defense
    system = defense.create_system(actor, SystemCreate(name="Data lake", exposure="small", mission_impact="medium"))
    project = defense.create_project(actor, system.id, ProjectCreate(name="ingest"))
    document = json.loads(cyclonedx_py(FIRST, tmp_path))
    document["components"] += [
        {"type": "library", "bom-ref": f"pad-{n}", "name": f"bastion-pad-{n:05d}", "version": "1.0.0",
         "purl": f"pkg:npm/bastion-pad-{n:05d}@1.0.0", "description": "padding " * 8}
        for n in range(8_000)
    ]  # fmt: skip
    sbom = tmp_path / "large-bom.json"
    sbom.write_text(json.dumps(document))
    assert sbom.stat().st_size > 1.5 * 1024 * 1024
    defender = sign_in(DEFENDER)
    defender.open(f"/defense/projects/{project.id}")
    limit = served.container.runtime.settings.max_evidence_bytes / 1048576
    assert f"At most {limit:.1f} MiB." in defender.text("#inventory-hint")  # what the form takes, as it says
    defender.find("#inventory").send_keys(str(sbom))
    defender.fill("label", "2026.11")
    defender.submit("#upload button")
    assert defender.text("#current-version") == f"2026.11 (large-bom.json, {len(document['components'])} components)"
    assert {r["purl"].split("@")[0] for r in _rows(defender)} == {"pkg:pypi/jinja2", "pkg:pypi/salt"}
