"""SBOMs in: CycloneDX 1.4-1.6 (JSON, XML) against cyclonedx-python-lib's schemas, SPDX 2.3 (JSON, tag-value)
through spdx-tools. Each document is validated against its schema before anything is read from it, and either
every component comes out or an ``InvalidInventory`` says what is wrong: never a part.

CycloneDX JSON is validated with the library's bundled schema compiled by jsonschema-rs, and its components
are read from the validated document; XML is validated by the library's ``XmlValidator`` (lxml) and read with
defusedxml. The library's own model (``Bom.from_json``/``from_xml``) and pure-Python validator are too slow for
large SBOMs (minutes for 5,000 components; BENCHMARKS.md).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from bastion.defense.components import Component, Inventory
from bastion.defense.errors import InvalidInventory

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


@cache
def _json_validator(spec: str) -> Any:
    """cyclonedx-python-lib's own JSON schema for ``spec`` (and the schemas it refers to), compiled once by
    jsonschema-rs: the library's validator (pure-Python jsonschema) took minutes on a 5,000-component SBOM."""
    import jsonschema_rs
    from cyclonedx.schema._res import BOM_JSON, BOM_JSON_STRICT

    version = _schema(spec)
    path = Path(str(BOM_JSON_STRICT.get(version) or BOM_JSON[version]))
    references = [
        (f"http://cyclonedx.org/schema/{name}", json.loads((path.parent / name).read_text()))
        for name in ("spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json")
    ]
    schema = json.loads(path.read_text())
    return jsonschema_rs.validator_for(schema, registry=jsonschema_rs.Registry(references))


def cyclonedx_json(document: dict[str, Any]) -> Inventory:
    spec = str(document.get("specVersion", ""))
    errors = [
        f"{'/'.join(str(p) for p in e.instance_path) or '(document)'}: {e.message}"
        for e in _json_validator(spec).iter_errors(document)
    ]
    if errors:
        raise _invalid("CycloneDX JSON", spec, "; ".join(errors[:MAX_LISTED_ERRORS]))
    root = (document.get("metadata") or {}).get("component") or {}
    found: list[Component] = []

    def walk(components: list[dict[str, Any]]) -> None:
        for component in components:
            if not (root and component.get("bom-ref") and component.get("bom-ref") == root.get("bom-ref")):
                found.append(
                    Component(purl=component.get("purl"), name=str(component["name"]), version=component.get("version"))
                )
            walk(component.get("components") or [])

    walk(document.get("components") or [])
    return Inventory(f"cyclonedx-json-{spec}", tuple(found))


def cyclonedx_xml(text: str) -> Inventory:
    import defusedxml.ElementTree as SafeET
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
    ns = {"c": namespace}
    top = root.find("c:components", ns)
    found = [
        Component(
            purl=element.findtext("c:purl", namespaces=ns),
            name=element.findtext("c:name", default="", namespaces=ns),
            version=element.findtext("c:version", namespaces=ns),
        )
        for element in (top.iter(f"{{{namespace}}}component") if top is not None else ())
    ]
    return Inventory(f"cyclonedx-xml-{spec}", tuple(found))


def _invalid(what: str, spec: str, error: Any) -> InvalidInventory:
    return InvalidInventory(
        f"the {what} document is not valid CycloneDX {spec}: {str(error)[:500]}",
        hint="fix the document (cyclonedx-cli validate shows every error) and upload it again; nothing was kept",
        details={"spec_version": spec},
    )


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
