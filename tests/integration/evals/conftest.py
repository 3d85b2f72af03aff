"""Fixtures for the evals integration tests: SVEN data for the challenges built on it, and the review cast
with its CLI driver (``test_review_run.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.evals.test_review_run import cast, cli

__all__ = ["cast", "cli", "sven_data"]


@pytest.fixture
def sven_data(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Challenges built on SVEN functions read them from the shared copy (no download in tests)."""
    monkeypatch.setenv("BASTION_EVAL_DATA_DIR", str(shared_data / "evals"))
