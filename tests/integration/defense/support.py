"""Real data and real tools for the defense tests: advisories from ../shared/data (PyPA's OSV database, the
CISA KEV catalogue), SBOMs made by cyclonedx-py, lockfiles written by pip."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from bastion.container import Container

PACKAGES = ("jinja2", "requests", "urllib3", "salt", "pyspark")
# Pinned to versions with real advisories: salt 3000.1 is in KEV (CVE-2020-11651, PYSEC-2020-102).
REQUIREMENTS = "jinja2==2.10\nrequests==2.19.1\nurllib3==1.24.1\nsalt==3000.1\n"


def extract_advisories(shared: Path, target: Path, packages: tuple[str, ...] = PACKAGES) -> Path:
    """The PyPA advisories of ``packages``, as the database ships them, in a folder the importer reads."""
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(shared / "osv" / "pypa-advisory-database.zip") as archive:
        for name in archive.namelist():
            parts = name.split("/")
            if len(parts) == 3 and parts[0] == "vulns" and parts[1] in packages and parts[2].endswith(".yaml"):
                (target / parts[2]).write_bytes(archive.read(name))
    return target


def load_advisories(container: Container, shared: Path, tmp: Path) -> None:
    report = container.advisory_importer.import_sources(
        [str(extract_advisories(shared, tmp / "osv")), str(shared / "kev" / "known_exploited_vulnerabilities.json")]
    )
    assert report.imported > 20 and report.kev_imported > 1000, report.as_dict()


def cyclonedx_py(requirements: str, tmp: Path, *, output_format: str = "JSON", spec: str = "1.6") -> bytes:
    """An SBOM made by the real cyclonedx-py from a requirements file."""
    source = tmp / "requirements.txt"
    source.write_text(requirements)
    out = tmp / f"bom-{spec}.{output_format.lower()}"
    tool = Path(sys.executable).parent / "cyclonedx-py"
    subprocess.run(
        [str(tool), "requirements", str(source), "--of", output_format, "--sv", spec, "-o", str(out)],
        check=True,
        capture_output=True,
    )
    return out.read_bytes()
