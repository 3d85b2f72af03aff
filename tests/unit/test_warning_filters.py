"""Known third-party deprecation warnings are filtered where they arise (pyproject's ``filterwarnings``, by
module), so the test output stays quiet and a new warning stands out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import warnings


def test_known_sources_are_quiet():
    import fastapi.testclient  # noqa: F401 - starlette warns about httpx from here


def test_inspect_model_retry_is_quiet():
    from inspect_ai.model._retry import model_retry_config  # builds tenacity's wait with `initial`

    model_retry_config("m", 1, 10, lambda e: False, lambda e: None, lambda m, s: None)


def test_a_new_warning_still_shows():
    warnings.warn("a deprecation nobody has seen yet", DeprecationWarning, stacklevel=1)
"""


def test_known_warnings_are_filtered_and_new_ones_show(tmp_path: Path) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", str(ROOT / "pyproject.toml"),
         "--rootdir", str(ROOT), "-p", "no:xdist", str(probe)],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "a deprecation nobody has seen yet" in result.stdout  # new ones show
    assert "1 warning" in result.stdout  # and only that one
