"""The feeds, checked by the field's own tools: the CSAF provider schema, the independent ``csaf`` checker's
tree audit (7.1.11-14) and ROLIE check (7.1.15), GnuPG for the signatures, and our own OSV importer for the
OSV export (anything that mirrors osv.dev reads the same layout)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource

from bastion.advisories.parse import parse_raw
from bastion.advisories.sources import read_source
from bastion.clearinghouse.advisory import AdvisoryID, PublishedAdvisory
from bastion.clearinghouse.feeds import WELL_KNOWN, CsafProvider, CsafSigner, OsvExport, ProviderInfo
from tests.unit.clearinghouse.samples import minimal, template_injection

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"
PROVIDER_SCHEMA = SHARED / "csaf" / "csaf_2.0" / "json_schema" / "provider_json_schema.json"
INFO = ProviderInfo(
    base_url="https://clearinghouse.bastion.example",
    publisher_name="Bastion AI Cybersecurity Clearinghouse",
    publisher_namespace="https://clearinghouse.bastion.example",
)
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> CsafSigner:
    return CsafSigner.from_file(tmp_path_factory.mktemp("keys") / "csaf-signing.asc", "Bastion CSAF <csaf@x.example>")


@pytest.fixture(scope="module")
def provider(signer: CsafSigner) -> CsafProvider:
    return CsafProvider(advisories(), INFO, signer, at=NOW)


def advisories() -> list[PublishedAdvisory]:
    later = minimal().model_copy(
        update={"id": AdvisoryID("BASTION-2025-0100"), "published": datetime(2025, 3, 1, tzinfo=UTC)}
    )
    return [template_injection(), minimal(), later]


def test_the_signing_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "csaf.asc"
    first = CsafSigner.from_file(path, "A <a@x.example>")
    assert (path.stat().st_mode & 0o777) == 0o600
    again = CsafSigner.from_file(path, "ignored the second time")
    assert again.fingerprint == first.fingerprint and len(first.fingerprint) == 40


def test_provider_metadata_is_valid_and_names_the_signing_key(provider: CsafProvider, signer: CsafSigner) -> None:
    metadata = json.loads(provider.files["provider-metadata.json"])
    schema = json.loads(PROVIDER_SCHEMA.read_text())
    csaf_schema = json.loads((PROVIDER_SCHEMA.parent / "csaf_json_schema.json").read_text())
    registry = Registry().with_resource(csaf_schema["$id"], Resource.from_contents(csaf_schema))  # read locally
    errors = [e.message for e in jsonschema.Draft202012Validator(schema, registry=registry).iter_errors(metadata)]
    assert errors == []
    assert metadata["role"] == "csaf_trusted_provider"
    assert metadata["canonical_url"] == f"https://clearinghouse.bastion.example/{WELL_KNOWN}/provider-metadata.json"
    [key] = metadata["public_openpgp_keys"]
    assert key["fingerprint"] == signer.fingerprint
    assert provider.files[key["url"].split(f"{WELL_KNOWN}/")[1]].startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert metadata["last_updated"] == "2026-11-22T09:15:00.000Z"  # the newest modification, not the clock


def test_the_tree_passes_the_csaf_checkers_audit(provider: CsafProvider, tmp_path: Path) -> None:
    from csaf import audit_tree

    provider.write(tmp_path)
    root = tmp_path / WELL_KNOWN / "white"
    result = audit_tree(str(root))
    # The checker reads changes.csv in CSAF 2.1's column order (time, path); CSAF 2.0, which we publish, has
    # (path, time), as BSI's reference provider writes it. That one rule is checked to 2.0 in the next test.
    violations = [v for v in result.violations if v.rule != "changes-csv"]
    assert violations == [] and result.errors == []
    assert result.advisory_count == 6  # three advisories, each as a security advisory and as VEX


def _shape(value: object) -> object:
    """The keys at every level (the first item standing for a list's items)."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def test_the_rolie_feed_has_the_shape_of_the_tcs_example_and_links_every_document(provider: CsafProvider) -> None:
    """ROLIE in CSAF is the JSON form of RFC 8322 (the checker's ROLIE test reads Atom XML, so it cannot help):
    the feed must carry what the TC's own example feed carries, and one entry per document with its hashes
    and signature."""
    feed = json.loads(provider.files["feed-tlp-white.json"])
    example = json.loads(
        (SHARED / "csaf" / "csaf_2.0" / "examples" / "ROLIE" / "example-01-feed-tlp-white.json").read_text()
    )
    ours, theirs = _shape(feed), _shape(example)
    assert isinstance(ours, dict) and isinstance(theirs, dict)
    assert ours["feed"]["entry"][0].keys() == theirs["feed"]["entry"][0].keys()
    assert set(theirs["feed"]).issubset(ours["feed"])
    assert feed["feed"]["category"] == example["feed"]["category"]  # information-type: csaf
    entries = feed["feed"]["entry"]
    assert len(entries) == 6
    for entry in entries:
        links = {(link["rel"], link["href"].rsplit(".", 1)[-1]) for link in entry["link"]}
        assert {("self", "json"), ("hash", "sha256"), ("hash", "sha512"), ("signature", "asc")} <= links
        path = entry["content"]["src"].split(f"{WELL_KNOWN}/")[1]
        assert path in provider.files and json.loads(provider.files[path])["document"]["tracking"]["id"] == entry["id"]


def test_index_and_changes_list_every_document_by_year_newest_first(provider: CsafProvider) -> None:
    index = provider.files["white/index.txt"].decode().split()
    assert index == [
        "2025/bastion-2025-0100-vex.json",
        "2025/bastion-2025-0100.json",
        "2026/bastion-2026-0007-vex.json",
        "2026/bastion-2026-0007.json",
        "2026/bastion-2026-0008-vex.json",
        "2026/bastion-2026-0008.json",
    ]
    assert all(f"white/{path}" in provider.files for path in index)
    rows = list(csv.reader(io.StringIO(provider.files["white/changes.csv"].decode())))
    dates = [when for _, when in rows]
    assert dates == sorted(dates, reverse=True) and {path for path, _ in rows} == set(index)


def test_hashes_and_signatures_verify_with_gnupg(provider: CsafProvider, signer: CsafSigner, tmp_path: Path) -> None:
    provider.write(tmp_path)
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    key = tmp_path / WELL_KNOWN / "openpgp" / f"{signer.fingerprint}.asc"
    subprocess.run(["gpg", "--batch", "--import", str(key)], env=env, check=True, capture_output=True)
    document = tmp_path / WELL_KNOWN / "white" / "2026" / "bastion-2026-0007.json"
    body = document.read_bytes()
    assert Path(f"{document}.sha256").read_text().split()[0] == hashlib.sha256(body).hexdigest()
    assert Path(f"{document}.sha512").read_text().split()[0] == hashlib.sha512(body).hexdigest()
    verify = ["gpg", "--batch", "--status-fd", "1", "--verify", f"{document}.asc", str(document)]
    good = subprocess.run(verify, env=env, capture_output=True, text=True, errors="replace", check=False)
    assert good.returncode == 0 and "GOODSIG" in good.stdout
    document.write_bytes(body.replace(b"Sandbox escape", b"Harmless quirk"))  # tampered in transit
    bad = subprocess.run(verify, env=env, capture_output=True, text=True, errors="replace", check=False)
    assert bad.returncode != 0 and "BADSIG" in bad.stdout


def test_nothing_is_served_but_what_the_source_published(signer: CsafSigner) -> None:
    provider = CsafProvider([minimal()], INFO, signer, at=NOW)
    served = b"".join(provider.files.values())
    assert b"BASTION-2026-0007" not in served and b"tinytemplate" not in served
    empty = CsafProvider([], INFO, signer, at=NOW)
    assert json.loads(empty.files["feed-tlp-white.json"])["feed"]["entry"] == []
    assert empty.files["white/index.txt"] == b""


def test_osv_export_in_osv_dev_layout_reimports_with_our_importer(tmp_path: Path) -> None:
    export = OsvExport(advisories())
    assert export.ecosystems_txt() == "PyPI\nnpm\n"
    assert export.modified_id_csv("npm").splitlines() == [
        "2026-11-20T14:30:00Z,x_BASTION-2026-0008",
        "2026-11-20T14:30:00Z,x_BASTION-2025-0100",
    ]
    archive = tmp_path / "npm-all.zip"
    archive.write_bytes(export.all_zip("npm"))
    with zipfile.ZipFile(archive) as opened:
        assert sorted(opened.namelist()) == ["x_BASTION-2025-0100.json", "x_BASTION-2026-0008.json"]
    parsed = sorted((parse_raw(raw) for raw in read_source(str(archive))), key=lambda record: record.id)
    assert [record.id for record in parsed] == ["x_BASTION-2025-0100", "x_BASTION-2026-0008"]
    assert [(row.ecosystem, row.name) for row in parsed[1].affected] == [("npm", "deepmerge-lite")]
    assert export.all_zip("npm") == OsvExport(advisories()).all_zip("npm")  # byte-stable for mirrors
