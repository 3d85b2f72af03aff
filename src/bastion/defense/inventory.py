"""Reading an uploaded inventory: which format it is, and its components identified by purl.

The format is recognised from the content (a CycloneDX or SPDX document says what it is) and, for
lockfiles, from the file's name, or named by the caller. Anything else is an ``UnknownFormat`` listing what
is accepted. A component's package (OSV ecosystem and normalised name) comes from its purl, exactly as
``/v1`` reads a purl; a component without a purl, or whose purl names no OSV ecosystem, is kept but never
matched (no guessing from names or CPEs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bastion.advisories.ecosystems import normalize_package_name, package_from_purl
from bastion.core.errors import BastionError
from bastion.defense import sbom
from bastion.defense.components import Component, Inventory
from bastion.defense.errors import InvalidInventory, UnknownFormat
from bastion.defense.lockfiles import LOCKFILES

SBOM_FORMATS = ("cyclonedx-json", "cyclonedx-xml", "spdx-json", "spdx-tag-value")
_REQUIREMENTS_NAME = re.compile(r"requirements[\w.-]*\.(txt|in)$|\.txt$")


@dataclass(frozen=True, slots=True)
class Package:
    """Where a component's purl puts it in the advisory database (what ``/v1`` would query)."""

    purl: str  # canonical, with version
    ecosystem: str
    name: str  # normalised as the ecosystem compares names
    version: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.ecosystem, self.name)


def package_of(component: Component) -> Package | None:
    """The component's package, or None when its purl is missing, unversioned or names no OSV ecosystem."""
    if not component.purl:
        return None
    try:
        found = package_from_purl(component.purl)
    except BastionError:
        return None
    if not found.version:
        return None
    return Package(
        component.purl, found.ecosystem.name, normalize_package_name(found.ecosystem, found.name), found.version
    )


def accepted_formats() -> list[str]:

    return [*SBOM_FORMATS, *LOCKFILES]


def read_inventory(data: bytes, filename: str, fmt: str | None = None) -> Inventory:
    """Every component of the upload, or an error saying why it cannot be read (never a part of it)."""
    if fmt is not None and fmt not in accepted_formats():
        raise UnknownFormat(
            f"unknown input format {fmt!r}",
            hint="give one of " + ", ".join(accepted_formats()) + ", or none to have it detected from the file",
            details={"format": fmt, "accepted": accepted_formats()},
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInventory(
            f"{filename} is not UTF-8 text", hint="upload the SBOM or lockfile itself, not an archive"
        ) from e
    if "\x00" in text:
        raise InvalidInventory(f"{filename} contains a NUL character", hint="upload the SBOM or lockfile as text")
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    chosen = fmt or _detect(text, base)
    if chosen in LOCKFILES:
        return LOCKFILES[chosen](text)
    document = sbom.read_json(text) if chosen in (None, "cyclonedx-json", "spdx-json") else None
    if chosen == "cyclonedx-json" or (chosen is None and document and document.get("bomFormat") == "CycloneDX"):
        if document is None:
            raise InvalidInventory(f"{filename} is not a JSON object", hint="upload a CycloneDX JSON document")
        return sbom.cyclonedx_json(document)
    if chosen == "spdx-json" or (chosen is None and document and "spdxVersion" in document):
        if document is None:
            raise InvalidInventory(f"{filename} is not a JSON object", hint="upload an SPDX JSON document")
        return sbom.spdx_json(document)
    if chosen == "cyclonedx-xml":
        return sbom.cyclonedx_xml(text)
    if chosen == "spdx-tag-value":
        return sbom.spdx_tag_value(text)
    raise UnknownFormat(
        f"{filename} is not an SBOM or lockfile format Bastion reads",
        hint="upload CycloneDX 1.4-1.6 (JSON or XML), SPDX 2.3 (JSON or tag-value), or one of these lockfiles "
        "under its usual name: " + ", ".join(LOCKFILES),
        details={"filename": filename, "accepted": accepted_formats()},
    )


def _detect(text: str, base: str) -> str | None:

    head = text.lstrip()[:4096]
    if head.startswith("<") and "cyclonedx.org/schema/bom" in head:
        return "cyclonedx-xml"
    if re.search(r"^SPDXVersion:", head, re.MULTILINE):
        return "spdx-tag-value"
    if base in LOCKFILES:
        return base
    if head.startswith("{"):
        return None  # a JSON SBOM says what it is (bomFormat, spdxVersion) wherever its keys are
    if _REQUIREMENTS_NAME.search(base):
        return "requirements.txt"
    return "unknown"
