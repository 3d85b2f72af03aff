"""Driving Debian's Chromium through Selenium and chromedriver: one headless browser per test module, signing
in as a demo user, screenshots saved under ``test-artifacts/screenshots/``, and axe-core run on each page."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

REPO = Path(__file__).resolve().parents[3]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SERIOUS = ("serious", "critical")


def chromium() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in CI's container has no user namespaces for Chromium's own sandbox
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        "--force-device-scale-factor=1",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


class Browser:
    """One signed-in (or anonymous) browser session against the test server."""

    def __init__(self, driver: webdriver.Chrome, base: str) -> None:
        self.driver = driver
        self.base = base

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    @property
    def path(self) -> str:
        current: str = self.driver.current_url
        return current.removeprefix(self.base)

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str) -> list[WebElement]:
        return list(self.driver.find_elements(By.CSS_SELECTOR, css))

    def text(self, css: str = "main") -> str:
        """The element's text; an element htmx swapped out while it was read is found again."""
        for _ in range(5):
            try:
                return str(self.find(css).text)
            except WebDriverException as e:
                if not _replaced(e):
                    raise
        return str(self.find(css).text)

    def fill(self, field_id: str, value: str) -> None:
        """Type into a field; a field replaced while typing (the page still settling) is found again."""
        for attempt in range(5):
            try:
                element = self.find(f"#{field_id}")
                element.clear()
                element.send_keys(value)
                return
            except WebDriverException as e:
                if attempt == 4 or not _replaced(e):
                    raise

    def choose(self, field_id: str, value: str) -> None:
        self.driver.execute_script(
            "const s = document.getElementById(arguments[0]); s.value = arguments[1];", field_id, value
        )

    def submit(self, css: str) -> None:
        """Click a submit button and wait for the page it leads to."""
        old = self.find("html")
        self.find(css).click()
        from selenium.webdriver.support.wait import WebDriverWait

        WebDriverWait(self.driver, 20).until(lambda d: _stale(old))

    def banners(self) -> list[str]:
        return [str(b.text) for b in self.all(".banner")]

    def sign_in(self, email: str, password: str) -> None:
        self.driver.delete_all_cookies()
        self.open("/signin")
        self.fill("email", email)
        self.fill("password", password)
        self.submit("main form button[type=submit]")

    def sign_out(self) -> None:
        self.submit("header form button[type=submit]")

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
        height = int(self.driver.execute_script("return document.documentElement.scrollHeight"))
        self.driver.set_window_size(1280, min(max(height + 140, 900), 5000))
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(1280, 900)
        return path

    def axe_violations(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules)."""
        self.driver.execute_script(AXE.read_text(encoding="utf-8"))
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', "
            "'best-practice']}}).then(r => done(JSON.stringify(r.violations))).catch(e => done(JSON.stringify("
            "[{id: 'axe-error', impact: 'critical', description: String(e), nodes: []}])));"
        )
        violations: list[dict[str, Any]] = json.loads(result)
        return [v for v in violations if v.get("impact") in SERIOUS]

    def check_page(self, name: str) -> None:
        """Every page: a banner at top and bottom naming the same marking, a screenshot, and no serious or
        critical accessibility violation."""
        banners = self.banners()
        assert len(banners) == 2 and banners[0] == banners[1], banners
        self.screenshot(name)
        violations = self.axe_violations()
        assert not violations, f"{name}: " + "; ".join(
            f"{v['id']} ({v['impact']}): {v.get('help', v.get('description'))} at "
            + ", ".join(str(n.get("target")) for n in v.get("nodes", [])[:3])
            for v in violations
        )


def _replaced(error: WebDriverException) -> bool:
    """Whether the error says the element left the page: Chromium says it either as a stale reference or, while
    the next page is being built, as a node that "does not belong to the document"."""
    return isinstance(error, StaleElementReferenceException) or "does not belong to the document" in str(error)


def _stale(element: WebElement) -> bool:
    try:
        element.is_enabled()
    except WebDriverException as e:
        if _replaced(e):
            return True
        raise
    return False
