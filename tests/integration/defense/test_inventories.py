"""SBOMs made by real tools (cyclonedx-py over a virtualenv made here and over requirements; pyspdxtools),
CycloneDX 1.4-1.6 in JSON and XML, SPDX 2.3 in JSON and tag-value; a malformed SBOM never half-imports."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest
import sqlalchemy as sa

from bastion.container import Container
from bastion.defense.errors import InvalidInventory
from bastion.defense.inventory import read_inventory
from bastion.defense.models import ComponentRow, VersionRow
from bastion.defense.records import MissionImpact, ProjectCreate, SystemCreate, SystemExposure
from tests.integration.defense.fixtures import Agencies
from tests.integration.defense.support import REQUIREMENTS, cyclonedx_py

TOOLS = Path(sys.executable).parent
SPDX_TAG_VALUE = """SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: payments-api
DocumentNamespace: https://example.org/spdx/payments-api-1.0
Creator: Tool: bastion-tests
Created: 2026-11-01T00:00:00Z

PackageName: payments-api
SPDXID: SPDXRef-root
PackageVersion: 1.0
PackageDownloadLocation: NOASSERTION
FilesAnalyzed: false

PackageName: jinja2
SPDXID: SPDXRef-jinja2
PackageVersion: 2.10
PackageDownloadLocation: https://pypi.org/simple/jinja2/
FilesAnalyzed: false
ExternalRef: PACKAGE-MANAGER purl pkg:pypi/jinja2@2.10

PackageName: salt
SPDXID: SPDXRef-salt
PackageVersion: 3000.1
PackageDownloadLocation: https://pypi.org/simple/salt/
FilesAnalyzed: false
ExternalRef: PACKAGE-MANAGER purl pkg:pypi/salt@3000.1

Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-root
Relationship: SPDXRef-root DEPENDS_ON SPDXRef-jinja2
Relationship: SPDXRef-root DEPENDS_ON SPDXRef-salt
"""


def test_cyclonedx_py_over_a_virtualenv_made_here(tmp_path: Path) -> None:
    env = tmp_path / "env"
    venv.EnvBuilder(with_pip=True).create(env)
    out = tmp_path / "env.cdx.json"
    subprocess.run(
        [str(TOOLS / "cyclonedx-py"), "environment", str(env / "bin" / "python"), "-o", str(out), "--sv", "1.6"],
        check=True,
        capture_output=True,
    )
    inventory = read_inventory(out.read_bytes(), out.name)
    pip = [c for c in inventory.components if c.name == "pip"]
    assert inventory.format == "cyclonedx-json-1.6" and pip and pip[0].purl == f"pkg:pypi/pip@{pip[0].version}"


@pytest.mark.parametrize(("output", "spec"), [("JSON", "1.4"), ("JSON", "1.5"), ("XML", "1.5"), ("XML", "1.6")])
def test_cyclonedx_json_and_xml_of_every_supported_version(output: str, spec: str, tmp_path: Path) -> None:
    inventory = read_inventory(cyclonedx_py(REQUIREMENTS, tmp_path, output_format=output, spec=spec), "bom")
    assert inventory.format == f"cyclonedx-{output.lower()}-{spec}"
    assert sorted(c.purl or "" for c in inventory.components) == [
        "pkg:pypi/jinja2@2.10",
        "pkg:pypi/requests@2.19.1",
        "pkg:pypi/salt@3000.1",
        "pkg:pypi/urllib3@1.24.1",
    ]


def test_spdx_tag_value_and_its_json_from_pyspdxtools(tmp_path: Path) -> None:
    source = tmp_path / "app.spdx"
    source.write_text(SPDX_TAG_VALUE)
    converted = tmp_path / "app.spdx.json"
    subprocess.run(
        [str(TOOLS / "pyspdxtools"), "-i", str(source), "-o", str(converted)], check=True, capture_output=True
    )
    for path, fmt in ((source, "spdx-tag-value"), (converted, "spdx-json")):
        inventory = read_inventory(path.read_bytes(), path.name)
        assert inventory.format == fmt
        assert [c.purl for c in inventory.components] == ["pkg:pypi/jinja2@2.10", "pkg:pypi/salt@3000.1"]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"name": 3}]}', "not valid CycloneDX 1.6"),
        ('{"bomFormat": "CycloneDX", "specVersion": "1.2", "components": []}', "CycloneDX 1.2 is not supported"),
        ('<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><x/></components></bom>', "not valid"),
        (SPDX_TAG_VALUE.replace("DocumentNamespace: https://example.org/spdx/payments-api-1.0\n", ""), "SPDX"),
        (SPDX_TAG_VALUE.replace("SPDX-2.3", "SPDX-2.2"), "SPDX"),
    ],
)
def test_a_malformed_sbom_is_refused_with_the_reason(content: str, says: str) -> None:
    with pytest.raises(InvalidInventory) as raised:
        read_inventory(content.encode(), "upload")
    assert says in raised.value.message and raised.value.hint


def test_a_malformed_sbom_never_half_imports(loaded: Container, agencies: Agencies, tmp_path: Path) -> None:
    actor = agencies.principals["treasury"]
    system = loaded.defense.create_system(
        actor, SystemCreate(name="HR", exposure=SystemExposure.CONTROLLED, mission_impact=MissionImpact.MEDIUM)
    )
    project = loaded.defense.create_project(actor, system.id, ProjectCreate(name="hr-portal"))
    good = cyclonedx_py(REQUIREMENTS, tmp_path)
    first = loaded.defense.upload(actor, project.id, good, "bom.json")
    broken = good.replace(b'"pkg:pypi/salt@3000.1"', b"42")
    with pytest.raises(InvalidInventory):
        loaded.defense.upload(actor, project.id, broken, "bom.json")
    with loaded.runtime.database.read_session() as session:
        versions = session.scalars(sa.select(VersionRow).where(VersionRow.project_id == project.id)).all()
        components = session.scalar(sa.select(sa.func.count()).select_from(ComponentRow))
    assert [(v.id, v.current) for v in versions] == [(first.id, True)] and components == 4
    assert loaded.defense.exposures(actor, project_id=project.id), "the first version's exposure is still there"
