"""The browser tests' fixtures: one real server over the demo programme for the whole run (it takes seconds to
seed), one headless Chromium per test module, and a ``signed_in`` helper that signs that browser in as a demo
user through the sign-in page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.web.browser import Browser, chromium
from tests.integration.web.server import Served, serve

DEMO_DOMAIN = "demo.bastion.example"


@pytest.fixture(scope="session")
def served(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve(shared_data, tmp_path_factory.mktemp("web")) as server:
        yield server


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[Browser]:
    driver = chromium()
    try:
        yield Browser(driver, served.url)
    finally:
        driver.quit()


@pytest.fixture
def sign_in(browser: Browser, served: Served) -> Callable[[str], Browser]:
    def as_user(label: str) -> Browser:
        browser.sign_in(f"{label}@{DEMO_DOMAIN}", served.demo.passwords[label])
        assert browser.find(".who").get_attribute("data-user") == f"{label}@{DEMO_DOMAIN}"
        return browser

    return as_user
