"""The publication formats, checked against the field's own schemas and validators, not against our reading:

- OSV: the official OSV JSON schema (../shared/data/osv-schema) and our matcher (what /v1 answers);
- CSAF 2.0: the official schema with its strict CVSS schemas (../shared/data/csaf), and the mandatory tests of
  section 6.1 as the independent ``csaf`` validator runs them (itself checked against the TC's own test cases
  in ``test_csaf_validator_agrees_with_the_tc``);
- CVE JSON 5: the CVE Program's bundled 5.1 schema, as shipped in ``cvelib``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from bastion.advisories.ecosystems import parse_ecosystem
from bastion.advisories.matching import is_affected
from bastion.advisories.record import Affected, OsvRecord
from bastion.clearinghouse.advisory import PublishedAdvisory
from bastion.clearinghouse.formats import (
    CveNotAssigned,
    csaf_advisory,
    csaf_filename,
    csaf_vex,
    cve_record,
    osv_record,
)
from tests.unit.clearinghouse.samples import minimal, template_injection

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"
CSAF_DIR = SHARED / "csaf" / "csaf_2.0"
SAMPLES = [template_injection, minimal]


@cache
def _osv_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((SHARED / "osv-schema" / "schema.json").read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@cache
def _csaf_schema_validator() -> jsonschema.protocols.Validator:
    """The official CSAF 2.0 schema, with the strict FIRST CVSS schemas it refers to read from the local copy."""
    schema = json.loads((CSAF_DIR / "json_schema" / "csaf_json_schema.json").read_text())
    registry: Registry = Registry()
    for version in ("2.0", "3.0", "3.1"):
        document = json.loads((CSAF_DIR / "referenced_schema" / "first" / f"cvss-v{version}_strict.json").read_text())
        resource = Resource.from_contents(document)  # each declares its draft ($schema)
        registry = registry.with_resource(f"https://www.first.org/cvss/cvss-v{version}.json", resource)
    return jsonschema.Draft202012Validator(schema, registry=registry, format_checker=jsonschema.FormatChecker())


def _csaf_cli(paths: list[Path]) -> list[dict[str, Any]]:
    """Run the independent ``csaf`` validator's CLI (CSAF 2.0, the mandatory tests) over ``paths``: one report
    per file, in order (its batch output is a sequence of RS-separated JSON texts, RFC 7464)."""
    command = [str(Path(sys.executable).with_name("csaf")), "validate", "--spec-version", "v20"]
    command += ["--preset", "mandatory", "--format", "deprecated-json", "--rfc7464-always", *map(str, paths)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    reports = [json.loads(text) for text in done.stdout.split("\x1e") if text.strip()]
    assert len(reports) == len(paths), done.stderr
    return reports


def _csaf_mandatory(doc: dict[str, Any], tmp_path: Path) -> list[str]:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc))
    [report] = _csaf_cli([path])
    return [f"{t['name']}: {t['errors']}" for t in report["tests"] if not t["isValid"]]


@cache
def _cve_validator() -> jsonschema.protocols.Validator:
    import cvelib

    path = Path(cvelib.__file__).parent / "schemas" / "CVE_JSON_bundled_5.1.1.json"
    schema = json.loads(path.read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def _errors(validator: jsonschema.protocols.Validator, doc: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


# --- OSV ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLES)
def test_osv_record_is_valid_against_the_official_schema_and_ours(sample: Any) -> None:
    record = osv_record(sample())
    assert _errors(_osv_validator(), record) == []
    OsvRecord.from_document(record)  # raises on anything our importer would reject


def test_osv_record_matches_what_was_affected_and_not_what_was_fixed() -> None:
    record = osv_record(template_injection())
    assert record["aliases"] == ["CVE-2026-41234"]
    assert record["modified"] == "2026-11-22T09:15:00Z" and record["published"] == "2026-11-20T14:30:00Z"
    [entry] = record["affected"]  # the CPE-only, not-affected and investigating products have no OSV form
    assert entry["package"] == {"ecosystem": "PyPI", "name": "tinytemplate", "purl": "pkg:pypi/tinytemplate"}
    pypi = parse_ecosystem("PyPI")
    for version, affected in [("1.0", True), ("2.4.1", True), ("2.4.2", False), ("3.0", True), ("3.0.1", False)]:
        assert is_affected(pypi, Affected.model_validate(entry), version) is affected, version
    assert record["severity"] == [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]
    assert record["database_specific"]["known_exploited"] is True
    assert record["database_specific"]["cwe_ids"] == ["CWE-1336"]


def test_osv_record_carries_a_cvss_4_vector_as_such() -> None:
    record = osv_record(minimal())
    assert record["severity"][0]["type"] == "CVSS_V4"
    assert "aliases" not in record


def test_formats_are_deterministic() -> None:
    for render in (osv_record, csaf_advisory, csaf_vex):
        assert json.dumps(render(template_injection()), sort_keys=True) == json.dumps(
            render(template_injection()), sort_keys=True
        )


# --- CSAF -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("render", [csaf_advisory, csaf_vex])
@pytest.mark.parametrize("sample", SAMPLES)
def test_csaf_documents_pass_the_schema_and_every_mandatory_test(render: Any, sample: Any, tmp_path: Path) -> None:
    doc = render(sample())
    assert _errors(_csaf_schema_validator(), doc) == []
    assert _csaf_mandatory(doc, tmp_path) == []


def test_csaf_advisory_states_each_vendors_answer() -> None:
    advisory = template_injection()
    doc = csaf_vex(advisory)
    assert doc["document"]["category"] == "csaf_vex"
    assert doc["document"]["tracking"]["id"] == "BASTION-2026-0007-VEX"
    assert [r["number"] for r in doc["document"]["tracking"]["revision_history"]] == ["1", "2"]
    names = _product_names(doc["product_tree"])
    [vuln] = doc["vulnerabilities"]
    status = {k: sorted(names[i] for i in ids) for k, ids in vuln["product_status"].items()}
    assert status == {
        "known_affected": [
            "Example Systems libtmpl >=1.0|<=1.9.4",
            "Tiny Projects tinytemplate <2.4.2",
            "Tiny Projects tinytemplate >=3.0|<3.0.1",
        ],
        "fixed": ["Tiny Projects tinytemplate 2.4.2", "Tiny Projects tinytemplate 3.0.1"],
        "known_not_affected": ["Other Vendor othertmpl *"],
        "under_investigation": ["Slow Vendor slowtmpl *"],
    }
    assert [f["label"] for f in vuln["flags"]] == ["vulnerable_code_not_present"]
    assert vuln["cve"] == "CVE-2026-41234"
    assert vuln["cwe"] == {
        "id": "CWE-1336",
        "name": "Improper Neutralization of Special Elements Used in a Template Engine",
    }
    categories = {r["category"] for r in vuln["remediations"]}
    assert categories == {"vendor_fix", "none_available"}  # libtmpl has no fix yet: the action says so
    assert any(t["category"] == "exploit_status" for t in vuln["threats"])
    fixed_helpers = _helpers(doc["product_tree"])
    assert fixed_helpers["Tiny Projects tinytemplate 2.4.2"] == {"purl": "pkg:pypi/tinytemplate@2.4.2"}


def test_csaf_cvss_v4_is_left_out_because_csaf_2_0_has_no_place_for_it() -> None:
    [vuln] = csaf_advisory(minimal())["vulnerabilities"]
    assert "scores" not in vuln
    assert vuln["ids"] == [{"system_name": "Bastion AI Cybersecurity Clearinghouse", "text": "BASTION-2026-0008"}]


def test_csaf_file_names_follow_section_5_1() -> None:
    assert csaf_filename("BASTION-2026-0007-VEX") == "bastion-2026-0007-vex.json"
    assert csaf_filename("Example/2026:01 A") == "example_2026_01_a.json"


def _product_names(tree: dict[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}

    def walk(branch: dict[str, Any]) -> None:
        if "product" in branch:
            names[branch["product"]["product_id"]] = branch["product"]["name"]
        for child in branch.get("branches", []):
            walk(child)

    for top in tree["branches"]:
        walk(top)
    return names


def _helpers(tree: dict[str, Any]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}

    def walk(branch: dict[str, Any]) -> None:
        product = branch.get("product")
        if product and "product_identification_helper" in product:
            found[product["name"]] = product["product_identification_helper"]
        for child in branch.get("branches", []):
            walk(child)

    for top in tree["branches"]:
        walk(top)
    return found


def test_csaf_validator_agrees_with_the_tc() -> None:
    """The independent validator we rely on must itself pass the TC's own mandatory test cases: every document
    listed as a failure of a test fails it, every valid one passes it."""
    data = CSAF_DIR / "test" / "validator" / "data"
    index = json.loads((data / "testcases.json").read_text())
    cases = []
    for case in index["tests"]:
        if case["group"] == "mandatory":
            # the validator names 6.1.n "mandatoryTest_6_1_n" and reports the profile tests 6.1.27.x together
            parts = case["id"].split(".")
            name = "mandatoryTest_" + "_".join(parts) if len(parts) == 3 else ".".join(parts[:3])
            cases += [(item["name"], name, False) for item in case.get("failures", [])]
            cases += [(item["name"], name, True) for item in case.get("valid", [])]
    reports = _csaf_cli([data / name for name, _, _ in cases])
    disagreements = []
    for (name, test, should_pass), report in zip(cases, reports, strict=True):
        # 6.1.8 (invalid CVSS) is checked by the strict schema: a document failing the schema fails every test.
        relevant = {"schema", test}
        verdicts = [t["isValid"] for t in report["tests"] if t["name"] in relevant]
        if all(verdicts) != should_pass:
            disagreements.append(f"{name}: {test} should {'pass' if should_pass else 'fail'}: {verdicts}")
    assert len(cases) > 100
    assert disagreements == []


# --- CVE JSON 5 -----------------------------------------------------------------------------------------------


def test_cve_record_is_valid_against_the_cve_program_schema() -> None:
    record = cve_record(template_injection())
    assert _errors(_cve_validator(), record) == []
    cna = record["containers"]["cna"]
    by_product = {a["product"]: a for a in cna["affected"]}
    assert by_product["tinytemplate"]["versions"][0] == {
        "version": "0",
        "status": "affected",
        "versionType": "pypi",
        "lessThan": "2.4.2",
    }
    assert by_product["libtmpl"]["versions"][0]["lessThanOrEqual"] == "1.9.4"
    assert by_product["othertmpl"] == {"vendor": "Other Vendor", "product": "othertmpl", "defaultStatus": "unaffected"}
    assert by_product["slowtmpl"]["defaultStatus"] == "unknown"
    assert cna["metrics"][0]["cvssV3_1"]["baseScore"] == 9.8
    assert cna["problemTypes"][0]["descriptions"][0]["cweId"] == "CWE-1336"


def test_cve_record_for_a_cvss_4_advisory_once_assigned() -> None:
    assigned: PublishedAdvisory = minimal().model_copy(update={"cve_id": "CVE-2026-50001"})
    record = cve_record(assigned)
    assert _errors(_cve_validator(), record) == []
    assert record["containers"]["cna"]["metrics"][0]["cvssV4_0"]["baseSeverity"] == "CRITICAL"


def test_no_cve_record_before_a_cve_is_assigned() -> None:
    with pytest.raises(CveNotAssigned, match="has no CVE id"):
        cve_record(minimal())
