"""The OSV-compatible API over the real data, as osv.dev clients call it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bastion.advisories.models import Advisory, AdvisoryAlias, KevEntry
from tests.integration.advisories.conftest import Loaded
from tests.integration.advisories.oracle import exact_pins, pypa_facts


def _ids(body: dict[str, Any]) -> set[str]:
    return {v["id"] for v in body.get("vulns", [])}


def _query_all(loaded: Loaded, query: dict[str, Any]) -> tuple[set[str], int]:
    """Follow next_page_token to the end; return the ids and the number of pages."""
    ids: set[str] = set()
    pages = 0
    while True:
        response = loaded.client.post("/v1/query", json=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        ids |= _ids(body)
        if "next_page_token" not in body:
            return ids, pages
        query = {**query, "page_token": body["next_page_token"]}


def test_query_by_name_matches_what_the_records_enumerate(loaded: Loaded, shared_data: Path) -> None:
    pins = exact_pins(shared_data / "osv" / "pypa-advisory-database.zip", 40, loaded.rejected)
    assert len(pins) == 40
    for package, version, expected in pins:
        found, _ = _query_all(loaded, {"version": version, "package": {"name": package, "ecosystem": "PyPI"}})
        assert found == expected, f"{package}=={version}"


def test_query_by_purl_with_and_without_version(loaded: Loaded, shared_data: Path) -> None:
    package, version, expected = exact_pins(shared_data / "osv" / "pypa-advisory-database.zip", 5, loaded.rejected)[2]
    with_version, _ = _query_all(loaded, {"package": {"purl": f"pkg:pypi/{package}@{version}"}})
    assert with_version == expected
    separate, _ = _query_all(loaded, {"version": version, "package": {"purl": f"pkg:pypi/{package}"}})
    assert separate == expected
    every, _ = _query_all(loaded, {"package": {"purl": f"pkg:pypi/{package}"}})
    assert every == pypa_facts(shared_data / "osv" / "pypa-advisory-database.zip")[package].records - loaded.rejected


def test_names_are_normalized_as_pypi_does(loaded: Loaded) -> None:
    canonical, _ = _query_all(loaded, {"version": "2.4.1", "package": {"name": "jinja2", "ecosystem": "PyPI"}})
    spelled, _ = _query_all(loaded, {"version": "2.4.1", "package": {"name": "Jinja2", "ecosystem": "pypi"}})
    assert canonical and canonical == spelled


def test_legacy_releases_the_data_lists_are_answered(loaded: Loaded, shared_data: Path) -> None:
    """paramiko 0.9-doduo predates PEP 440; the records list it, so it is a real release, not bad input."""
    facts = pypa_facts(shared_data / "osv" / "pypa-advisory-database.zip")["paramiko"]
    assert facts.fully_enumerated
    expected = facts.versions["0.9-doduo"] - loaded.rejected
    assert expected
    found, _ = _query_all(loaded, {"version": "0.9-doduo", "package": {"name": "paramiko", "ecosystem": "PyPI"}})
    assert found == expected


def test_pagination_returns_everything_once(loaded: Loaded) -> None:
    query = {"package": {"name": "django", "ecosystem": "PyPI"}}  # page size is 3 in these tests
    ids, pages = _query_all(loaded, query)
    with loaded.runtime.database.read_session() as session:
        stored = session.scalar(
            sa.text(
                "SELECT count(DISTINCT p.advisory_id) FROM affected_packages p JOIN advisories a "
                "ON a.id = p.advisory_id WHERE p.ecosystem = 'PyPI' AND p.name = 'django' AND a.withdrawn IS NULL"
            )
        )
    assert len(ids) == stored
    assert pages == -(-stored // 3)


def test_a_page_token_from_another_query_is_rejected(loaded: Loaded) -> None:
    first = loaded.client.post("/v1/query", json={"package": {"name": "django", "ecosystem": "PyPI"}}).json()
    response = loaded.client.post(
        "/v1/query",
        json={"package": {"name": "flask", "ecosystem": "PyPI"}, "page_token": first["next_page_token"]},
    )
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["reason"]) == (3, "foreign_page_token")


def test_request_without_content_type_is_accepted(loaded: Loaded) -> None:
    body = json.dumps({"version": "2.4.1", "package": {"name": "jinja2", "ecosystem": "PyPI"}})
    response = loaded.client.post("/v1/query", content=body.encode())
    assert "content-type" not in response.request.headers
    assert response.status_code == 200
    assert "PYSEC-2014-8" in _ids(response.json())


def test_unaffected_version_is_an_empty_object(loaded: Loaded) -> None:
    response = loaded.client.post(
        "/v1/query", json={"version": "3.1.6", "package": {"name": "jinja2", "ecosystem": "PyPI"}}
    )
    assert response.status_code == 200
    assert response.json() == {}


@pytest.mark.parametrize(
    ("query", "code", "fragment"),
    [
        ({"package": {"name": "jinja2", "ecosystem": "PyPl"}}, "unknown_ecosystem", "did you mean PyPI"),
        ({"package": {"purl": "pkg:nosuchtype/x@1"}}, "invalid_purl", "nosuchtype"),
        ({"package": {"purl": "not a purl"}}, "invalid_purl", "invalid package URL"),
        (
            {"version": "1.0", "package": {"purl": "pkg:pypi/jinja2@2.4.1"}},
            "version_twice",
            "version is given twice",
        ),
        ({"version": "1.0"}, "no_package", "needs a package"),
        ({"package": {"ecosystem": "PyPI"}}, "no_name", "no name"),
        ({"package": {"name": "jinja2"}}, "no_ecosystem", "needs its ecosystem"),
        ({"package": {"purl": "pkg:pypi/jinja2", "ecosystem": "PyPI"}}, "purl_with_name", "give no name"),
        ({"commit": "xyz"}, "invalid_commit", "not a Git commit hash"),
        ({"commit": "6c939cb6f6df", "version": "1.0"}, "commit_with_package", "no package and no version"),
        (
            {"version": "not a version!", "package": {"name": "jinja2", "ecosystem": "PyPI"}},
            "invalid_version",
            "not",
        ),
    ],
)
def test_bad_queries_are_clear_400s(loaded: Loaded, query: dict[str, Any], code: str, fragment: str) -> None:
    """osv.dev's envelope (gRPC INVALID_ARGUMENT = 3) with Bastion's reason and a hint on how to fix it."""
    response = loaded.client.post("/v1/query", json=query)
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["code"], body["reason"]) == (3, code)
    assert fragment in body["message"] + body.get("hint", "")
    assert body.get("hint"), "every bad query says how to fix it"


def test_malformed_json_is_a_400(loaded: Loaded) -> None:
    response = loaded.client.post("/v1/query", content=b"{nope")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["message"]


def test_querybatch_keeps_order_and_can_return_full_records(loaded: Loaded, shared_data: Path) -> None:
    pins = exact_pins(shared_data / "osv" / "pypa-advisory-database.zip", 30, loaded.rejected)
    queries = [{"version": v, "package": {"name": p, "ecosystem": "PyPI"}} for p, v, _ in pins]
    queries.insert(7, {"version": "99.0.0", "package": {"name": "jinja2", "ecosystem": "PyPI"}})
    expected = [ids for _, _, ids in pins]
    expected.insert(7, set())

    body = loaded.client.post("/v1/querybatch", json={"queries": queries}).json()
    assert len(body["results"]) == len(queries)
    for result, want in zip(body["results"], expected, strict=True):
        got = _ids(result)
        assert got == want or (len(got) == 3 and got < want and "next_page_token" in result)
        assert all(set(v) == {"id", "modified"} for v in result.get("vulns", []))

    full = loaded.client.post("/v1/querybatch", json={"queries": queries[:3], "full_records": True}).json()
    assert all("affected" in v for result in full["results"] for v in result.get("vulns", []))


def test_querybatch_malformed_as_a_whole_is_a_400_naming_the_query(loaded: Loaded) -> None:
    one = {"package": {"name": "jinja2", "ecosystem": "PyPI"}, "version": "2.4.1"}
    too_many = loaded.client.post("/v1/querybatch", json={"queries": [one] * 1001})
    assert too_many.status_code == 400
    assert "1000" in too_many.json()["message"]
    wrong_type = loaded.client.post("/v1/querybatch", json={"queries": [one, {"version": 2}]})
    assert wrong_type.status_code == 400
    assert (wrong_type.json()["code"], wrong_type.json()["reason"]) == (3, "invalid_query")
    assert "queries.1.version" in wrong_type.json()["message"]


def test_get_by_id_and_by_alias(loaded: Loaded) -> None:
    direct = loaded.client.get("/v1/vulns/PYSEC-2021-66")
    assert direct.status_code == 200
    assert direct.json()["id"] == "PYSEC-2021-66"
    with loaded.runtime.database.read_session() as session:
        alias, holders = session.execute(
            sa.select(AdvisoryAlias.alias, sa.func.count())
            .where(AdvisoryAlias.alias.like("CVE-%"))
            .group_by(AdvisoryAlias.alias)
            .having(sa.func.count() > 1)
            .order_by(AdvisoryAlias.alias)
        ).first()
        members = set(session.scalars(sa.select(AdvisoryAlias.advisory_id).where(AdvisoryAlias.alias == alias)))
    response = loaded.client.get(f"/v1/vulns/{alias}")
    assert response.status_code == 200
    assert alias in response.json()["aliases"]
    group = set(response.headers["x-bastion-alias-group"].split(", "))
    assert members <= group and len(members) == holders


def test_unknown_id_is_404_with_a_message(loaded: Loaded) -> None:
    response = loaded.client.get("/v1/vulns/PYSEC-1900-1")
    assert response.status_code == 404
    assert (response.json()["code"], response.json()["reason"]) == (5, "not_found")
    assert "PYSEC-1900-1" in response.json()["message"]


def test_withdrawn_records_are_returned_by_id_but_never_match(loaded: Loaded) -> None:
    with loaded.runtime.database.read_session() as session:
        withdrawn = session.scalars(sa.select(Advisory).where(Advisory.withdrawn.is_not(None)).limit(5)).all()
    assert withdrawn
    for advisory in withdrawn:
        body = loaded.client.get(f"/v1/vulns/{advisory.id}").json()
        assert body["id"] == advisory.id and body["withdrawn"]
        for entry in advisory.document.get("affected") or []:
            for version in (entry.get("versions") or [])[:3]:
                package = {"name": entry["package"]["name"], "ecosystem": entry["package"]["ecosystem"]}
                query = {"version": version, "package": package}
                found, _ = _query_all(loaded, query)
                assert advisory.id not in found


def test_known_exploited_records_say_so(loaded: Loaded) -> None:
    with loaded.runtime.database.read_session() as session:
        vuln_id, cve = session.execute(
            sa.select(AdvisoryAlias.advisory_id, AdvisoryAlias.alias)
            .join(KevEntry, KevEntry.cve_id == AdvisoryAlias.alias)
            .order_by(AdvisoryAlias.advisory_id)
        ).first()
    body = loaded.client.get(f"/v1/vulns/{vuln_id}").json()
    assert [k["cve"] for k in body["database_specific"]["bastion_known_exploited"]] == [cve]
    plain = loaded.client.get("/v1/vulns/PYSEC-2021-66").json()
    assert "bastion_known_exploited" not in (plain.get("database_specific") or {})


def _git_events(document: dict[str, Any], kind: str) -> list[str]:
    return [
        event[kind]
        for entry in document.get("affected") or []
        for rng in entry.get("ranges") or []
        if rng["type"] == "GIT"
        for event in rng["events"]
        if event.get(kind, "0") != "0"
    ]


def test_commit_query_decides_the_commits_a_record_names(loaded: Loaded) -> None:
    with loaded.runtime.database.read_session() as session:
        documents = session.scalars(
            sa.select(Advisory.document).where(Advisory.id.like("PSF-%"), Advisory.withdrawn.is_(None))
        ).all()
    with_introduced = [d for d in documents if _git_events(d, "introduced") and _git_events(d, "fixed")]
    assert with_introduced, "the PSF data has records with an introducing commit"
    document = with_introduced[0]
    introduced, fixed = _git_events(document, "introduced")[0], _git_events(document, "fixed")[0]
    assert document["id"] in _ids(loaded.client.post("/v1/query", json={"commit": introduced}).json())
    assert document["id"] in _ids(loaded.client.post("/v1/query", json={"commit": introduced[:12]}).json())
    assert document["id"] not in _ids(loaded.client.post("/v1/query", json={"commit": fixed}).json())
