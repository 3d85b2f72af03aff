"""Continuous exposure: importing an advisory re-matches only the inventories holding its package, once;
EPSS from FIRST's CSV through ``bastion import``; an agency sees only its own inventories."""

from __future__ import annotations

import json
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from bastion.advisories.importer import AdvisoryImporter
from bastion.clearinghouse.adapters import AdvisoryDatabase
from bastion.cli.main import main
from bastion.container import Container
from bastion.core.errors import NotFound
from bastion.defense.records import MissionImpact, NewExposure, ProjectCreate, SystemCreate, SystemExposure
from bastion.runtime import Runtime
from tests.integration.defense.fixtures import Agencies

ADVISORY = {
    "schema_version": "1.6.0",
    "id": "BASTION-TEST-2026-1",
    "modified": "2026-11-01T00:00:00Z",
    "aliases": ["CVE-2026-0001"],
    "summary": "recparse evaluates record values",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "recparse"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0.1"}]}],
        }
    ],
}
EPSS_CSV = (
    "#model_version:v2025.03.14,score_date:2026-11-01T00:00:00+0000\n"
    "cve,epss,percentile\n"
    "CVE-2026-0001,0.91234,0.99810\n"
    "CVE-2020-11651,0.97500,0.99990\n"
)


def _project(container: Container, agencies: Agencies, who: str, lock: str) -> str:
    actor = agencies.principals[who]
    system = container.defense.create_system(
        actor, SystemCreate(name="Intranet", exposure=SystemExposure.OPEN, mission_impact=MissionImpact.HIGH)
    )
    project = container.defense.create_project(actor, system.id, ProjectCreate(name="portal"))
    container.defense.upload(actor, project.id, lock.encode(), "requirements.txt")
    return project.id


def test_an_imported_advisory_rematches_only_affected_inventories_once(
    loaded: Container, agencies: Agencies, tmp_path: Path
) -> None:
    told: list[NewExposure] = []

    def listener(session: Session, created: Sequence[NewExposure]) -> None:
        told.extend(created)

    loaded.defense.subscribe(listener)
    holder = _project(loaded, agencies, "treasury", "recparse==1.0.0\nrequests==2.31.0\n")
    other = _project(loaded, agencies, "energy", "requests==2.31.0\n")
    assert not loaded.defense.exposures(agencies.principals["treasury"], project_id=holder)
    told.clear()
    record = tmp_path / "advisory.json"
    record.write_text(json.dumps(ADVISORY))
    loaded.advisory_importer.import_sources([str(record)])
    assert [(e.project_id, e.advisory_id, e.purl, e.cause) for e in told] == [
        (holder, "BASTION-TEST-2026-1", "pkg:pypi/recparse@1.0.0", "advisories")
    ]
    worklist = loaded.defense.exposures(agencies.principals["treasury"], project_id=holder)
    assert [(e.advisory_id, e.upgrade_to, e.ssvc.decision.value) for e in worklist] == [
        ("BASTION-TEST-2026-1", "1.0.1", "Attend")
    ]
    assert worklist[0].severity is not None and worklist[0].severity.score == 9.8
    assert not loaded.defense.exposures(agencies.principals["energy"], project_id=other)
    told.clear()
    loaded.advisory_importer.import_sources([str(record)])  # the same record again: nothing new, no alert
    assert told == []
    withdrawn = {**ADVISORY, "modified": "2026-11-02T00:00:00Z", "withdrawn": "2026-11-02T00:00:00Z"}
    record.write_text(json.dumps(withdrawn))
    loaded.advisory_importer.import_sources([str(record)])
    assert not loaded.defense.exposures(agencies.principals["treasury"], project_id=holder)


def test_epss_from_firsts_csv_through_bastion_import(
    loaded: Container, agencies: Agencies, cli_env: Runtime, tmp_path: Path
) -> None:
    project = _project(loaded, agencies, "treasury", "salt==3000.1\n")
    epss = tmp_path / "epss_scores-2026-11-01.csv"
    epss.write_text(EPSS_CSV)
    assert main(["import", str(epss)]) == 0
    container = Container(cli_env)
    salt = [e for e in container.defense.exposures(agencies.principals["treasury"], project_id=project) if e.kev]
    assert salt[0].epss is not None and salt[0].epss.epss == 0.975 and salt[0].epss.cve == "CVE-2020-11651"
    bad = tmp_path / "broken.csv"
    bad.write_text("#model_version:v1,score_date:2026-11-01\ncve,epss,percentile\nCVE-2020-1,two,0.5\n")
    assert main(["import", str(bad)]) == 2


def test_an_agency_sees_only_its_own_inventories(loaded: Container, agencies: Agencies) -> None:
    project = _project(loaded, agencies, "treasury", "salt==3000.1\n")
    defense = loaded.defense
    assert defense.list_projects(agencies.principals["energy"]) == []
    assert defense.list_systems(agencies.principals["admin"]) == []
    for who in ("energy", "admin"):
        with pytest.raises(NotFound):
            defense.get_project(agencies.principals[who], project)
        with pytest.raises(NotFound):
            defense.exposures(agencies.principals[who], project_id=project)
    exposure = defense.exposures(agencies.principals["treasury"], project_id=project)[0]
    with pytest.raises(NotFound):
        defense.exposure(agencies.principals["energy"], exposure.id)
    stats = defense.statistics(agencies.principals["admin"])
    assert stats.agencies == 1 and stats.projects == 1 and stats.kev_exposures >= 1
    assert "treasury" not in stats.model_dump_json().lower() and project not in stats.model_dump_json()


class _Recorder:
    """The advisory-change port, recording what it is told (and passing it on to defense)."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.calls: list[set[tuple[str, str]]] = []

    def advisories_changed(self, session: Session, packages: AbstractSet[tuple[str, str]]) -> None:
        self.calls.append(set(packages))
        self.container.defense.advisories_changed(session, packages)


def test_a_kev_update_tells_defense_the_packages_of_the_cves_it_lists(
    loaded: Container, agencies: Agencies, tmp_path: Path
) -> None:
    project = _project(loaded, agencies, "treasury", "jinja2==2.10\n")
    before = loaded.defense.exposures(agencies.principals["treasury"], project_id=project)
    target = next(e for e in before if "CVE-2019-10906" in e.aliases)
    assert target.kev is None and target.ssvc.exploitation != "active"
    catalogue = {
        "title": "CISA Catalog of Known Exploited Vulnerabilities",
        "catalogVersion": "2026.11.02",
        "dateReleased": "2026-11-02T00:00:00.000Z",
        "count": 1,
        "vulnerabilities": [
            {
                "cveID": "CVE-2019-10906",
                "vendorProject": "Pallets",
                "product": "Jinja2",
                "vulnerabilityName": "Jinja2 sandbox escape",
                "dateAdded": "2026-11-02",
                "shortDescription": "test entry",
                "requiredAction": "Apply updates per vendor instructions.",
                "dueDate": "2026-11-23",
                "knownRansomwareCampaignUse": "Unknown",
                "notes": "",
            }
        ],
    }
    path = tmp_path / "kev.json"
    path.write_text(json.dumps(catalogue))
    recorder = _Recorder(loaded)
    AdvisoryImporter(loaded.runtime.database, loaded.runtime.clock, changes=recorder).import_sources([str(path)])
    assert recorder.calls == [{("PyPI", "jinja2")}]
    after = loaded.defense.exposure(agencies.principals["treasury"], target.id)
    assert after.kev is not None and str(after.kev.due_date) == "2026-11-23" and after.ssvc.exploitation == "active"


def test_a_clearinghouse_publication_rematches_in_the_publishing_transaction(
    loaded: Container, agencies: Agencies
) -> None:
    told: list[NewExposure] = []
    loaded.defense.subscribe(lambda session, created: told.extend(created))
    project = _project(loaded, agencies, "treasury", "recparse==1.0.0\n")
    publication = AdvisoryDatabase(loaded.runtime.database, loaded.runtime.clock, changes=loaded.defense)
    with loaded.runtime.database.session() as session:
        publication.store(session, dict(ADVISORY), origin="clearinghouse")
        assert [e.advisory_id for e in told] == ["BASTION-TEST-2026-1"]  # inside the publishing transaction
    assert [e.advisory_id for e in loaded.defense.exposures(agencies.principals["treasury"], project_id=project)] == [
        "BASTION-TEST-2026-1"
    ]
