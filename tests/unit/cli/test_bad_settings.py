"""Every kind of bad setting is a clean usage error (exit 2) that names the variable: no traceback.

One case per kind of setting: a number, a bounded number, a choice, a JSON list, a URL, a directory.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bastion.cli.main import main


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("BASTION_OSV_PAGE_SIZE", "lots", "valid integer"),
        ("BASTION_OSV_PAGE_SIZE", "0", "greater than or equal to 1"),
        ("BASTION_JOBS_BACKEND", "kafka", "'inprocess'"),
        ("BASTION_OSV_SOURCES", "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip", "JSON"),
        ("BASTION_DATABASE_URL", "not a url", "not a database URL"),
        ("BASTION_DATABASE_URL", "mysql://secret:hunter2@127.0.0.1/db", "mysql is not supported"),
        ("BASTION_DATA_DIR", "/proc/bastion-cannot-be-here", "cannot create"),
    ],
)
def test_a_bad_setting_is_a_usage_error_naming_it(
    variable: str,
    value: str,
    says: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BASTION_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(variable, value)
    assert main(["stats"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"setting {variable} is invalid" in err and says in err
    assert "Traceback" not in err and "hunter2" not in err
