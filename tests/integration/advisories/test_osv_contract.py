"""The /v1 contract: requests shaped exactly as the field's clients send them, against `bastion serve`.

Each test says which client it stands for and what that client sends and reads (from its public source),
and what osv.dev answers; the ids are checked against what the data says, not against Bastion's matcher.

osv.dev's side (google/osv.dev ``gcp/api``): the API is gRPC behind a JSON gateway, so bodies are proto3 JSON.
A result with no vulnerabilities is ``{}`` and an empty list of results is left out, so an empty batch is
``{}``; an error is ``{"code": <gRPC status>, "message": ...}``, e.g. ``{"code": 3, "message": "Invalid
ecosystem."}`` and ``{"code": 5, ...}`` for an unknown id (``integration_tests.py``); a Go purl at version
``(devel)`` answers ``{}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from bastion.advisories.importer import AdvisoryImporter
from bastion.advisories.models import Advisory
from tests.integration.advisories.conftest import Loaded, serving
from tests.integration.advisories.oracle import exact_pins
from tests.integration.advisories.osv_proto import decode_batch

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
PLACEHOLDER = "0001-01-01T00:00:00Z"  # OSV's "no real time" value; PYSEC-2024-55 (cipherbcrypt) carries it
GO_MODULE = "github.com/example/widget"
GO_FIX = "0.0.0-20220315120000-abcdef123456"  # a Go pseudo-version: v0.0.0-<UTC time>-<12 hex of the commit>


def _go_records(directory: Path) -> None:
    """Two Go records in the shape of the Go vulnerability database (the shared data has none): SEMVER
    ranges, a pseudo-version fix, the ``stdlib`` package, and the placeholder ``modified`` the issue saw."""
    directory.mkdir(parents=True, exist_ok=True)
    records = [
        ("GO-2099-0001", GO_MODULE, [{"introduced": "0"}, {"fixed": GO_FIX}]),
        ("GO-2099-0002", "stdlib", [{"introduced": "0"}, {"fixed": "1.21.5"}, {"introduced": "1.22.0"},
                                    {"fixed": "1.22.1"}]),
    ]  # fmt: skip
    for vuln_id, name, events in records:
        record = {
            "schema_version": "1.3.1",
            "id": vuln_id,
            "modified": PLACEHOLDER,
            "summary": f"Example flaw in {name}",
            "affected": [
                {"package": {"ecosystem": "Go", "name": name}, "ranges": [{"type": "SEMVER", "events": events}]}
            ],
        }
        (directory / f"{vuln_id}.json").write_text(json.dumps(record))


@dataclass
class Contract:
    base: str
    loaded: Loaded
    pins: list[tuple[str, str, set[str]]]  # (PyPI package, version, the ids the records list for it)
    commit: str  # a PSF record's introducing commit
    commit_id: str


@pytest.fixture(scope="module")
def contract(loaded: Loaded, shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Contract]:
    go = tmp_path_factory.mktemp("go")
    _go_records(go)
    AdvisoryImporter(loaded.runtime.database, loaded.runtime.clock).import_sources([str(go)])
    pins = exact_pins(shared_data / "osv" / "pypa-advisory-database.zip", 20, loaded.rejected)
    with loaded.runtime.database.read_session() as session:
        documents = session.scalars(
            sa.select(Advisory.document).where(Advisory.id.like("PSF-%"), Advisory.withdrawn.is_(None))
        ).all()
    commit, commit_id = next(
        (event["introduced"], d["id"])
        for d in sorted(documents, key=lambda d: d["id"])
        for entry in d.get("affected") or []
        for rng in entry.get("ranges") or []
        if rng["type"] == "GIT"
        for event in rng["events"]
        if event.get("introduced", "0") != "0"
    )
    with serving(loaded.runtime) as base:
        yield Contract(base, loaded, pins, commit, commit_id)


def _ids(result: dict[str, Any]) -> set[str]:
    return {v["id"] for v in result.get("vulns", [])}


def test_osv_scanner_querybatch(contract: Contract) -> None:
    """osv-scanner, as it sends a lockfile scan.

    - osv-scanner 1 (``pkg/osv/osv.go``): POST /v1/querybatch, ``Content-Type: application/json``, at most
      1,000 queries, each ``{"commit", "package": {"purl", "name", "ecosystem"}, "version"}`` with
      ``omitempty`` tags. Go's encoding/json ignores ``omitempty`` on a struct, so a commit query goes out as
      ``{"commit": "<sha>", "package": {}}``.
    - Go programs: module versions are pseudo-versions (``0.0.0-<time>-<hash>``) when untagged; the standard
      library is the package ``stdlib``; a binary built from source reports version ``(devel)``, which no
      ordering reads. In one reported scan that one query made the whole batch of 176 fail.
    - osv-scanner 2 (``osv.dev/bindings/go/osvdev``) reads the answer with protojson: no unknown field, and
      ``modified`` must be an RFC 3339 Timestamp (``osv_proto``).
    """
    pypi = [{"package": {"name": p, "ecosystem": "PyPI"}, "version": v} for p, v, _ in contract.pins]
    pseudo = "0.0.0-20210101000000-0123456789ab"
    extra: list[tuple[dict[str, Any], set[str]]] = [
        ({"commit": contract.commit, "package": {}}, {contract.commit_id}),
        ({"package": {"name": GO_MODULE, "ecosystem": "Go"}, "version": pseudo}, {"GO-2099-0001"}),
        ({"package": {"name": GO_MODULE, "ecosystem": "Go"}, "version": GO_FIX}, set()),
        ({"package": {"name": "stdlib", "ecosystem": "Go"}, "version": "1.21.4"}, {"GO-2099-0002"}),
        ({"package": {"name": "stdlib", "ecosystem": "Go"}, "version": "1.22.1"}, set()),
        ({"package": {"name": "cipherbcrypt", "ecosystem": "PyPI"}, "version": "1.0.0"}, {"PYSEC-2024-55"}),
        ({"package": {"name": "github.com/example/tool", "ecosystem": "Go"}, "version": "(devel)"}, set()),
    ]  # fmt: skip
    queries = pypi + [q for q, _ in extra]
    expected = [ids for _, _, ids in contract.pins] + [ids for _, ids in extra]
    response = httpx.post(f"{contract.base}/v1/querybatch", json={"queries": queries}, timeout=60)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["results"] and len(body["results"]) == len(queries)
    assert [_ids(r) for r in body["results"]] == expected
    devel = len(queries) - 1
    assert body["results"][devel] == {}  # answered as osv.dev answers an unreadable version
    assert response.headers["x-bastion-query-errors"] == f"1: queries[{devel}] invalid_version"
    for result in body["results"]:
        assert all(set(v) == {"id", "modified"} and RFC3339.match(v["modified"]) for v in result.get("vulns", []))
    placeholder = body["results"][len(pypi) + 5]["vulns"]
    assert placeholder == [{"id": "PYSEC-2024-55", "modified": PLACEHOLDER}]
    assert len(decode_batch(response.text).results) == len(queries)  # osv-scanner 2 reads it

    # Then osv-scanner fetches each record: GET /v1/vulns/{id}.
    for vuln_id in sorted(set().union(*expected))[:15]:
        record = httpx.get(f"{contract.base}/v1/vulns/{vuln_id}", timeout=30)
        assert record.status_code == 200 and record.json()["id"] == vuln_id


def test_a_batch_malformed_as_a_whole_is_a_400(contract: Contract) -> None:
    """A body that is not a batch at all fails as a whole, with osv.dev's envelope (INVALID_ARGUMENT = 3)."""
    for body in (b"{nope", b"[]", b'{"queries": {}}', b'{"queries": [{"version": 1}]}', b'{"queries": ["x"]}'):
        response = httpx.post(f"{contract.base}/v1/querybatch", content=body, timeout=30)
        assert response.status_code == 400, body
        error = response.json()
        assert error["code"] == 3 and error["message"] and error["hint"] and error["reason"] == "invalid_query"


def test_fields_we_do_not_know_are_ignored_as_osv_dev_ignores_them(contract: Contract) -> None:
    """osv.dev's JSON decoding ignores unknown fields, and osv-scanner 1.x sends one of its own (``omit``): the
    answer must be the one the same query gets without them."""
    query = {"package": {"name": "jinja2", "ecosystem": "PyPI", "extra": 1}, "version": "2.4.1"}
    plain = {"package": {"name": "jinja2", "ecosystem": "PyPI"}, "version": "2.4.1"}
    batch = httpx.post(
        f"{contract.base}/v1/querybatch", json={"queries": [{**query, "omit": True}], "future_flag": 1}, timeout=30
    )
    expected = httpx.post(f"{contract.base}/v1/querybatch", json={"queries": [plain]}, timeout=30)
    assert batch.status_code == 200 and batch.json() == expected.json()
    single = httpx.post(f"{contract.base}/v1/query", json={**query, "omit": True}, timeout=30)
    assert single.status_code == 200 and "PYSEC-2014-8" in _ids(single.json())


def test_an_empty_batch_is_an_empty_object(contract: Contract) -> None:
    """proto3 JSON leaves an empty list out, so osv.dev answers ``{}`` (osv-scanner 2 decodes either way)."""
    response = httpx.post(f"{contract.base}/v1/querybatch", json={"queries": []}, timeout=30)
    assert (response.status_code, response.text) == (200, "{}")
    assert list(decode_batch(response.text).results) == []


def test_failed_queries_say_why_when_asked(contract: Contract) -> None:
    """Bastion's extension: ``"bastion_errors": true`` puts the reason on each failed result. It is opt-in,
    because osv-scanner 2's protojson refuses an unknown field and would lose the whole batch."""
    good = {"package": {"name": "jinja2", "ecosystem": "PyPI"}, "version": "2.4.1"}
    bad = [
        ({"package": {"name": "x", "ecosystem": "Nope"}}, "unknown_ecosystem"),
        ({"package": {"purl": "pkg:nosuchtype/x@1"}}, "invalid_purl"),
        ({"commit": "not-a-hash"}, "invalid_commit"),
        ({"version": "1.0"}, "no_package"),
        ({"package": {"name": "jinja2", "ecosystem": "PyPI"}, "page_token": "garbage"}, "bad_page_token"),
    ]
    queries = [good, *[q for q, _ in bad], good]
    plain = httpx.post(f"{contract.base}/v1/querybatch", json={"queries": queries}, timeout=30)
    asked = httpx.post(f"{contract.base}/v1/querybatch", json={"queries": queries, "bastion_errors": True}, timeout=30)
    for response in (plain, asked):
        assert response.status_code == 200
        results = response.json()["results"]
        assert "PYSEC-2014-8" in _ids(results[0]) and _ids(results[0]) == _ids(results[-1])
    assert plain.json()["results"][1:-1] == [{}] * len(bad)
    decode_batch(plain.text)
    for result, (_, reason) in zip(asked.json()["results"][1:-1], bad, strict=True):
        assert set(result) == {"bastion_error"}
        assert result["bastion_error"]["reason"] == reason
        assert result["bastion_error"]["message"] and result["bastion_error"]["hint"]
    assert plain.headers["x-bastion-query-errors"].startswith(f"{len(bad)}: queries[1] unknown_ecosystem")


def test_pip_audit_queries(contract: Contract) -> None:
    """pip-audit (``pip_audit/_service/osv.py``): one POST per package to ``--osv-url`` (…/v1/query), the body
    ``json.dumps({"package": {"name": <canonical name>, "ecosystem": "PyPI"}, "version": <version>})`` sent
    as ``data=``, so with no Content-Type. A falsy answer (``{}``) means nothing found; otherwise it reads
    ``vulns`` (whole records: id, aliases, summary/details, affected ranges); it does not follow pages, and
    an HTTP error fails the audit."""
    with httpx.Client(base_url=contract.base, timeout=30) as client:
        for package, version, expected in [*contract.pins[:8], ("jinja2", "3.1.6", set())]:
            query = {"package": {"name": package, "ecosystem": "PyPI"}, "version": version}
            response = client.post("/v1/query", content=json.dumps(query).encode())
            assert "content-type" not in response.request.headers
            assert response.status_code == 200
            body = response.json()
            if not expected:
                assert body == {}
                continue
            assert set(body) == {"vulns"} and _ids(body) == expected
            assert all(v.get("affected") and ("summary" in v or "details" in v) for v in body["vulns"])
        bad = client.post("/v1/query", content=b'{"package": {"name": "x", "ecosystem": "Bogus"}, "version": "1"}')
    assert bad.status_code == 400
    error = bad.json()
    assert (error["code"], error["reason"]) == (3, "unknown_ecosystem") and error["message"] and error["hint"]


def test_uv_audit(contract: Contract) -> None:
    """uv (``crates/uv-audit/src/service/osv.rs``): POST /v1/querybatch (JSON) with ``{"package": {"name",
    "ecosystem": "PyPI"}, "version"}`` per dependency, ``page_token`` left out when it has none. It needs
    ``results`` in the answer; each result's ``vulns`` may be missing. While some results carry a
    ``next_page_token``, it sends a batch of just those queries with their tokens. Then it GETs
    /v1/vulns/{id} for the unique ids, concurrently, and reads ``modified`` (required) and ``published`` as
    RFC 3339 timestamps. Here the server pages every 3 hits, so the paging loop really runs."""
    with serving(contract.loaded.runtime, osv_page_size="3") as base, httpx.Client(base_url=base, timeout=30) as client:
        pending = [(p, v, None) for p, v, _ in contract.pins]
        found: dict[str, set[str]] = {p: set() for p, _, _ in contract.pins}
        rounds = 0
        while pending:
            rounds += 1
            queries = [
                {"package": {"name": p, "ecosystem": "PyPI"}, "version": v, **({"page_token": t} if t else {})}
                for p, v, t in pending
            ]
            response = client.post("/v1/querybatch", json={"queries": queries})
            assert response.status_code == 200, response.text
            results = response.json()["results"]
            assert len(results) == len(pending)
            for (package, _, _), result in zip(pending, results, strict=True):
                found[package] |= _ids(result)
            pending = [
                (p, v, r["next_page_token"])
                for (p, v, _), r in zip(pending, results, strict=True)
                if "next_page_token" in r
            ]
        assert rounds > 1, "some answer must span pages, or the paging loop was not exercised"
        assert found == {p: ids for p, _, ids in contract.pins}

        unique = sorted(set().union(*found.values()))
        with ThreadPoolExecutor(max_workers=8) as pool:
            records = list(pool.map(lambda vuln_id: client.get(f"/v1/vulns/{vuln_id}"), unique))
    assert [r.status_code for r in records] == [200] * len(unique)
    for vuln_id, record in zip(unique, records, strict=True):
        document = record.json()
        assert document["id"] == vuln_id and RFC3339.match(document["modified"])
        assert "published" not in document or RFC3339.match(document["published"])


def test_unknown_ids_and_bad_routes_use_the_osv_envelope(contract: Contract) -> None:
    """An unknown id is NOT_FOUND (5); a request the route cannot read is INVALID_ARGUMENT (3)."""
    missing = httpx.get(f"{contract.base}/v1/vulns/GO-1900-0001", timeout=30)
    assert missing.status_code == 404
    assert (missing.json()["code"], missing.json()["reason"]) == (5, "not_found") and missing.json()["hint"]
    too_long = httpx.get(f"{contract.base}/v1/vulns/{'X' * 300}", timeout=30)
    assert too_long.status_code == 400 and too_long.json()["code"] == 3
    api = httpx.get(f"{contract.base}/api/nothing-here", timeout=30)
    assert api.json()["code"] == "not_found"  # Bastion's own API keeps its own envelope
