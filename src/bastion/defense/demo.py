"""The defensive tools' part of ``bastion demo``: two agencies (Treasury and CISA), each with a security
analyst, systems declared with their exposure and mission impact, and SBOMs made by a real tool
(``cyclonedx-py environment``) from a real environment: a virtualenv made here, at demo time, with
``venv`` (whatever pip and setuptools this Python bundles; Bastion's own environment where ``venv`` cannot).

The advisory database of a fresh demo holds no real advisories, so the demo imports a few *demo* advisories
(ids ``BASTION-DEMO-...``, each saying it is not a real vulnerability) on the components actually found, one
of them listed in a demo KEV catalogue. They are imported after the uploads, as a real import would be, so the
worklists show SSVC decisions (Act on Treasury's internet-facing system) and each new exposure raised its alert.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import venv
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from bastion.core.errors import OperationalError
from bastion.core.principal import Classification, Principal, Role
from bastion.defense.errors import DefenseError
from bastion.defense.inventory import read_inventory
from bastion.defense.records import MissionImpact, ProjectCreate, SystemCreate, SystemExposure

if TYPE_CHECKING:
    from bastion.container import Container

logger = logging.getLogger(__name__)
MakeUser = Callable[[str, str, list[Role], Classification], Principal]
TREASURY, CISA = "org_treasury", "org_cisa"
PREFERRED = ("setuptools", "pip", "wheel")  # what a fresh virtualenv holds
SBOM_TIMEOUT = 600


class DemoEnvironmentFailed(DefenseError, OperationalError):  # noqa: N818 - names what happened
    default_code = "demo_environment_failed"


def make_environment(where: Path) -> Path:
    """A virtualenv made now (with the pip this Python bundles); its interpreter. Where this Python cannot make
    one with pip (no ``ensurepip``, as on some distributions' system Python), the running environment."""
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(where)
    except (OSError, subprocess.SubprocessError):
        logger.warning("cannot make a virtualenv with pip here; the demo's SBOMs describe Bastion's own environment")
        return Path(sys.executable)
    return where / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def cyclonedx_environment(python: Path, out: Path, *, output_format: str = "JSON", spec: str = "1.6") -> bytes:
    """The SBOM ``cyclonedx-py environment`` makes of the environment of ``python``."""
    command = [sys.executable, "-m", "cyclonedx_py", "environment", str(python)]
    command += ["--of", output_format, "--sv", spec, "-o", str(out)]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=SBOM_TIMEOUT)  # noqa: S603 - our own argv
        return out.read_bytes()
    except (OSError, subprocess.SubprocessError) as e:
        stderr = getattr(e, "stderr", b"") or b""
        raise DemoEnvironmentFailed(
            f"cyclonedx-py could not make the demo SBOM: {e} {stderr.decode('utf-8', 'replace')[-300:]}".strip(),
            hint="install it with pip install cyclonedx-bom (a dependency of bastion)",
        ) from e


def _next(version: str) -> str:
    try:
        release = list(Version(version).release)
    except InvalidVersion:
        return f"{version}.post1"
    release[-1] += 1
    return ".".join(str(n) for n in release)


def _advisory(number: int, name: str, version: str, *, vector: str, summary: str, cve: str, at: str) -> dict[str, Any]:
    return {
        "schema_version": "1.6.0",
        "id": f"BASTION-DEMO-2026-{number:04d}",
        "modified": at,
        "published": at,
        "aliases": [cve],
        "summary": f"Demo advisory (not a real vulnerability): {summary}",
        "details": f"Made up by `bastion demo` for {name} {version} as installed in the demo's virtualenv, so the "
        "worklists have something to rank. No such flaw is known.",
        "severity": [{"type": "CVSS_V3", "score": vector}],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": name, "purl": f"pkg:pypi/{name}"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": _next(version)}]}],
            }
        ],
    }


def _demo_feed(folder: Path, found: dict[str, str], at: str, today: str, due: str) -> None:
    """Three demo advisories on what the environment holds, and a demo KEV catalogue listing the first."""
    names = [n for n in PREFERRED if n in found] or sorted(found)
    first, second = names[0], names[1 % len(names)]
    critical, high, medium = (
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N",
        "CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:U/C:L/I:L/A:N",
    )
    records = [
        _advisory(1, first, found[first], vector=critical, summary="code execution from a crafted index page",
                  cve="CVE-2026-990001", at=at),
        _advisory(2, second, found[second], vector=high, summary="credentials leaked to a redirected host",
                  cve="CVE-2026-990002", at=at),
        _advisory(3, second, found[second], vector=medium, summary="a crafted archive overwrites local files",
                  cve="CVE-2026-990003", at=at),
    ]  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    for record in records:
        (folder / f"{record['id']}.json").write_text(json.dumps(record, indent=2))
    kev = {
        "title": "Bastion demo: Known Exploited Vulnerabilities (not CISA's catalogue)",
        "catalogVersion": f"demo-{today}",
        "dateReleased": at,
        "count": 1,
        "vulnerabilities": [
            {
                "cveID": "CVE-2026-990001",
                "vendorProject": "Bastion demo",
                "product": first,
                "vulnerabilityName": "Demo: code execution from a crafted index page",
                "dateAdded": today,
                "shortDescription": "A made-up entry for the demo.",
                "requiredAction": "Apply updates per vendor instructions.",
                "dueDate": due,
                "knownRansomwareCampaignUse": "Unknown",
            }
        ],
    }
    (folder / "demo-kev.json").write_text(json.dumps(kev, indent=2))


def seed_defense(container: Container, make_user: MakeUser, ids: dict[str, str]) -> None:
    """Seed the agencies' inventories through the services (validated, audited), in the demo's transaction."""
    work_dir = container.settings.data_dir / "demo" / "defense"
    python = make_environment(work_dir / "venv")
    treasury_sbom = cyclonedx_environment(python, work_dir / "treasury.cdx.json")
    cisa_sbom = cyclonedx_environment(python, work_dir / "cisa.cdx.xml", output_format="XML", spec="1.5")
    found = {
        c.name.lower(): c.version
        for c in read_inventory(treasury_sbom, "treasury.cdx.json").components
        if c.version and (c.purl or "").startswith("pkg:pypi/")
    }
    if not found:
        raise DemoEnvironmentFailed("the demo virtualenv holds no Python packages", hint="check that venv has pip")

    treasury = make_user("treasury-defender", TREASURY, [Role.AGENCY_REVIEWER], Classification.CUI)
    cisa = make_user("cisa-defender", CISA, [Role.AGENCY_REVIEWER], Classification.CUI)
    defense = container.defense
    systems = (
        (treasury, "Payments portal", SystemExposure.OPEN, MissionImpact.HIGH, "payments-api", treasury_sbom, "json"),
        (treasury, "Internal reporting", SystemExposure.SMALL, MissionImpact.LOW, "report-builder", treasury_sbom,
         "json"),
        (cisa, "Grid telemetry collector", SystemExposure.CONTROLLED, MissionImpact.MEDIUM, "collector", cisa_sbom,
         "xml"),
    )  # fmt: skip
    for who, name, exposure, impact, project_name, sbom, suffix in systems:
        system = defense.create_system(
            who,
            SystemCreate(name=name, description="Seeded by bastion demo.", exposure=exposure, mission_impact=impact),
        )
        project = defense.create_project(who, system.id, ProjectCreate(name=project_name))
        defense.upload(who, project.id, sbom, f"{project_name}.cdx.{suffix}", label="demo venv")
        ids[f"defense_{project_name}"] = project.id

    now = container.runtime.clock.now()
    at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    _demo_feed(
        work_dir / "advisories", found, at, now.date().isoformat(), (now + timedelta(days=21)).date().isoformat()
    )
    report = container.advisory_importer.import_sources([str(work_dir / "advisories")])
    if report.failed:
        raise DemoEnvironmentFailed(f"the demo advisories did not import: {report.as_dict()['failures']}")
    ids["defense_kev_advisory"] = "BASTION-DEMO-2026-0001"
