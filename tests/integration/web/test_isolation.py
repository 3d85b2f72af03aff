"""Each role never sees another's pages or data, in a real Chromium. A page the policy conceals is the very
same 404 page as one that does not exist; lists hold only what the services return to that person."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.integration.web.browser import Browser
from tests.integration.web.server import Served

SignIn = Callable[[str], Browser]

# Who, and the pages (by demo record) that must be as absent to them as a page that never existed.
CONCEALED = {
    "beta-submitter": [
        "/review/submissions/{submission}",
        "/review/reviews/{review}",
        "/clearinghouse/cases/{current_case}",
    ],
    "researcher": [
        "/review/reviews/{review}",
        "/clearinghouse/cases/{current_case}",
        "/clearinghouse/reports/{ai_report}",
    ],
    "northwind-security": ["/review/reviews/{review}", "/clearinghouse/reports/{triage_report}"],
    "tinyconf-maintainer": ["/review/submissions/{submission}", "/clearinghouse/reports/{duplicate_report}"],
    "alpha-submitter": ["/clearinghouse/cases/{current_case}", "/review/submissions/{not_selected_submission}"],
    "partner-evaluator": ["/review/reviews/{review}"],
}


def _missing_twin(path: str) -> str:
    """The same kind of page for an id that does not exist."""
    head, _, ident = path.rpartition("/")
    prefix = ident.split("_", 1)[0]
    return f"{head}/{prefix}_0000000000000000"


@pytest.mark.parametrize("label", sorted(CONCEALED))
def test_what_a_role_may_not_see_is_the_same_404_as_what_does_not_exist(
    label: str, sign_in: SignIn, served: Served
) -> None:
    browser = sign_in(label)
    for template in CONCEALED[label]:
        path = template.format(**served.demo.ids)
        browser.open(path)
        assert browser.text("h1") == "Not found", (label, path)
        concealed = browser.text().replace(path.rsplit("/", 1)[1], "ID")
        browser.open(_missing_twin(path))
        missing = browser.text().replace(_missing_twin(path).rsplit("/", 1)[1], "ID")
        assert concealed == missing, (label, path)
    browser.check_page(f"concealed-{label}")


def test_a_lab_sees_its_own_work_only(sign_in: SignIn, served: Served) -> None:
    lab = sign_in("beta-submitter")
    lab.open("/review")
    assert "Alpha-4" not in lab.text() and "Beta-Lite" in lab.text()
    lab.open("/clearinghouse")
    assert "tinyconf" not in lab.text().lower()  # no cases, no reports of others
    lab.open(f"/review/reviews/{served.demo.ids['review']}/report.html")
    assert lab.text("h1") == "Not found"


def test_a_lab_viewer_reads_but_cannot_act(sign_in: SignIn, served: Served) -> None:
    viewer = sign_in("alpha-viewer")
    viewer.open(f"/review/reviews/{served.demo.ids['review']}")
    assert "Generates working exploits" in viewer.text("#findings")  # the shared finding
    assert "Weight exfiltration" not in viewer.text()  # never the SECRET one
    assert not viewer.all("main form")  # no release, no answers, no extensions
    viewer.open(f"/review/submissions/{served.demo.ids['submission']}")
    assert not viewer.all("form[action$='/withdraw']")
    assert not viewer.all("#rationale")


def test_a_reporter_sees_no_review_and_only_their_own_reports(sign_in: SignIn) -> None:
    reporter = sign_in("bughound-ai")
    reporter.open("/review")
    assert "No submissions you may see." in reporter.text() and "No reviews you may see." in reporter.text()
    reporter.open("/clearinghouse")
    reports = reporter.text("#reports")
    assert "tinyconf.load evaluates untrusted configuration values" in reports  # the tool's own report
    assert "Unbounded recursion" not in reports  # the researcher's
    reporter.open("/clearinghouse/vendor")
    assert reporter.text("h1") == "Not found"
    reporter.check_page("clearinghouse-ai-reporter")


def test_a_vendor_sees_only_the_cases_it_is_part_of(sign_in: SignIn, served: Served) -> None:
    vendor = sign_in("northwind-security")
    vendor.open("/clearinghouse/vendor")
    cases = vendor.text("#cases")
    assert "tinyconf.load evaluates untrusted configuration values" in cases
    assert "tinyconf-legacy" not in cases  # the earlier case had only the upstream vendor
    vendor.open("/review")
    assert "Alpha-4" not in vendor.text()


def test_without_signing_in_every_programme_page_asks_for_it(browser: Browser, served: Served) -> None:
    browser.driver.delete_all_cookies()
    for path in ("/review", "/clearinghouse", f"/review/reviews/{served.demo.ids['review']}", "/clearinghouse/vendor"):
        browser.open(path)
        assert browser.path.startswith("/signin?next="), path
        assert "Alpha-4" not in browser.text()
