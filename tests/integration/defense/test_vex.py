"""VEX: vendors' statements imported (the clearinghouse's CSAF VEX, OpenVEX, CycloneDX VEX) suppress what does
not apply; analysts' decisions are checked; exports round-trip through import."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bastion.clearinghouse.advisory import AffectedProduct, NotAffectedJustification, PublishedAdvisory, VendorStatus
from bastion.clearinghouse.formats import csaf_vex
from bastion.container import Container
from bastion.defense.errors import InvalidVex
from bastion.defense.records import (
    Justification,
    MissionImpact,
    ProjectCreate,
    SystemCreate,
    SystemExposure,
    VexDecision,
    VexStatus,
)
from tests.integration.defense.fixtures import Agencies

LOCK = "jinja2==2.10\nsalt==3000.1\nrequests==2.19.1\n"


def _project(loaded: Container, agencies: Agencies, name: str = "portal") -> str:
    actor = agencies.principals["treasury"]
    system = loaded.defense.create_system(
        actor, SystemCreate(name=f"{name} system", exposure=SystemExposure.OPEN, mission_impact=MissionImpact.HIGH)
    )
    project = loaded.defense.create_project(actor, system.id, ProjectCreate(name=name))
    loaded.defense.upload(actor, project.id, LOCK.encode(), "requirements.txt")
    return project.id


def _salt_kev(loaded: Container, agencies: Agencies, project: str) -> list[str]:
    exposures = loaded.defense.exposures(agencies.principals["treasury"], project_id=project)
    return [e.advisory_id for e in exposures if e.name == "salt" and e.kev]


def test_the_clearinghouses_csaf_vex_suppresses_what_the_vendor_says_does_not_apply(
    loaded: Container, agencies: Agencies
) -> None:
    project = _project(loaded, agencies)
    assert "PYSEC-2020-102" in _salt_kev(loaded, agencies, project)
    now = datetime(2026, 11, 2, tzinfo=UTC)
    advisory = PublishedAdvisory(
        id="BASTION-2026-0001",  # type: ignore[arg-type]
        case_id="case_1",  # type: ignore[arg-type]
        title="salt master ClearFuncs authentication bypass",
        summary="The salt-master process ClearFuncs class does not validate method calls",
        details="Vendor analysis for this deployment profile.",
        cve_id="CVE-2020-11651",
        aliases=("CVE-2020-11651",),
        affected=(
            AffectedProduct(
                vendor="SaltStack",
                product="salt",
                purl="pkg:pypi/salt",
                status=VendorStatus.NOT_AFFECTED,
                justification=NotAffectedJustification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH,
            ),
        ),
        published=now,
        modified=now,
    )
    document = csaf_vex(advisory)
    imported = loaded.defense.import_vex(agencies.principals["treasury"], json.dumps(document).encode())
    said = ("pkg:pypi/salt", "not_affected", Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH)
    assert sorted((v.advisory_id, v.package, v.status.value, v.justification) for v in imported) == [
        ("BASTION-2026-0001", *said),  # the document's own id (an alias of the published advisory)
        ("CVE-2020-11651", *said),
    ]
    assert "PYSEC-2020-102" not in _salt_kev(loaded, agencies, project)
    everything = loaded.defense.exposures(agencies.principals["treasury"], project_id=project, include_suppressed=True)
    salt = next(e for e in everything if e.advisory_id == "PYSEC-2020-102")
    assert salt.suppressed and salt.vex is not None and salt.vex.source == "vendor"
    # another agency's import changes nothing for this one, and it cannot see this one's statements
    other = loaded.defense.import_vex(agencies.principals["energy"], json.dumps(document).encode())
    assert other and all(v.project_id is None for v in other)


def test_openvex_and_cyclonedx_vex_round_trip(loaded: Container, agencies: Agencies) -> None:
    actor = agencies.principals["treasury"]
    source = _project(loaded, agencies, "source")
    jinja = next(e for e in loaded.defense.exposures(actor, project_id=source) if e.name == "jinja2")
    loaded.defense.decide(
        actor,
        source,
        VexDecision(
            advisory_id=jinja.advisory_id,
            package="pkg:pypi/jinja2@2.10",
            status=VexStatus.NOT_AFFECTED,
            justification=Justification.VULNERABLE_CODE_NOT_PRESENT,
            detail="the sandbox module is not shipped",
        ),
    )
    for fmt in ("openvex", "cyclonedx"):
        exported = loaded.defense.export_vex(actor, source, fmt)
        target = _project(loaded, agencies, f"target-{fmt}")
        imported = loaded.defense.import_vex(actor, json.dumps(exported).encode(), project_id=target)
        decided = [v for v in imported if v.advisory_id == jinja.advisory_id]
        assert decided and decided[0].status is VexStatus.NOT_AFFECTED and decided[0].project_id == target
        listed = loaded.defense.exposures(actor, project_id=target)
        assert jinja.advisory_id not in {e.advisory_id for e in listed if e.name == "jinja2"}
        assert any(e.name == "salt" for e in listed), "statements in triage suppress nothing"


def test_a_decision_must_be_coherent(loaded: Container, agencies: Agencies) -> None:
    project = _project(loaded, agencies)
    actor = agencies.principals["treasury"]
    with pytest.raises(InvalidVex, match="needs a justification"):
        loaded.defense.decide(
            actor, project, VexDecision(advisory_id="X", package="pkg:pypi/salt", status=VexStatus.NOT_AFFECTED)
        )
    with pytest.raises(InvalidVex, match="only with not_affected"):
        loaded.defense.decide(
            actor,
            project,
            VexDecision(
                advisory_id="X",
                package="pkg:pypi/salt",
                status=VexStatus.AFFECTED,
                justification=Justification.CODE_NOT_REACHABLE,
            ),
        )
    with pytest.raises(InvalidVex, match="not a package URL"):
        loaded.defense.decide(
            actor, project, VexDecision(advisory_id="X", package="salt 3000", status=VexStatus.AFFECTED)
        )
    with pytest.raises(InvalidVex, match="not OpenVEX"):
        loaded.defense.import_vex(actor, b'{"hello": 1}')
