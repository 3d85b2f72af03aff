"""The clearinghouse in a real Chromium: a reporter files a report with a reproducer and a target through the
form and follows its status while the sandbox validates it; an analyst sees the queue and the SLA burn-down,
accepts the report into a case, writes in the thread and publishes; a vendor works its cases in the portal."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from selenium.webdriver.common.by import By

from tests.integration.web.browser import Browser
from tests.integration.web.server import Served

SignIn = Callable[[str], Browser]
TITLE = "tinyini.load executes configuration sections as code"
_TARGET = '''"""tinyini: sections of settings."""


def load(text):
    settings = {}
    exec(text, {}, settings)
    return settings
'''
_POC = "import sys\nsys.path.insert(0, 'target')\nimport tinyini\ntinyini.load(\"print('PWNED-' + str(6 * 7))\")\n"


def _archive(path: Path) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        data = _TARGET.encode()
        info = tarfile.TarInfo("tinyini/__init__.py")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


def test_a_reporter_files_a_report_that_an_analyst_accepts_into_a_case(
    sign_in: SignIn, served: Served, tmp_path: Path
) -> None:
    reporter = sign_in("researcher")
    reporter.open("/clearinghouse/reports/new")
    reporter.check_page("clearinghouse-report-form")
    reporter.fill("title", TITLE)
    reporter.fill("description", "load() hands the whole configuration text to exec(): any file you load runs code.")
    reporter.fill("purl", "pkg:pypi/tinyini")
    reporter.fill("affected_fixed", "1.0.1")
    reporter.fill("cwe", "CWE-94")
    reporter.fill("cvss_vector", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H")
    poc = tmp_path / "poc.py"
    poc.write_text(_POC)
    reporter.find("#reproducer_files").send_keys(str(poc))
    reporter.fill("command", "python3 poc.py")
    reporter.choose("signal_kind", "output_marker")
    reporter.fill("signal_value", "PWNED-42")
    reporter.find("#target_archive").send_keys(str(_archive(tmp_path / "tinyini.tar.gz")))
    reporter.submit("main form button[type=submit]")

    assert reporter.path.startswith("/clearinghouse/reports/chr_")
    assert reporter.find("#report-status").get_attribute("data-status") == "validating"
    served.container.clearinghouse.worker().run_until_idle()  # the sandbox runs the reproducer, for real
    reporter.driver.refresh()
    assert reporter.find("#report-status").get_attribute("data-status") == "validated"
    assert "report done validated" in reporter.text("#validations")
    reporter.check_page("clearinghouse-report-status")

    reporter.open("/clearinghouse")
    mine = reporter.text("#reports")
    assert TITLE in mine and "Unbounded recursion" in mine  # their own reports ...
    assert "BugHound" not in mine and "tinyconf.load evaluates" not in mine  # ... not the AI tool's
    reporter.check_page("clearinghouse-reporter")

    # The analyst: the queue, accepting the report into a case, the thread, and time passing.
    analyst = sign_in("treasury-analyst")
    analyst.open("/clearinghouse")
    assert analyst.find("#sla svg").get_attribute("role") == "img"  # the SLA burn-down
    assert TITLE in analyst.text("#reports")
    analyst.check_page("clearinghouse-analyst")
    link = next(a for a in analyst.all("#reports a") if a.text == TITLE)
    analyst.open(str(link.get_attribute("href")).removeprefix(analyst.base))
    analyst.choose("decision", "accept")
    analyst.fill("decision-reason", "validated in the sandbox; the exec call is plain")
    analyst.submit("form[action$='/decision'] button")

    assert analyst.path.startswith("/clearinghouse/cases/chc_")
    assert analyst.text("h1") == TITLE
    assert "days to disclosure" in analyst.text("#embargo")  # the embargo countdown
    analyst.fill("message", "Looking for the maintainer of tinyini; none is in the registry yet.")
    analyst.submit("#thread button")
    assert "Looking for the maintainer of tinyini" in analyst.text("#thread")
    analyst.check_page("clearinghouse-case-analyst")

    served.container.runtime.clock.advance(timedelta(days=10))  # time passes; nobody fixes tinyini
    analyst = sign_in("treasury-analyst")  # the session of ten days ago has expired
    analyst.open("/clearinghouse")
    burndown = str(analyst.find("#sla svg desc").get_attribute("textContent"))
    assert f"{TITLE[:30]}" in burndown or "tinyini" in burndown
    assert "day 10 of 30, 20 left" in burndown  # a high-severity flaw: 30 days to a fix
    analyst.check_page("clearinghouse-sla-burndown")


def test_a_vendor_works_its_case_and_the_analyst_publishes_it(sign_in: SignIn, served: Served) -> None:
    vendor = sign_in("tinyconf-maintainer")
    vendor.open("/clearinghouse/vendor")
    assert "pkg:pypi/tinyconf" in vendor.text()  # its registry entry
    cases = vendor.text("#cases")
    assert "tinyconf.load evaluates untrusted configuration values" in cases
    assert TITLE not in cases  # a case it takes no part in
    vendor.check_page("clearinghouse-vendor-portal")
    vendor.open(f"/clearinghouse/cases/{served.demo.ids['current_case']}")
    assert "verified" in vendor.text("#fixes")  # the fix, verified in the sandbox
    assert "Northwind ships tinyconf 1.9" in vendor.text("#thread")
    vendor.fill("vs-statement", "Fixed in 2.0.1; 1.x users should upgrade.")
    vendor.submit("form[action*='/vendors/'] button")
    assert "1.x users should upgrade" in vendor.text("#vendors")
    vendor.fill("message", "2.0.1 is on PyPI now.")
    vendor.submit("#thread button")
    assert "2.0.1 is on PyPI now." in vendor.text("#thread")
    vendor.check_page("clearinghouse-case-vendor")

    # The analyst publishes once every vendor answered; the advisory is then public.
    case = f"/clearinghouse/cases/{served.demo.ids['current_case']}"
    analyst = sign_in("treasury-analyst")
    analyst.open(case)
    analyst.fill("pub-reason", "fix verified and released; both vendors agreed to publish early")
    analyst.submit("form[action$='/publish'] button")
    assert "publishing early needs every vendor's answer" in analyst.text(".error")  # Northwind is still looking
    analyst.check_page("clearinghouse-publish-refused")

    distro = sign_in("northwind-security")
    distro.open(case)
    distro.choose("vs-status", "affected")
    distro.fill("vs-statement", "Backported to 1.9-2 in stable.")
    distro.submit("form[action*='/vendors/'] button")
    assert "Backported to 1.9-2" in distro.text("#vendors")

    analyst = sign_in("treasury-analyst")
    analyst.open(case)
    analyst.fill("pub-reason", "fix verified and released; both vendors agreed to publish early")
    analyst.submit("form[action$='/publish'] button")
    assert "published" in analyst.text("#publication")
    advisory = analyst.find("#publication a").text
    assert advisory.startswith("BASTION-")
    analyst.driver.delete_all_cookies()  # anyone may read it now
    analyst.open(f"/advisories/{advisory}")  # served from the vulnerability database, as /v1 serves it
    assert analyst.path == f"/advisories/x_{advisory}"
    assert advisory in analyst.text("h1")
    assert "pkg:pypi/tinyconf" in analyst.text("table")
    analyst.check_page("advisory-published")

    # Published and fixed: the analyst closes the case; its participants read why, and it takes no more changes.
    analyst = sign_in("treasury-analyst")
    analyst.open(case)
    analyst.choose("close-resolution", "resolved")
    analyst.fill("close-reason", "fixed in 2.0.1 and 1.9-2, published as " + advisory)
    analyst.submit("form[action$='/close'] button")
    assert analyst.text("#case-status").startswith("closed, ")
    assert f"Case closed (resolved): fixed in 2.0.1 and 1.9-2, published as {advisory}" in analyst.text("#thread")
    assert not analyst.driver.find_elements(By.CSS_SELECTOR, "form[action$='/close'], #thread form")
    analyst.check_page("clearinghouse-case-closed")
    distro = sign_in("northwind-security")
    distro.open(case)
    assert "Case closed (resolved)" in distro.text("#thread")
    assert not distro.driver.find_elements(By.CSS_SELECTOR, "form[action*='/vendors/']")
