"""Fixtures for the evals integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def sven_data(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Challenges built on SVEN functions read them from the shared copy (no download in tests)."""
    monkeypatch.setenv("BASTION_EVAL_DATA_DIR", str(shared_data / "evals"))
