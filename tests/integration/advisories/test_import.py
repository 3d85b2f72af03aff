"""Importing advisories: all five layouts, KEV, bad records, idempotence, updates, and crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from bastion.advisories.importer import AdvisoryImporter
from bastion.advisories.models import Advisory, AffectedPackage, KevEntry
from bastion.runtime import Runtime
from tests.integration.advisories.conftest import Loaded

RECORD_SUFFIXES = (".json", ".yaml", ".yml")


def _record_files(zip_path: Path) -> int:
    with zipfile.ZipFile(zip_path) as archive:
        return sum(
            1
            for name in archive.namelist()
            if name.endswith(RECORD_SUFFIXES) and not any(p.startswith(".") for p in name.split("/"))
        )


def test_full_import_accounts_for_every_file(loaded: Loaded, shared_data: Path) -> None:
    report = loaded.report
    files = sum(_record_files(z) for z in (shared_data / "osv").glob("*.zip"))
    assert report.imported + report.failed + report.unchanged == files
    # The data README: 7 PyPA records fail the schema (odd GIT `fixed` values); they are reported, not fatal.
    assert report.failed == 7
    assert {f.source.rsplit("/", 1)[-1] for f in report.failures} == {"pypa-advisory-database.zip"}
    assert all("GIT range events must be full commit hashes" in f.reason for f in report.failures)
    assert all(f.record_id and f.file.endswith(".yaml") for f in report.failures)
    # The 13 PSF records (and one PyPA record) with a placeholder `modified` are imported with a warning.
    placeholder = [w for w in report.warnings if "placeholder" in w.reason]
    assert len(placeholder) >= 13
    kev = json.loads((shared_data / "kev" / "known_exploited_vulnerabilities.json").read_text())
    assert report.kev_imported == len(kev["vulnerabilities"])
    with loaded.runtime.database.read_session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Advisory)) == report.imported
        assert session.scalar(sa.select(sa.func.count()).select_from(KevEntry)) == report.kev_imported


def test_reimport_is_idempotent(loaded: Loaded, shared_data: Path) -> None:
    runtime = loaded.runtime
    again = AdvisoryImporter(runtime.database, runtime.clock).import_sources([str(shared_data / "osv")])
    assert (again.imported, again.updated) == (0, 0)
    assert again.unchanged == loaded.report.imported
    assert again.failed == loaded.report.failed


def _write(path: Path, record: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))


def _record(vuln_id: str, modified: str, summary: str = "example") -> dict[str, object]:
    return {
        "schema_version": "1.7.0",
        "id": vuln_id,
        "modified": modified,
        "summary": summary,
        "aliases": ["CVE-2099-0001"],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "Example_Pkg"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}],
            }
        ],
    }


def test_update_only_when_modified_changes(runtime: Runtime, tmp_path: Path) -> None:
    importer = AdvisoryImporter(runtime.database, runtime.clock)
    path = tmp_path / "src" / "PYSEC-2099-1.json"
    _write(path, _record("PYSEC-2099-1", "2024-01-01T00:00:00Z", "first"))
    assert importer.import_sources([str(tmp_path / "src")]).imported == 1

    _write(path, _record("PYSEC-2099-1", "2024-01-01T00:00:00Z", "edited without a new modified"))
    report = importer.import_sources([str(tmp_path / "src")])
    assert (report.imported, report.updated, report.unchanged) == (0, 0, 1)

    _write(path, _record("PYSEC-2099-1", "2024-02-01T00:00:00Z", "second"))
    report = importer.import_sources([str(tmp_path / "src")])
    assert (report.imported, report.updated, report.unchanged) == (0, 1, 0)
    with runtime.database.read_session() as session:
        advisory = session.get(Advisory, "PYSEC-2099-1")
        assert advisory is not None
        assert advisory.document["summary"] == "second"
        assert advisory.raw == path.read_text()
        rows = session.scalars(sa.select(AffectedPackage).where(AffectedPackage.advisory_id == "PYSEC-2099-1"))
        assert [row.name for row in rows] == ["example-pkg"]  # PEP 503 normalized, and not duplicated


def test_bad_records_are_reported_and_skipped(runtime: Runtime, tmp_path: Path) -> None:
    source = tmp_path / "mixed"
    _write(source / "good.json", _record("PYSEC-2099-2", "2024-01-01T00:00:00Z"))
    (source / "broken.json").write_text("{not json")
    _write(source / "noid.json", {"modified": "2024-01-01T00:00:00Z"})
    bad_eco = _record("PYSEC-2099-3", "2024-01-01T00:00:00Z")
    bad_eco["affected"] = [{"package": {"ecosystem": "PyPl", "name": "x"}}]
    _write(source / "eco.json", bad_eco)
    (source / "list.yaml").write_text("- just\n- a list\n")

    report = AdvisoryImporter(runtime.database, runtime.clock).import_sources([str(source)])

    assert (report.imported, report.failed) == (1, 4)
    reasons = {f.file: f for f in report.failures}
    assert "not valid JSON" in reasons["broken.json"].reason
    assert reasons["noid.json"].reason.startswith("id:")
    assert reasons["eco.json"].record_id == "PYSEC-2099-3"
    assert "PyPl" in reasons["eco.json"].reason and "PyPI" in reasons["eco.json"].reason  # suggests the fix
    assert "JSON object" in reasons["list.yaml"].reason
    assert all(f.source == str(source) for f in report.failures)
    with runtime.database.read_session() as session:
        assert session.scalars(sa.select(Advisory.id)).all() == ["PYSEC-2099-2"]


def test_missing_source_is_a_clear_error(runtime: Runtime, tmp_path: Path) -> None:
    from bastion.advisories.errors import InvalidSource

    good = tmp_path / "good"
    _write(good / "PYSEC-2099-9.json", _record("PYSEC-2099-9", "2024-01-01T00:00:00Z"))
    with pytest.raises(InvalidSource, match="does not exist"):
        AdvisoryImporter(runtime.database, runtime.clock).import_sources([str(good), str(tmp_path / "nope")])
    with runtime.database.read_session() as session:  # nothing imported from the good source either
        assert session.scalar(sa.select(sa.func.count()).select_from(Advisory)) == 0


def _consistent(database_url: str) -> tuple[int, list[str]]:
    """Every stored advisory has exactly the affected-package rows its document calls for."""
    from bastion.db import Database

    db = Database(database_url)
    problems: list[str] = []
    with db.read_session() as session:
        counts = dict(
            session.execute(
                sa.select(AffectedPackage.advisory_id, sa.func.count()).group_by(AffectedPackage.advisory_id)
            ).all()
        )
        stored = 0
        for vuln_id, document in session.execute(sa.select(Advisory.id, Advisory.document)):
            stored += 1
            expected = sum(1 for entry in document.get("affected") or [] if entry.get("package"))
            if counts.get(vuln_id, 0) != expected:
                problems.append(vuln_id)
    db.dispose()
    return stored, problems


def test_killed_import_leaves_no_half_written_record(runtime: Runtime, shared_data: Path) -> None:
    env = {
        **os.environ,
        "BASTION_DATABASE_URL": runtime.database.url,
        "BASTION_DATA_DIR": str(runtime.settings.data_dir),
    }
    bitnami = str(shared_data / "osv" / "bitnami-vulndb.zip")
    process = subprocess.Popen(
        [sys.executable, "-m", "bastion.cli.main", "import", bitnami],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:  # wait until some batches have committed, then kill mid-way
            with runtime.database.read_session() as session:
                if (session.scalar(sa.select(sa.func.count()).select_from(Advisory)) or 0) >= 1000:
                    break
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    stored, problems = _consistent(runtime.database.url)
    assert 0 < stored < 7444, "the import was not interrupted mid-way; the test proves nothing"
    assert problems == []
    finished = AdvisoryImporter(runtime.database, runtime.clock).import_sources([bitnami])
    assert finished.unchanged == stored and finished.imported == 7444 - stored


def test_import_from_an_all_zip_url(runtime: Runtime, shared_data: Path, tmp_path: Path) -> None:
    """An OSV export URL, served for real over HTTP on loopback (the public exports are not reachable here)."""
    import functools
    import http.server
    import threading

    from bastion.advisories.errors import SourceUnreachable

    (tmp_path / "www").mkdir()
    archive = tmp_path / "www" / "all.zip"
    archive.write_bytes((shared_data / "osv" / "haskell-security-advisories-osv.zip").read_bytes())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "www"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        importer = AdvisoryImporter(runtime.database, runtime.clock)
        report = importer.import_sources([f"{base}/all.zip"])
        assert report.imported == _record_files(archive) and report.failed == 0
        with pytest.raises(SourceUnreachable, match="could not download"):
            importer.import_sources([f"{base}/missing.zip"])
    finally:
        server.shutdown()
        server.server_close()
