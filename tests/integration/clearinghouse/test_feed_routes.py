"""The feeds over HTTP, pulled by real clients: our own importer mirrors the OSV export from its URL into a
second database, the independent ``csaf`` tool walks the provider, and every path answers only what the
publication source gave (here a fake of the port: the clearinghouse's own publication is tested with it)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from bastion.advisories.importer import AdvisoryImporter
from bastion.api.app import create_app
from bastion.clearinghouse.advisory import PublishedAdvisory
from bastion.clearinghouse.feeds import WELL_KNOWN
from bastion.container import Container
from bastion.core.clock import ManualClock
from bastion.core.config import Settings
from bastion.runtime import Runtime
from tests.integration.api.live import in_thread
from tests.unit.clearinghouse.samples import minimal, template_injection

# The first pull signs every document (and may create the key): slow on a busy machine, so wait long enough.
PULL_SECONDS = 120


class Published:
    """A fake of the ``PublishedSource`` port: what the clearinghouse has published, changeable by the test."""

    def __init__(self, advisories: Sequence[PublishedAdvisory]) -> None:
        self.advisories = list(advisories)

    def published(self) -> Sequence[PublishedAdvisory]:
        return list(self.advisories)


@pytest.fixture
def source() -> Published:
    return Published([template_injection()])


@pytest.fixture
def feeds_client(container: Container, source: Published) -> Iterator[TestClient]:
    container.__dict__["published"] = source  # the port, replaced before anything reads it
    with TestClient(create_app(container)) as client:
        yield client


def test_the_provider_is_served_at_the_well_known_url(feeds_client: TestClient) -> None:
    answer = feeds_client.get(f"/{WELL_KNOWN}/provider-metadata.json")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    metadata = answer.json()
    assert metadata["canonical_url"] == f"http://testserver/{WELL_KNOWN}/provider-metadata.json"
    key_url = metadata["public_openpgp_keys"][0]["url"].removeprefix("http://testserver")
    assert feeds_client.get(key_url).headers["content-type"] == "application/pgp-keys"
    index = feeds_client.get(f"/{WELL_KNOWN}/white/index.txt").text.split()
    assert index == ["2026/bastion-2026-0007-vex.json", "2026/bastion-2026-0007.json"]
    document = feeds_client.get(f"/{WELL_KNOWN}/white/{index[1]}")
    assert document.json()["document"]["tracking"]["id"] == "BASTION-2026-0007"
    signature = feeds_client.get(f"/{WELL_KNOWN}/white/{index[1]}.asc")
    assert signature.headers["content-type"] == "application/pgp-signature"
    missing = feeds_client.get(f"/{WELL_KNOWN}/white/2026/bastion-2026-9999.json")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_a_new_publication_appears_and_nothing_else_does(feeds_client: TestClient, source: Published) -> None:
    assert "deepmerge" not in feeds_client.get("/feeds/osv/ecosystems.txt").text + str(
        feeds_client.get(f"/{WELL_KNOWN}/white/index.txt").text
    )
    assert feeds_client.get("/feeds/osv/npm/all.zip").status_code == 404
    source.advisories.append(minimal())  # the embargo on that case ended
    assert feeds_client.get("/feeds/osv/ecosystems.txt").text == "PyPI\nnpm\n"
    assert "2026/bastion-2026-0008.json" in feeds_client.get(f"/{WELL_KNOWN}/white/index.txt").text
    record = feeds_client.get("/feeds/osv/npm/x_BASTION-2026-0008.json")
    assert record.status_code == 200 and record.json()["id"] == "x_BASTION-2026-0008"
    assert feeds_client.get("/feeds/osv/npm/modified_id.csv").text == "2026-11-20T14:30:00Z,x_BASTION-2026-0008\n"


@pytest.fixture
def live(container: Container, source: Published) -> Iterator[str]:
    """The app on a real socket (uvicorn in a thread), for clients that fetch URLs themselves."""
    container.__dict__["published"] = source
    with in_thread(create_app(container)) as base:
        yield base


def test_a_mirror_imports_the_osv_export_from_its_url(live: str, tmp_path: Path) -> None:
    """Another Bastion (or anything that mirrors osv.dev) pulls the per-ecosystem all.zip and answers from it."""
    settings = Settings(data_dir=tmp_path / "mirror", secret_key="mirror-secret")
    mirror = Runtime.from_settings(settings, clock=ManualClock())
    mirror.migrate()
    report = AdvisoryImporter(mirror.database, mirror.clock).import_sources([f"{live}/feeds/osv/PyPI/all.zip"])
    assert (report.imported, report.failed) == (1, 0)
    with TestClient(create_app(mirror)) as client:
        package = {"name": "tinytemplate", "ecosystem": "PyPI"}
        hit = client.post("/v1/query", json={"package": package, "version": "2.4.1"}).json()
        assert [v["id"] for v in hit["vulns"]] == ["x_BASTION-2026-0007"]
        assert client.post("/v1/query", json={"package": package, "version": "2.4.2"}).json() == {}
    mirror.database.dispose()


def test_an_aggregator_pulls_every_document_and_checks_hashes_and_signatures(
    live: str, tmp_path: Path, source: Published
) -> None:
    """What a CSAF aggregator does (CSAF 2.0 section 7.3): provider metadata -> ROLIE feed -> each document,
    checking its SHA-512 and its signature against the key the metadata names (with GnuPG). (The Python
    ``csaf`` tool's walker reads ROLIE as Atom XML, while CSAF 2.0 ROLIE is JSON, so the pull is written
    here, to the standard's steps.)"""
    source.advisories.append(minimal())
    metadata = httpx.get(f"{live}/{WELL_KNOWN}/provider-metadata.json", timeout=PULL_SECONDS).json()
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = {"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"}
    [key] = metadata["public_openpgp_keys"]
    (tmp_path / "key.asc").write_bytes(httpx.get(key["url"], timeout=PULL_SECONDS).content)
    subprocess.run(["gpg", "--batch", "--import", str(tmp_path / "key.asc")], env=env, check=True, capture_output=True)
    [distribution] = metadata["distributions"]
    pulled = []
    for feed_ref in distribution["rolie"]["feeds"]:
        feed = httpx.get(feed_ref["url"], timeout=PULL_SECONDS).json()["feed"]
        for entry in feed["entry"]:
            links = {link["rel"]: link["href"] for link in entry["link"] if link["rel"] != "hash"}
            hashes = [link["href"] for link in entry["link"] if link["rel"] == "hash"]
            body = httpx.get(entry["content"]["src"], timeout=PULL_SECONDS).content
            sha512 = next(url for url in hashes if url.endswith(".sha512"))
            assert httpx.get(sha512, timeout=PULL_SECONDS).text.split()[0] == hashlib.sha512(body).hexdigest()
            (tmp_path / "doc.json").write_bytes(body)
            (tmp_path / "doc.json.asc").write_bytes(httpx.get(links["signature"], timeout=PULL_SECONDS).content)
            check = [
                "gpg",
                "--batch",
                "--status-fd",
                "1",
                "--verify",
                str(tmp_path / "doc.json.asc"),
                str(tmp_path / "doc.json"),
            ]
            verified = subprocess.run(check, env=env, capture_output=True, text=True, errors="replace", check=False)
            [valid] = [line for line in verified.stdout.splitlines() if line.startswith("[GNUPG:] VALIDSIG ")]
            assert valid.split()[-1] == key["fingerprint"]  # made by a subkey of the key the metadata names
            pulled.append(json.loads(body)["document"]["tracking"]["id"])
    assert sorted(pulled) == [
        "BASTION-2026-0007",
        "BASTION-2026-0007-VEX",
        "BASTION-2026-0008",
        "BASTION-2026-0008-VEX",
    ]


def test_feeds_export_writes_a_tree_for_static_hosting(
    cli_env: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import bastion.cli.context
    from bastion.cli.main import main

    def scripted(settings: Settings) -> Container:
        built = Container(Runtime.from_settings(settings))
        built.__dict__["published"] = Published([template_injection(), minimal()])
        return built

    monkeypatch.setattr(bastion.cli.context, "build_container", scripted)
    out = tmp_path / "site"
    assert main(["feeds", "export", str(out)]) == 2  # no origin to write into the URLs
    assert "--base-url" in capsys.readouterr().err
    assert main(["feeds", "export", str(out), "--base-url", "https://ch.example.gov"]) == 0
    metadata = json.loads((out / WELL_KNOWN / "provider-metadata.json").read_text())
    assert metadata["canonical_url"] == f"https://ch.example.gov/{WELL_KNOWN}/provider-metadata.json"
    assert (out / WELL_KNOWN / "white" / "2026" / "bastion-2026-0008-vex.json.asc").is_file()
    assert (out / "osv" / "ecosystems.txt").read_text() == "PyPI\nnpm\n"
    assert (out / "osv" / "npm" / "modified_id.csv").read_text() == "2026-11-20T14:30:00Z,x_BASTION-2026-0008\n"
