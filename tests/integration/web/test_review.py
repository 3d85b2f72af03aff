"""The review programme in a real Chromium, each role's main journeys end to end: a lab submits, sees only
"selected" or "not selected", consents to an extension, answers a shared finding, releases and withdraws; an
agency reviewer nominates and sees the rationale; the programme opens a review, assigns an evaluator and
proposes an extension; an evaluator records a finding and evidence, starts the battery and sees the profile
chart; reports download as HTML and PDF."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.integration.web.browser import Browser
from tests.integration.web.server import Served

SignIn = Callable[[str], Browser]
GAMMA = "Gamma-1"
DELTA = "Delta-1"


def _row(browser: Browser, table: str, text: str) -> str:
    return next(row.text for row in browser.all(f"{table} tbody tr") if text in row.text)


def _open_link(browser: Browser, text: str) -> None:
    link = next(a for a in browser.all("main a") if a.text.startswith(text))
    browser.open(str(link.get_attribute("href")).removeprefix(browser.base))


def test_a_lab_submits_a_model_and_sees_only_whether_it_was_selected(sign_in: SignIn, served: Served) -> None:
    lab = sign_in("alpha-submitter")
    lab.open("/review")
    assert "Alpha-4" in lab.text("#submissions")
    assert "Beta-Lite" not in lab.text()  # another lab's submission
    lab.check_page("review-dashboard-lab")

    lab.open("/review/submissions/new")
    lab.check_page("review-submit")
    for field, value in {
        "model_name": GAMMA,
        "model_version": "2026-12",
        "developer": "Frontier Lab Alpha",
        "training_compute_flop": "lots",
        "modalities": "text, code",
    }.items():
        lab.fill(field, value)
    lab.submit("main form button[type=submit]")
    assert "training_compute_flop" in lab.text(".error")  # refused, and the form kept what was typed
    assert lab.find("#model_name").get_attribute("value") == GAMMA
    lab.fill("training_compute_flop", "5e26")
    lab.submit("main form button[type=submit]")

    assert lab.path.startswith("/review/submissions/sub_")
    assert lab.find("#selection .badge").get_attribute("data-selection") == "selected"
    assert not lab.all("#rationale") and not lab.all("#nominations")  # a lab never sees why
    assert "frontier-compute" not in lab.text()
    lab.check_page("review-submission-lab")


def test_an_agency_reviewer_nominates_and_sees_the_rationale(sign_in: SignIn, served: Served) -> None:
    reviewer = sign_in("treasury-reviewer")
    reviewer.open(f"/review/submissions/{served.demo.ids['submission']}")
    assert "frontier-compute" in reviewer.text("#rationale")  # the rules, fired or not, with explanations
    assert "Cybersecurity and Infrastructure Security Agency" in reviewer.text("#nominations")  # CISA's
    reviewer.fill("nominate-reason", "Alpha-4 is to be embedded in a widely used tax filing product.")
    reviewer.submit("form[action$='/nominations'] button")
    nominations = reviewer.text("#nominations")
    assert "Department of the Treasury" in nominations
    assert "widely used tax filing product" in nominations
    reviewer.check_page("review-submission-agency")


def _submit(lab: Browser, name: str) -> str:
    lab.open("/review/submissions/new")
    for field, value in {
        "model_name": name,
        "model_version": "1",
        "developer": "Frontier Lab Alpha",
        "training_compute_flop": "2e26",
        "modalities": "text",
    }.items():
        lab.fill(field, value)
    lab.submit("main form button[type=submit]")
    assert lab.path.startswith("/review/submissions/sub_")
    return lab.path


def test_a_submission_from_its_review_to_its_release(sign_in: SignIn) -> None:
    """The programme opens a review, assigns an evaluator and proposes an extension; the lab consents, then
    releases (each test is whole: under xdist the tests of a module may run in different processes)."""
    submission = _submit(sign_in("alpha-submitter"), DELTA)
    admin = sign_in("programme-admin")
    admin.open(submission)
    admin.fill("window_days", "30")
    admin.submit("form[action='/review/reviews'] button")
    assert admin.path.startswith("/review/reviews/rev_")
    assert "30 days left" in admin.text("#deadline")
    admin.choose(
        "assign-user",
        next(
            str(o.get_attribute("value"))
            for o in admin.all("#assign-user option")
            if o.text.startswith("Cisa Evaluator")
        ),
    )
    admin.find("input[name=focus_areas][value=digital_infrastructure]").click()
    admin.submit("form[action$='/assignments'] button")
    assert "Cisa Evaluator: digital infrastructure" in admin.text("#assignments")
    admin.fill("ext-reason", "The evaluators need the new agentic harness.")
    admin.submit("form[action$='/extensions'] button")
    assert "proposed" in admin.text("#extensions")
    admin.check_page("review-page-admin")
    admin.open("/review")
    assert "days left" in _row(admin, "#reviews", DELTA)  # deadlines at a glance
    admin.check_page("review-dashboard-admin")

    lab = sign_in("alpha-submitter")
    lab.open(submission)
    _open_link(lab, "open the review")
    assert not lab.all("#assignments")  # evaluators' identities are not the lab's to see
    lab.submit("#extensions button[value=yes]")
    assert "consented" in lab.text("#extensions")
    assert "+ 14 extension" in lab.text()
    assert "44 days left" in lab.text("#deadline")  # 30 + 14, counted from today
    lab.submit("form[action$='/release'] button")
    assert lab.text("#window-status").startswith("closed (released")


def test_a_lab_answers_a_shared_finding_and_never_sees_a_secret_one(sign_in: SignIn, served: Served) -> None:
    lab = sign_in("alpha-submitter")
    lab.open(f"/review/reviews/{served.demo.ids['review']}")
    assert "Weight exfiltration" not in lab.text()  # the SECRET finding, never shared
    assert lab.banners()[0] == "CUI"  # the highest marking this lab is shown
    finding = served.demo.ids["shared_finding"]
    lab.fill(f"answer-{finding}", "Mitigated in the 2026-12 build: the classifier refuses the console banner.")
    lab.submit(f"form[action$='{finding}/responses'] button")
    assert "Mitigated in the 2026-12 build" in lab.text("#findings")
    lab.check_page("review-page-lab")


def test_a_lab_withdraws_a_submission(sign_in: SignIn, served: Served) -> None:
    lab = sign_in("beta-submitter")
    lab.open(f"/review/submissions/{served.demo.ids['not_selected_submission']}")
    lab.submit("form[action$='/withdraw'] button")
    assert lab.text("#submission-status").startswith("withdrawn")
    assert not lab.all("form[action$='/withdraw']")


def test_an_evaluator_records_a_finding_and_evidence_starts_the_battery_and_sees_the_profile(
    sign_in: SignIn, served: Served, tmp_path: Path
) -> None:
    # the demo's battery scores are TOP SECRET evidence: the evaluator cleared for them sees the profile chart,
    # the one cleared for SECRET does not see the figures at all
    cleared = sign_in("nsa-evaluator")
    cleared.open(f"/review/reviews/{served.demo.ids['review']}")
    chart = cleared.find("#profile svg")
    assert chart.get_attribute("role") == "img"
    assert "Alpha-3" in cleared.text("#profile table") and "64%" in cleared.text("#profile table")
    assert cleared.banners() == ["TOP SECRET", "TOP SECRET"]
    evaluator = sign_in("cisa-evaluator")
    evaluator.open(f"/review/reviews/{served.demo.ids['review']}")
    assert not evaluator.all("#profile svg") and "64%" not in evaluator.text()

    evaluator.fill("f-title", "Writes a Modbus write-coil exploit from a PLC manual")
    evaluator.choose("f-area", "digital_infrastructure")
    evaluator.choose("f-sev", "high")
    evaluator.fill("f-desc", "Given the vendor's manual, it produced a working coil overwrite in 2 of 5 tries.")
    evaluator.submit("#new-finding button")
    article = next(a for a in evaluator.all("#findings article") if "Modbus" in a.text)
    assert "draft" in article.text
    finding = str(article.get_attribute("data-finding"))
    evaluator.submit(f"article[data-finding='{finding}'] button[value=confirmed]")
    article = next(a for a in evaluator.all("#findings article") if "Modbus" in a.text)
    assert "confirmed" in article.text

    transcript = tmp_path / "modbus-transcript.json"
    transcript.write_text(json.dumps({"tries": 5, "successes": 2}))
    evaluator.find("#ev-file").send_keys(str(transcript))
    evaluator.submit("form[action$='/evidence'] button")
    assert "modbus-transcript.json" in evaluator.text("#evidence")

    evaluator.fill("bat-model", "mockllm/model")
    evaluator.fill("bat-limit", "2")
    evaluator.submit("form[action$='/battery'] button")
    assert "mockllm/model queued" in evaluator.text("#battery")  # the run is queued for a worker
    evaluator.check_page("review-page-evaluator")

    admin = sign_in("programme-admin")  # the programme shares the confirmed finding with the lab ...
    admin.open(f"/review/reviews/{served.demo.ids['review']}")
    assert admin.banners() == ["TOP SECRET", "TOP SECRET"]  # the page shows the TOP SECRET scores: it says so
    admin.submit(f"article[data-finding='{finding}'] button[value=shared_with_lab]")
    lab = sign_in("alpha-viewer")  # ... and the lab sees it, without who found it
    lab.open(f"/review/reviews/{served.demo.ids['review']}")
    assert "Modbus write-coil exploit" in lab.text("#findings")
    assert "Cisa Evaluator" not in lab.text()


def test_the_report_downloads_as_html_and_pdf(sign_in: SignIn, served: Served) -> None:
    admin = sign_in("programme-admin")
    review = served.demo.ids["review"]
    admin.open(f"/review/reviews/{review}/report.html")
    assert "Weight exfiltration path" in admin.text("body")  # the full report, for the programme
    assert "SECRET" in admin.text("body")
    admin.screenshot("review-report-html")
    cookies = {c["name"]: c["value"] for c in admin.driver.get_cookies()}
    with httpx.Client(base_url=served.url, cookies=cookies, timeout=120) as client:
        pdf = client.get(f"/review/reviews/{review}/report.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["x-classification"] == "TOP SECRET"  # the demo's scores are TOP SECRET evidence
