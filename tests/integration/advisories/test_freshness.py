"""Query caches never serve stale answers: an import by another process is seen on the next request."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from bastion.advisories.importer import AdvisoryImporter
from bastion.api.app import create_app
from bastion.runtime import Runtime


def _record(modified: str, fixed: str, summary: str) -> dict[str, object]:
    return {
        "id": "PYSEC-2099-7",
        "modified": modified,
        "summary": summary,
        "aliases": ["CVE-2099-7777"],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "freshness-demo"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
            }
        ],
    }


def _kev(path: Path) -> None:
    entry = {
        "cveID": "CVE-2099-7777",
        "vendorProject": "Example",
        "product": "freshness-demo",
        "vulnerabilityName": "Example flaw",
        "dateAdded": "2026-11-01",
        "shortDescription": "",
        "requiredAction": "Apply the update.",
        "dueDate": "2026-11-22",
        "knownRansomwareCampaignUse": "Unknown",
        "notes": "",
    }
    path.write_text(json.dumps({"catalogVersion": "2026.11.01", "count": 1, "vulnerabilities": [entry]}))


def test_a_second_process_sees_imports_at_once(runtime: Runtime, tmp_path: Path) -> None:
    source = tmp_path / "src" / "PYSEC-2099-7.json"
    source.parent.mkdir()
    source.write_text(json.dumps(_record("2024-01-01T00:00:00Z", "2.0", "first")))
    importer = AdvisoryImporter(runtime.database, runtime.clock)  # stands for another process
    importer.import_sources([str(source.parent)])
    query = {"version": "1.7", "package": {"name": "freshness-demo", "ecosystem": "PyPI"}}

    with TestClient(create_app(runtime)) as api:
        first = api.post("/v1/query", json=query).json()
        assert [(v["id"], v["summary"]) for v in first["vulns"]] == [("PYSEC-2099-7", "first")]
        assert "bastion_known_exploited" not in (first["vulns"][0].get("database_specific") or {})

        source.write_text(json.dumps(_record("2024-02-01T00:00:00Z", "1.5", "narrowed")))
        importer.import_sources([str(source.parent)])
        assert api.post("/v1/query", json=query).json() == {}
        older = {**query, "version": "1.4"}
        assert [v["summary"] for v in api.post("/v1/query", json=older).json()["vulns"]] == ["narrowed"]

        _kev(tmp_path / "kev.json")
        importer.import_sources([str(tmp_path / "kev.json")])
        exploited = api.post("/v1/query", json=older).json()["vulns"][0]["database_specific"]
        assert exploited["bastion_known_exploited"][0]["cve"] == "CVE-2099-7777"
