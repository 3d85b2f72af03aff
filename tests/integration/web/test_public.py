"""Public pages in a real Chromium: advisory search (with htmx and without), an advisory by id or alias with its
KEV badge, sign-in and sign-out, the 404 page, keyboard use, and CSRF on forms."""

from __future__ import annotations

import httpx
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait

from tests.integration.web.browser import Browser
from tests.integration.web.conftest import DEMO_DOMAIN
from tests.integration.web.server import Served


def test_advisory_search_finds_a_package_and_marks_known_exploited_ones(browser: Browser) -> None:
    browser.driver.delete_all_cookies()
    browser.open("/advisories")
    browser.check_page("advisories-search")
    browser.fill("q", "salt")
    browser.choose("ecosystem", "PyPI")
    browser.find("#q").send_keys(Keys.ENTER)  # htmx swaps the results in and pushes the address
    WebDriverWait(browser.driver, 20).until(lambda d: "PYSEC-2020-102" in browser.text("#results"))
    assert browser.path.startswith("/advisories?q=salt")
    row = next(r for r in browser.all("#results tbody tr") if "PYSEC-2020-102" in r.text)
    assert "KEV" in row.text  # CVE-2020-11651 is in CISA's catalogue
    count = int(browser.find("#results .count").get_attribute("data-count") or 0)
    assert count == len(browser.all("#results tbody tr")) > 5
    browser.check_page("advisories-results")


def test_the_home_page_offers_each_person_their_own_work(browser: Browser, served: Served) -> None:
    browser.driver.delete_all_cookies()
    browser.open("/")
    assert "Sign in" in browser.text("main")
    browser.check_page("home")
    for label, offered, not_offered in (
        ("alpha-submitter", "Submit a model", "Report a vulnerability"),
        ("researcher", "Report a vulnerability", "Submit a model"),
    ):
        browser.sign_in(f"{label}@{DEMO_DOMAIN}", served.demo.passwords[label])
        browser.open("/")
        work = browser.text(".cards")
        assert offered in work and not_offered not in work
    browser.check_page("home-signed-in")


def test_the_search_works_without_scripts_too(browser: Browser) -> None:
    browser.open("/advisories?q=jinja2&ecosystem=PyPI&version=2.4.1")
    ids = [row.text.split()[0] for row in browser.all("#results tbody tr")]
    assert ids and all(i.startswith(("PYSEC-", "GHSA-")) for i in ids)
    browser.open("/advisories?q=jinja2&ecosystem=PyPI&version=3.1.6")
    assert len(browser.all("#results tbody tr")) < len(ids)  # a later version is affected by fewer


def test_an_advisory_by_alias_shows_the_kev_badge(browser: Browser) -> None:
    browser.open("/advisories?q=CVE-2020-11651")  # an id or alias goes straight to its page
    assert browser.path == "/advisories/CVE-2020-11651"
    assert browser.text("h1").startswith("PYSEC-2020-102")
    assert "KEV" in browser.text(".badge.kev")
    assert "Reached by the alias CVE-2020-11651" in browser.text()
    assert "2019.2.4" in browser.text("table")  # fixed versions
    browser.check_page("advisory-by-alias")


def test_a_search_that_cannot_be_answered_says_how_to_fix_it(browser: Browser) -> None:
    browser.open("/advisories?q=jinja2")
    assert "choose its ecosystem" in browser.text(".error")
    browser.open("/advisories?q=jinja2&ecosystem=PyPI&version=not..a..version")
    assert browser.all(".error")


def test_an_unknown_address_is_the_404_page(browser: Browser) -> None:
    browser.open("/no/such/page")
    assert browser.text("h1") == "Not found"
    browser.check_page("not-found")
    browser.open("/advisories/PYSEC-0000-0")
    assert browser.text("h1") == "Not found"
    assert "no advisory with id or alias PYSEC-0000-0" in browser.text(".error")


def test_signing_in_by_keyboard_and_out(browser: Browser, served: Served) -> None:
    browser.driver.delete_all_cookies()
    browser.open("/review")  # needs a session: to the sign-in page, and back afterwards
    assert browser.path.startswith("/signin?next=/review")
    browser.check_page("sign-in")
    body = browser.find("body")
    body.send_keys(Keys.TAB)
    assert browser.driver.switch_to.active_element.get_attribute("class") == "skip"  # the first stop skips nav
    browser.find("#email").send_keys(f"alpha-submitter@{DEMO_DOMAIN}", Keys.TAB)
    active = browser.driver.switch_to.active_element
    assert active.get_attribute("id") == "password"
    old = browser.find("html")
    active.send_keys(served.demo.passwords["alpha-submitter"], Keys.ENTER)
    WebDriverWait(browser.driver, 20).until(lambda d: old != d.find_element("css selector", "html"))
    assert browser.path == "/review"
    assert "Alpha Submitter" in browser.text("header")
    browser.sign_out()
    assert browser.path == "/"
    browser.open("/review")
    assert browser.path.startswith("/signin")


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(browser: Browser) -> None:
    browser.sign_in(f"alpha-submitter@{DEMO_DOMAIN}", "not the password at all")
    assert browser.path == "/signin"
    assert "wrong email or password" in browser.text(".error")
    assert browser.find("#email").get_attribute("value") == f"alpha-submitter@{DEMO_DOMAIN}"
    browser.check_page("sign-in-refused")


def test_a_form_without_its_csrf_token_is_refused(served: Served) -> None:
    label = "programme-admin"
    with httpx.Client(base_url=served.url, follow_redirects=False, timeout=60) as client:
        page = client.get("/signin")
        token = page.text.split('name="login_token" value="')[1].split('"')[0]
        assert client.post("/signin", data={"email": "x@y.z", "password": "p"}).status_code == 403  # no token
        signed = client.post(
            "/signin",
            data={"email": f"{label}@{DEMO_DOMAIN}", "password": served.demo.passwords[label], "login_token": token},
        )
        assert signed.status_code == 303
        review = served.demo.ids["review"]
        forged = client.post(f"/review/reviews/{review}/extensions", data={"days": "30", "reason": "forged request"})
        assert forged.status_code == 403
        assert "CSRF" in forged.text
        other_site = client.post(
            f"/review/reviews/{review}/extensions",
            data={"days": "30", "reason": "forged request", "csrf_token": "x"},
            headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        )
        assert other_site.status_code == 403
        assert "no extension" not in client.get(f"/review/reviews/{review}").text  # nothing was proposed
        assert "forged request" not in client.get(f"/review/reviews/{review}").text
