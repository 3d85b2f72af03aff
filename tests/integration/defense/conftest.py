"""Fixtures shared by the defense integration tests (defined in ``fixtures.py``)."""

import pytest

from tests.integration.defense.fixtures import agencies, loaded  # noqa: F401 - registered as fixtures


@pytest.fixture(autouse=True)
def _webhook_receivers_on_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' webhook receivers listen on 127.0.0.1, which a deployment refuses by default."""
    monkeypatch.setenv("BASTION_ALERT_WEBHOOK_ALLOW_LOCAL", "true")
