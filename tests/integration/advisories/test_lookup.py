"""The OSV query use case both shells call: answers, problems as data, records from one data generation."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa

from bastion.advisories.ecosystems import Ecosystem
from bastion.advisories.importer import AdvisoryImporter
from bastion.advisories.lookup import OsvQueries, QueryRequest, fixed_versions
from bastion.advisories.models import Advisory
from bastion.advisories.problems import Problem
from bastion.advisories.query import PackageQuery, QueryService, page_token
from bastion.advisories.service import AdvisoryService, StoredAdvisory
from bastion.core.clock import ManualClock
from bastion.db import Database

WIDGET = "widget"


def _import(database: Database, clock: ManualClock, directory: Path, records: dict[str, list[dict[str, str]]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for vuln_id, events in records.items():
        record = {
            "id": vuln_id,
            "modified": "2024-05-01T00:00:00Z",
            "summary": f"flaw {vuln_id}",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": WIDGET},
                    "ranges": [{"type": "ECOSYSTEM", "events": events}],
                }
            ],
        }
        (directory / f"{vuln_id}.json").write_text(json.dumps(record))
    AdvisoryImporter(database, clock).import_sources([str(directory)])


def _queries(database: Database, advisories: AdvisoryService | None = None, page_size: int = 1000) -> OsvQueries:
    return OsvQueries(QueryService(database), advisories or AdvisoryService(database), page_size=page_size)


def test_one_bad_query_costs_the_others_nothing(database: Database, clock: ManualClock, tmp_path: Path) -> None:
    _import(database, clock, tmp_path / "a", {"PYSEC-2099-1": [{"introduced": "1.0"}, {"fixed": "2.0"}]})
    requests = [
        QueryRequest(name=WIDGET, ecosystem="PyPI", version="1.5"),
        QueryRequest(name=WIDGET, ecosystem="PyPI", version="not a version!"),
        QueryRequest(name=WIDGET, ecosystem="Nope", version="1.5"),
        QueryRequest(commit="xyz"),
        QueryRequest(purl=f"pkg:pypi/{WIDGET}@1.5"),
    ]
    answers = _queries(database).answer(requests).answers
    assert [[vid for vid, _ in a.hits] for a in answers] == [["PYSEC-2099-1"], [], [], [], ["PYSEC-2099-1"]]
    assert [a.problem.problem if a.problem else None for a in answers] == [
        None,
        Problem.INVALID_VERSION,
        Problem.UNKNOWN_ECOSYSTEM,
        Problem.INVALID_COMMIT,
        None,
    ]


def test_problems_speak_no_shell_vocabulary(database: Database) -> None:
    """The service says what is wrong; how to fix it in terms of a JSON field, a route or a CLI option is the
    shells' to say (each keys its own hints on ``Problem``)."""
    bad = [
        QueryRequest(version="1.0"),
        QueryRequest(ecosystem="PyPI"),
        QueryRequest(name=WIDGET),
        QueryRequest(name=WIDGET, ecosystem="PyPl"),
        QueryRequest(purl="pkg:nosuchtype/x@1"),
        QueryRequest(purl="not a purl"),
        QueryRequest(purl=f"pkg:pypi/{WIDGET}@1.0", version="1.0"),
        QueryRequest(purl=f"pkg:pypi/{WIDGET}", name=WIDGET),
        QueryRequest(commit="xyz"),
        QueryRequest(commit="6c939cb6f6df", version="1.0"),
        QueryRequest(name=WIDGET, ecosystem="PyPI", version="not a version!"),
        QueryRequest(name=WIDGET, ecosystem="PyPI", page_token="garbage"),
        QueryRequest(
            name=WIDGET, ecosystem="PyPI", page_token=page_token(PackageQuery(Ecosystem("PyPI"), "other", None), 3)
        ),
        QueryRequest(name=WIDGET, ecosystem="Go", version="(devel)"),
        QueryRequest(name=f"{WIDGET}\x00", ecosystem="PyPI"),
    ]
    answers = _queries(database).answer(bad).answers
    problems = [a.problem for a in answers]
    assert all(problems), [r for r, p in zip(bad, problems, strict=True) if p is None]
    assert {p.problem for p in problems if p} == set(Problem)
    for problem in problems:
        assert problem is not None
        text = f"{problem.message} {problem.hint or ''}"
        for word in ("--", "/v1", "/docs", '{"', "bastion ", "page_token", "next_page_token"):
            assert word not in text, (problem.problem, text)


def test_records_come_from_one_generation_even_when_an_import_lands_between(
    database: Database, clock: ManualClock, tmp_path: Path
) -> None:
    """The records are read after matching; a concurrent import may replace them in between. The answer is
    then computed again from the new data, so a shell never holds an id without its record (``bastion
    query`` once looked ids up in a dict and raised KeyError)."""
    _import(database, clock, tmp_path / "a", {"PYSEC-2099-1": [{"introduced": "1.0"}, {"fixed": "2.0"}]})

    class ImportLandsFirst(AdvisoryService):
        """The advisory service, as a concurrent import finds it: the record is gone, a successor is in."""

        landed = False

        def records(self, ids: Sequence[str], *, generation: int | None = None) -> dict[str, StoredAdvisory]:
            if not self.landed:
                self.landed = True
                with database.session() as session:
                    session.execute(sa.delete(Advisory).where(Advisory.id == "PYSEC-2099-1"))
                _import(database, clock, tmp_path / "b", {"PYSEC-2099-2": [{"introduced": "1.0"}]})
            return super().records(ids, generation=generation)

    answer = (
        _queries(database, ImportLandsFirst(database))
        .answer([QueryRequest(name=WIDGET, ecosystem="PyPI", version="1.5")], records=True)
        .answers[0]
    )
    assert [vid for vid, _ in answer.hits] == ["PYSEC-2099-2"]
    assert [r.document["id"] for r in answer.records] == ["PYSEC-2099-2"]


def test_pages_and_fixed_versions(database: Database, clock: ManualClock, tmp_path: Path) -> None:
    _import(
        database,
        clock,
        tmp_path / "a",
        {
            f"PYSEC-2099-{n}": [{"introduced": "0"}, {"fixed": f"1.{n}"}, {"introduced": "3.0"}, {"fixed": "3.1"}]
            for n in range(1, 6)
        },
    )
    queries = _queries(database, page_size=2)
    first = queries.answer([QueryRequest(name=WIDGET, ecosystem="PyPI", version="0.5")]).answers[0]
    assert len(first.hits) == 2 and first.next_page_token
    seen = [vid for vid, _ in first.hits]
    token: str | None = first.next_page_token
    while token:
        page = queries.answer([QueryRequest(name=WIDGET, ecosystem="PyPI", version="0.5", page_token=token)]).answers[0]
        seen += [vid for vid, _ in page.hits]
        token = page.next_page_token
    assert seen == [f"PYSEC-2099-{n}" for n in range(1, 6)]
    everything = queries.answer([QueryRequest(name=WIDGET, ecosystem="PyPI", version="0.5")], paged=False, records=True)
    answer = everything.answers[0]
    assert len(answer.records) == 5 and answer.next_page_token is None
    assert isinstance(answer.query, PackageQuery)
    assert fixed_versions(answer.records[0].document, answer.query) == ["1.1", "3.1"]
