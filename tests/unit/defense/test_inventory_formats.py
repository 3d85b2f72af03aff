"""Recognising an upload's format from its content, wherever a JSON SBOM puts its keys."""

from __future__ import annotations

import json

from bastion.defense.inventory import read_inventory


def test_a_large_cyclonedx_json_whose_bom_format_comes_last_is_recognised() -> None:
    components = [
        {"type": "library", "bom-ref": f"c{n}", "name": f"package-{n}", "version": "1.0.0", "purl": f"pkg:npm/p{n}@1"}
        for n in range(3000)
    ]
    # as cyclonedx-py and cyclonedx-python-lib write it: keys sorted, so the components come first
    text = json.dumps({"components": components, "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1})
    assert text.index('"bomFormat"') > 200_000
    inventory = read_inventory(text.encode(), "inventory.json")
    assert inventory.format == "cyclonedx-json-1.5" and len(inventory.components) == 3000


def test_a_json_lockfile_is_told_by_its_name_and_other_json_is_unknown() -> None:
    lock = json.dumps({"lockfileVersion": 3, "packages": {"node_modules/a": {"version": "1.0.0"}}})
    assert read_inventory(lock.encode(), "app/package-lock.json").format == "package-lock.json"
    try:
        read_inventory(b'{"name": "not an sbom"}', "data.json")
    except Exception as e:  # noqa: BLE001 - the assertion names the kind
        assert type(e).__name__ == "UnknownFormat"
    else:
        raise AssertionError("plain JSON must be refused as an unknown format")
