"""``0011_listed_order`` on existing data, on both backends: every affected entry gets its readable listed
versions in its ecosystem's order, and matching reads them; an order sorted by other orderings is ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from bastion.advisories import matching
from bastion.advisories.importer import AdvisoryImporter
from bastion.advisories.lookup import OsvQueries, QueryRequest
from bastion.advisories.query import QueryService
from bastion.advisories.service import AdvisoryService
from bastion.core.clock import SystemClock
from bastion.db import Database
from tests.integration.db.support import alembic_to

RECORD = {
    "schema_version": "1.6.0",
    "id": "PYSEC-2099-1",
    "modified": "2026-01-01T00:00:00Z",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "orderly"},
            # listed out of order, with two spellings of one version and a pre-PEP 440 release
            "versions": ["2.0", "1.10", "1.9", "1.0.0", "1.0", "0.9-eevee", "1.2rc1"],
        }
    ],
}


def _answer(database: Database, version: str) -> list[str]:
    queries = OsvQueries(QueryService(database), AdvisoryService(database), page_size=100)
    answer = queries.answer([QueryRequest(name="orderly", ecosystem="PyPI", version=version)]).answers[0]
    return [vuln_id for vuln_id, _ in answer.hits]


def _import(database: Database, tmp_path: Path) -> None:
    (tmp_path / "rec.json").write_text(json.dumps(RECORD))
    AdvisoryImporter(database, SystemClock()).import_sources([str(tmp_path / "rec.json")])


def test_existing_entries_get_their_order_and_match_as_before(database: Database, tmp_path: Path) -> None:
    _import(database, tmp_path)
    alembic_to(database, to="0010_review_disclosure")
    with database.engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("affected_packages")}
    assert "listed_order" not in columns
    alembic_to(database, to="head")
    with database.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT listed_order FROM affected_packages")).scalar_one()
    stored = json.loads(stored) if isinstance(stored, str) else stored
    assert stored["ordering"] == matching.ORDERING_REVISION
    # a pre-PEP 440 release sorts first (records may list them); equal versions keep the record's order
    assert stored["versions"] == ["0.9-eevee", "1.0.0", "1.0", "1.2rc1", "1.9", "1.10", "2.0"]
    for version, hit in [("1.0.0.0", True), ("1.10.0", True), ("1.2", False), ("0.9-eevee", True), ("3", False)]:
        assert _answer(database, version) == (["PYSEC-2099-1"] if hit else []), version


def test_an_order_from_other_orderings_is_ignored(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _import(database, tmp_path)
    with database.engine.begin() as connection:  # an order this code would never write: reversed
        connection.execute(
            sa.text("UPDATE affected_packages SET listed_order = :v"),
            {"v": json.dumps({"ordering": matching.ORDERING_REVISION, "versions": ["2.0", "1.9", "1.0"]})},
        )
    assert _answer(database, "1.9.0") == []  # a bisection over a wrong order misses: the order is what is read
    monkeypatch.setattr(matching, "ORDERING_REVISION", matching.ORDERING_REVISION + 1)
    assert _answer(database, "1.9.0") == ["PYSEC-2099-1"]  # stored by other orderings: recomputed
