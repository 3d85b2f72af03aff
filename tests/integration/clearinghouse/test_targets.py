"""Targets named by purl: fetched outside the sandbox from a real package index (a PEP 503 simple index served
over HTTP by this test, offline), checked to be the named distribution, then validated in the sandbox. A wrong
checksum or a package the index does not have is a clear reason, never a silent pass. On SQLite and PostgreSQL
where a database is involved."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bastion.api.app import create_app
from bastion.clearinghouse.errors import TargetUnavailable
from bastion.clearinghouse.targets import fetch_purl
from bastion.container import Container
from bastion.runtime import Runtime
from tests.integration.clearinghouse.conftest import ok, run_jobs
from tests.integration.clearinghouse.support import FIXED, VULNERABLE, Cast, recparse_report

REPORTS = "/api/clearinghouse/reports"


def wheel(name: str, version: str, source: str) -> tuple[str, bytes]:
    """A pure-Python wheel of one module package, as a build backend would write it (PEP 427)."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": source.encode(),
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: bastion-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [
        f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}"
        for path, data in files.items()
    ]
    files[f"{dist}/RECORD"] = ("\n".join([*record, f"{dist}/RECORD,,"]) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return f"{name}-{version}-py3-none-any.whl", buffer.getvalue()


@dataclass
class PackageIndex:
    url: str  # the simple index, e.g. http://127.0.0.1:PORT/simple/
    files: dict[str, bytes]  # file name -> bytes served
    requests: list[str] = field(default_factory=list)  # paths asked for, in order

    def sha256(self, file_name: str) -> str:
        return hashlib.sha256(self.files[file_name]).hexdigest()


@pytest.fixture(scope="module")
def package_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PackageIndex]:
    """recparse 1.0.0 (vulnerable) and 1.0.1 (fixed) on a PEP 503 index served by a local HTTP server."""
    root = tmp_path_factory.mktemp("index")
    files = dict([wheel("recparse", "1.0.0", VULNERABLE), wheel("recparse", "1.0.1", FIXED)])
    (root / "files").mkdir()
    links = []
    for name, data in files.items():
        (root / "files" / name).write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        links.append(f'<a href="../../files/{html.escape(name)}#sha256={digest}">{html.escape(name)}</a><br>')
    (root / "simple" / "recparse").mkdir(parents=True)
    (root / "simple" / "index.html").write_text('<html><body><a href="recparse/">recparse</a></body></html>')
    (root / "simple" / "recparse" / "index.html").write_text("<html><body>" + "".join(links) + "</body></html>")
    requests: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self) -> None:
            requests.append(self.path)
            super().do_GET()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield PackageIndex(f"http://127.0.0.1:{server.server_address[1]}/simple/", files, requests)
    finally:
        server.shutdown()
        server.server_close()


# --- the fetch itself ----------------------------------------------------------------------------------------


def test_a_purl_fetches_exactly_the_named_distribution_from_the_index(package_index: PackageIndex) -> None:
    name = "recparse-1.0.0-py3-none-any.whl"
    start = len(package_index.requests)
    fetched = fetch_purl(f"pkg:pypi/recparse@1.0.0?checksum=sha256:{package_index.sha256(name)}", package_index.url)
    assert fetched == (name, package_index.files[name])  # byte for byte what the index serves
    asked = package_index.requests[start:]
    assert "/simple/recparse/" in asked and f"/files/{name}" in asked
    assert "/files/recparse-1.0.1-py3-none-any.whl" not in asked
    # the other version, by the same path
    assert fetch_purl("pkg:pypi/recparse@1.0.1", package_index.url)[0] == "recparse-1.0.1-py3-none-any.whl"


def test_a_local_directory_of_distributions_serves_as_the_index(package_index: PackageIndex, tmp_path: Path) -> None:
    for name, data in package_index.files.items():
        (tmp_path / name).write_bytes(data)
    name, data = fetch_purl("pkg:pypi/recparse@1.0.1", str(tmp_path))
    assert (name, data) == ("recparse-1.0.1-py3-none-any.whl", package_index.files[name])


def test_a_checksum_that_does_not_match_is_refused_with_both_digests(package_index: PackageIndex) -> None:
    name = "recparse-1.0.0-py3-none-any.whl"
    wrong = package_index.sha256("recparse-1.0.1-py3-none-any.whl")  # the other version's digest
    with pytest.raises(TargetUnavailable) as caught:
        fetch_purl(f"pkg:pypi/recparse@1.0.0?checksum=sha256:{wrong}", package_index.url)
    error = caught.value
    assert error.message == (
        f"{name} fetched for pkg:pypi/recparse@1.0.0?checksum=sha256:{wrong} has sha256 "
        f"{package_index.sha256(name)}, not the purl's checksum {wrong}"
    )
    assert error.details["expected"] == wrong and error.details["actual"] == package_index.sha256(name)


def test_a_package_or_version_the_index_does_not_have_is_a_clear_error(package_index: PackageIndex) -> None:
    for purl, wanted in (("pkg:pypi/no-such-package@1.0.0", "no-such-package==1.0.0"), ("pkg:pypi/recparse@9.9", "recparse==9.9")):  # fmt: skip  # noqa: E501
        with pytest.raises(TargetUnavailable) as caught:
            fetch_purl(purl, package_index.url)
        assert caught.value.message.startswith(f"cannot fetch {purl} from {package_index.url}: ")
        assert wanted in caught.value.message  # pip's own words name the requirement it could not satisfy
        assert caught.value.hint and "BASTION_CLEARINGHOUSE_PACKAGE_INDEX" in caught.value.hint


def test_purls_that_cannot_be_fetched_are_refused_before_any_download(package_index: PackageIndex) -> None:
    start = len(package_index.requests)
    for purl, words in (
        ("pkg:npm/left-pad@1.3.0", "only PyPI packages are fetched"),
        ("pkg:pypi/recparse", "names no version"),
        ("pkg:pypi/recparse@1.0.0?checksum=md5:abc", "not ALGORITHM:HEX"),
    ):
        with pytest.raises(TargetUnavailable, match=words):
            fetch_purl(purl, package_index.url)
    assert package_index.requests[start:] == []


# --- through the API: intake, validation in the sandbox --------------------------------------------------------


@pytest.fixture
def networked(runtime: Runtime, package_index: PackageIndex) -> Container:
    """The composition root of a clearinghouse that fetches from the test's index."""
    settings = runtime.settings.model_copy(update={"clearinghouse_package_index": package_index.url})
    return Container(Runtime(settings=settings, database=runtime.database, clock=runtime.clock))


@pytest.fixture
def networked_client(networked: Container) -> Iterator[TestClient]:
    with TestClient(create_app(networked)) as test_client:
        yield test_client


def purl_target(purl: str) -> dict[str, Any]:
    return {"kind": "purl", "purl": purl, "test": ["python3", "-c", "import recparse"]}


def test_a_report_whose_target_is_named_by_purl_is_validated_against_that_package(
    networked_client: TestClient, networked: Container, cast: Cast, package_index: PackageIndex, tmp_path: Path
) -> None:
    vulnerable, fixed = "recparse-1.0.0-py3-none-any.whl", "recparse-1.0.1-py3-none-any.whl"
    draft = recparse_report(
        tmp_path,
        target=purl_target(f"pkg:pypi/recparse@1.0.0?checksum=sha256:{package_index.sha256(vulnerable)}"),
        fixed_target=purl_target("pkg:pypi/recparse@1.0.1"),
    )
    ack = ok(networked_client.post(REPORTS, json={"client_key": "by-purl", "report": draft}, headers=cast.headers("reporter")), 201)  # fmt: skip  # noqa: E501
    assert run_jobs(networked) == ["succeeded"]
    report = ok(networked_client.get(f"{REPORTS}/{ack['reports'][0]['id']}", headers=cast.headers("analyst")))
    assert report["status"] == "validated", report["validations"]
    detail = report["validations"][0]["detail"]
    # the vulnerable package reached the sandbox, unpacked there, and its eval ran the reproducer's code
    unpacked = [s for s in detail["vulnerable"]["steps"] if s["name"] == "unpack target"]
    assert unpacked and unpacked[0]["argv"][-2] == f"/workspace/.target/{vulnerable}"
    assert detail["vulnerable"]["signal_seen"] is True
    # the declared fixed version was fetched as well, and there the reproducer did not trigger
    fixed_unpacked = [s for s in detail["fixed_version"]["steps"] if s["name"] == "unpack target"]
    assert fixed_unpacked and fixed_unpacked[0]["argv"][-2] == f"/workspace/.target/{fixed}"
    assert detail["fixed_version"]["signal_seen"] is False


def test_a_target_whose_bytes_do_not_match_its_checksum_never_runs_and_the_report_says_why(
    networked_client: TestClient, networked: Container, cast: Cast, package_index: PackageIndex, tmp_path: Path
) -> None:
    wrong = package_index.sha256("recparse-1.0.1-py3-none-any.whl")
    draft = recparse_report(
        tmp_path, target=purl_target(f"pkg:pypi/recparse@1.0.0?checksum=sha256:{wrong}"), fixed_target=None
    )
    ack = ok(networked_client.post(REPORTS, json={"client_key": "bad-sum", "report": draft}, headers=cast.headers("reporter")), 201)  # fmt: skip  # noqa: E501
    run_jobs(networked)
    report = ok(networked_client.get(f"{REPORTS}/{ack['reports'][0]['id']}", headers=cast.headers("reporter")))
    assert report["status"] == "needs_info"
    detail = report["validations"][0]["detail"]
    assert f"not the purl's checksum {wrong}" in detail["reason"]
    assert detail["vulnerable"]["stage"] == "no_target" and detail["vulnerable"]["steps"] == []  # nothing ran


def test_a_target_the_index_does_not_have_needs_information_with_the_index_answer(
    networked_client: TestClient, networked: Container, cast: Cast, tmp_path: Path
) -> None:
    draft = recparse_report(tmp_path, target=purl_target("pkg:pypi/recparse@2.0.0"), fixed_target=None)
    ack = ok(networked_client.post(REPORTS, json={"client_key": "missing", "report": draft}, headers=cast.headers("reporter")), 201)  # fmt: skip  # noqa: E501
    run_jobs(networked)
    report = ok(networked_client.get(f"{REPORTS}/{ack['reports'][0]['id']}", headers=cast.headers("reporter")))
    assert report["status"] == "needs_info"
    assert report["validations"][0]["detail"]["reason"].startswith("cannot fetch pkg:pypi/recparse@2.0.0 from ")


def test_purl_targets_that_cannot_be_fetched_are_a_400_at_intake(
    networked_client: TestClient, client: TestClient, cast: Cast, tmp_path: Path
) -> None:
    cases = {
        "npm": (networked_client, "pkg:npm/left-pad@1.3.0", "only PyPI packages are fetched"),
        "checksum": (networked_client, "pkg:pypi/recparse@1.0.0?checksum=sha256:12", "not ALGORITHM:HEX"),
        "version": (networked_client, "pkg:pypi/recparse@not.a.version!", "not a PyPI version"),
        "offline": (client, "pkg:pypi/recparse@1.0.0", "this clearinghouse fetches no packages"),
    }
    for key, (http, purl, words) in cases.items():
        draft = recparse_report(tmp_path, target=purl_target(purl), fixed_target=None)
        response = http.post(REPORTS, json={"client_key": key, "report": draft}, headers=cast.headers("reporter"))
        assert response.status_code == 400, (key, response.text)
        body = response.json()
        assert words in body["message"], (key, body)
        assert body["hint"], key
    assert ok(client.get(REPORTS, headers=cast.headers("analyst")))["count"] == 0  # nothing was kept
