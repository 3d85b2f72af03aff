"""SBOMs in: CycloneDX 1.4-1.6 (JSON, XML) through cyclonedx-python-lib, SPDX 2.3 (JSON, tag-value) through
spdx-tools. Each document is validated against its schema before anything is read from it, and either every
component comes out or an ``InvalidInventory`` says what is wrong: never a part."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from bastion.defense.errors import InvalidInventory
from bastion.defense.inventory import Component, Inventory

CYCLONEDX_VERSIONS = ("1.4", "1.5", "1.6")
MAX_LISTED_ERRORS = 5


def _schema(spec: str) -> Any:
    from cyclonedx.schema import SchemaVersion

    if spec not in CYCLONEDX_VERSIONS:
        raise InvalidInventory(
            f"CycloneDX {spec} is not supported",
            hint="upload CycloneDX 1.4, 1.5 or 1.6 (cyclonedx-py --sv 1.6; cyclonedx-cli convert)",
            details={"spec_version": spec},
        )
    return SchemaVersion.from_version(spec)


def cyclonedx_json(text: str, document: dict[str, Any]) -> Inventory:
    from cyclonedx.model.bom import Bom
    from cyclonedx.validation.json import JsonStrictValidator

    spec = str(document.get("specVersion", ""))
    error = JsonStrictValidator(_schema(spec)).validate_str(text)
    if error is not None:
        raise _invalid("CycloneDX JSON", spec, error)
    try:
        bom = Bom.from_json(document)  # type: ignore[attr-defined] # py-serializable adds it
    except Exception as e:
        raise InvalidInventory(f"the CycloneDX JSON document cannot be read: {e}") from e
    return _from_bom(bom, f"cyclonedx-json-{spec}")


def cyclonedx_xml(text: str) -> Inventory:
    import defusedxml.ElementTree as SafeET
    from cyclonedx.model.bom import Bom
    from cyclonedx.validation.xml import XmlValidator

    try:
        root: ET.Element = SafeET.fromstring(text)
    except (SafeET.ParseError, ValueError) as e:
        raise InvalidInventory(f"the CycloneDX XML document is not well-formed XML: {e}") from e
    namespace = root.tag.partition("}")[0].lstrip("{")
    spec = namespace.rsplit("/", 1)[-1]
    error = XmlValidator(_schema(spec)).validate_str(text)
    if error is not None:
        raise _invalid("CycloneDX XML", spec, error)
    try:
        bom = Bom.from_xml(root)  # type: ignore[attr-defined] # py-serializable adds it
    except Exception as e:
        raise InvalidInventory(f"the CycloneDX XML document cannot be read: {e}") from e
    return _from_bom(bom, f"cyclonedx-xml-{spec}")


def _invalid(what: str, spec: str, error: Any) -> InvalidInventory:
    return InvalidInventory(
        f"the {what} document is not valid CycloneDX {spec}: {str(error)[:500]}",
        hint="fix the document (cyclonedx-cli validate shows every error) and upload it again; nothing was kept",
        details={"spec_version": spec},
    )


def _from_bom(bom: Any, fmt: str) -> Inventory:
    root = bom.metadata.component
    root_ref = root.bom_ref.value if root is not None else None
    found: list[Component] = []
    for component in bom.get_all_components() if hasattr(bom, "get_all_components") else bom.components:
        if root_ref is not None and component.bom_ref.value == root_ref:
            continue  # the thing described, not one of its parts
        found.append(
            Component(
                purl=component.purl.to_string() if component.purl is not None else None,
                name=str(component.name),
                version=str(component.version) if component.version else None,
            )
        )
    return Inventory(fmt, tuple(found))


def spdx_json(document: dict[str, Any]) -> Inventory:
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser

    try:
        parsed = JsonLikeDictParser().parse(document)  # type: ignore[no-untyped-call]
    except SPDXParsingError as e:
        raise _spdx_invalid("JSON", e.get_messages()) from e  # type: ignore[no-untyped-call]
    return _from_spdx(parsed, "spdx-json")


def spdx_tag_value(text: str) -> Inventory:
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.tagvalue.parser import Parser

    try:
        parsed = Parser().parse(text)  # type: ignore[no-untyped-call]
    except SPDXParsingError as e:
        raise _spdx_invalid("tag-value", e.get_messages()) from e  # type: ignore[no-untyped-call]
    return _from_spdx(parsed, "spdx-tag-value")


def _spdx_invalid(what: str, messages: list[str]) -> InvalidInventory:
    shown = "; ".join(messages[:MAX_LISTED_ERRORS])
    return InvalidInventory(
        f"the SPDX {what} document is not valid SPDX 2.3: {shown}",
        hint="fix the document (pyspdxtools -i FILE shows every error) and upload it again; nothing was kept",
        details={"errors": messages[:MAX_LISTED_ERRORS]},
    )


def _from_spdx(document: Any, fmt: str) -> Inventory:
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    version = str(document.creation_info.spdx_version)
    if version != "SPDX-2.3":
        raise InvalidInventory(f"{version} is not supported", hint="upload SPDX 2.3", details={"spdx_version": version})
    problems = [message.validation_message for message in validate_full_spdx_document(document, "SPDX-2.3")]
    if problems:
        raise _spdx_invalid("2.3", problems)
    described = {
        relationship.related_spdx_element_id
        for relationship in document.relationships
        if str(relationship.relationship_type.name) == "DESCRIBES"
    }
    found: list[Component] = []
    for package in document.packages:
        purls = [str(ref.locator) for ref in package.external_references if str(ref.reference_type).lower() == "purl"]
        if package.spdx_id in described and not purls:
            continue  # the document's subject, not one of its parts
        found.append(Component(purl=purls[0] if purls else None, name=str(package.name), version=package.version))
    return Inventory(fmt, tuple(found))


def read_json(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
