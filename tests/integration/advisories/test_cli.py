"""`bastion import`, `bastion query` and `bastion stats` as a user runs them, with their exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bastion.cli import context
from bastion.cli.main import main
from bastion.runtime import Runtime


def _write_record(directory: Path, vuln_id: str, ecosystem: str = "PyPI") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    record = {
        "id": vuln_id,
        "modified": "2024-05-01T00:00:00Z",
        "summary": "Example flaw in widget",
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": "widget"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.4"}]}],
            }
        ],
    }
    (directory / f"{vuln_id}.json").write_text(json.dumps(record))


def test_import_then_query(cli_env: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_record(tmp_path / "src", "PYSEC-2099-11")
    assert main(["import", str(tmp_path / "src"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["imported"], report["failed"]) == (1, 0)

    assert main(["query", "pkg:pypi/widget@1.2"]) == 1  # exit 1: something affects it
    assert "PYSEC-2099-11" in capsys.readouterr().out
    assert main(["query", "Widget", "1.4", "-e", "pypi"]) == 0
    assert "no known advisories" in capsys.readouterr().out

    assert main(["stats"]) == 0
    assert "1 advisories" in capsys.readouterr().out


def test_rejected_records_exit_1_and_are_listed(
    cli_env: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_record(tmp_path / "src", "PYSEC-2099-12")
    _write_record(tmp_path / "src", "PYSEC-2099-13", ecosystem="PyPl")
    assert main(["import", str(tmp_path / "src")]) == 1
    captured = capsys.readouterr()
    assert "PYSEC-2099-13" in captured.err and "PyPl" in captured.err
    assert "(PYSEC-2099-13.json)" in captured.err.replace("\n", "")  # the file, not eaten as markup


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["query", "widget", "1.0"], "--ecosystem"),
        (["query", "widget", "1.0", "-e", "PyPl"], "unknown ecosystem"),
        (["query", "pkg:pypi/widget@1.0", "1.1"], "the VERSION argument"),
        (["query", "pkg:pypi/widget", "-e", "PyPI"], "drop --ecosystem"),
        (["import", "/nonexistent/osv"], "does not exist"),
        (["import"], "Missing argument"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    cli_env: Runtime, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in " ".join(capsys.readouterr().err.split())  # the console wraps long lines


def test_unreachable_database_exits_3(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BASTION_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BASTION_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert main(["stats"]) == 3
    err = capsys.readouterr().err
    assert "cannot reach the database" in err and "BASTION_DATABASE_URL" in err


def test_an_invalid_setting_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BASTION_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BASTION_OSV_PAGE_SIZE", "lots")
    assert main(["stats"]) == 2
    assert "setting BASTION_OSV_PAGE_SIZE is invalid" in capsys.readouterr().err


def test_query_output_reads_like_an_audit(
    cli_env: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The version once, a fixed-in column (as pip-audit shows), and a long summary cut with an ellipsis."""
    source = tmp_path / "src"
    _write_record(source, "PYSEC-2099-14")
    record = json.loads((source / "PYSEC-2099-14.json").read_text())
    record["summary"] = "Cross-site scripting in the widget template engine before 1.4 " + "and more words " * 8
    record["affected"][0]["ranges"][0]["events"] += [{"introduced": "2.0"}, {"fixed": "2.0.3"}]
    (source / "PYSEC-2099-14.json").write_text(json.dumps(record))
    assert main(["import", str(source)]) == 0
    capsys.readouterr()
    monkeypatch.setattr(context.console, "width", 250)

    assert main(["query", "pkg:pypi/widget@1.2"]) == 1
    out = capsys.readouterr().out
    assert "1 advisories affect widget 1.2 (PyPI)" in out
    row = next(line for line in out.splitlines() if "PYSEC-2099-14" in line)
    assert "1.4, 2.0.3" in row  # fixed in
    assert "Cross-site scripting in the widget template engine before 1.4 and more words\u2026" in row

    assert main(["query", "pkg:pypi/widget@1.4"]) == 0
    assert capsys.readouterr().out.strip() == "no known advisories affect widget 1.4 (PyPI)"
    assert main(["query", "widget", "-e", "PyPI"]) == 1
    assert "affect any version of widget (PyPI)" in capsys.readouterr().out
