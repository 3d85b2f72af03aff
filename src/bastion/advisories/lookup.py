"""The OSV query use case: which advisories affect a package version, a purl or a commit.

Both shells call it, the ``/v1`` API and ``bastion query``. It reads a request, pages the matcher's answer,
combines it with the served records (aliases, known-exploited status) of the same data generation, and
returns every query's answer or its problem as data: one query's mistake never costs the others theirs.
Shells render problems in their own words (``problems.Problem`` is the key).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bastion.advisories.ecosystems import normalize_package_name, package_from_purl, parse_ecosystem
from bastion.advisories.package_index import HitList
from bastion.advisories.problems import Problem, QueryProblem, problem_from
from bastion.advisories.query import CommitQuery, PackageQuery, Query, QueryService, offset_from_token, page_token
from bastion.advisories.service import AdvisoryService, StoredAdvisory
from bastion.advisories.versions import sort_key
from bastion.core.errors import BastionError

MAX_ATTEMPTS = 3  # answers are recomputed when the data moves between matching and reading the records


@dataclass(frozen=True, slots=True)
class QueryRequest:
    """One query as a shell received it, not yet checked."""

    commit: str | None = None
    version: str | None = None
    name: str | None = None
    ecosystem: str | None = None
    purl: str | None = None
    page_token: str | None = None

    @property
    def names_a_package(self) -> bool:
        return bool(self.name or self.ecosystem or self.purl)


_TEXTS = (
    ("commit", "commit"),
    ("version", "version"),
    ("name", "package name"),
    ("ecosystem", "ecosystem"),
    ("purl", "purl"),
    ("page_token", "page token"),
)


def parse_request(request: QueryRequest) -> Query | QueryProblem:
    """The query a request asks, or what is wrong with it."""
    for field, what in _TEXTS:
        if "\x00" in (getattr(request, field) or ""):
            return QueryProblem(Problem.NUL_IN_TEXT, f"the {what} contains a NUL character", "remove it (U+0000)")
    try:
        if request.commit:
            return _commit_query(request)
        if request.purl:
            return _purl_query(request)
        return _name_query(request)
    except BastionError as e:
        return problem_from(e)


def _commit_query(request: QueryRequest) -> Query | QueryProblem:
    if request.version or request.names_a_package:
        return QueryProblem(Problem.COMMIT_WITH_PACKAGE, "a commit query takes no package and no version")
    value = request.commit.strip().lower() if request.commit else ""
    if not (7 <= len(value) <= 64) or any(c not in "0123456789abcdef" for c in value):
        return QueryProblem(
            Problem.INVALID_COMMIT,
            f"commit {request.commit!r} is not a Git commit hash",
            "a commit is 7 to 64 hexadecimal digits, best the full 40 (SHA-1) or 64 (SHA-256)",
        )
    return CommitQuery(value)


def _purl_query(request: QueryRequest) -> Query | QueryProblem:
    if request.name or request.ecosystem:
        return QueryProblem(Problem.PURL_WITH_NAME, "a purl names the package: give no name or ecosystem with it")
    package = package_from_purl(request.purl or "")
    if package.version and request.version:
        return QueryProblem(Problem.VERSION_TWICE, "the version is given twice: in the purl and on its own")
    name = normalize_package_name(package.ecosystem, package.name)
    return PackageQuery(package.ecosystem, name, package.version or request.version or None)


def _name_query(request: QueryRequest) -> Query | QueryProblem:
    if not request.name and not request.ecosystem:
        return QueryProblem(Problem.NO_PACKAGE, "a query needs a package (a name and ecosystem, or a purl) or a commit")
    if not request.name:
        return QueryProblem(Problem.NO_NAME, "the package has an ecosystem but no name")
    if not request.ecosystem:
        return QueryProblem(Problem.NO_ECOSYSTEM, f"package {request.name!r} needs its ecosystem")
    ecosystem = parse_ecosystem(request.ecosystem)
    return PackageQuery(ecosystem, normalize_package_name(ecosystem, request.name), request.version or None)


@dataclass(frozen=True, slots=True)
class Answer:
    """One query's answer: a page of hits (and the token for the next), or the problem that stopped it."""

    query: Query | None
    hits: HitList
    next_page_token: str | None = None
    problem: QueryProblem | None = None
    records: tuple[StoredAdvisory, ...] = ()  # the hits' served records, when they were asked for


@dataclass(frozen=True, slots=True)
class Answers:
    generation: int  # the data generation every answer and record comes from
    answers: tuple[Answer, ...]


class OsvQueries:
    """Answers OSV queries, pages them and attaches the served records, all from one data generation."""

    def __init__(self, matcher: QueryService, advisories: AdvisoryService, *, page_size: int) -> None:
        self._matcher = matcher
        self._advisories = advisories
        self.page_size = page_size

    def answer(self, requests: Sequence[QueryRequest], *, records: bool = False, paged: bool = True) -> Answers:
        """Each request's answer, in order. ``records``: attach the served records; ``paged``: at most
        ``page_size`` hits per answer, with a token for the rest (``bastion query`` wants them all)."""
        parsed = [parse_request(request) for request in requests]
        attempt = 1
        while (
            result := self._attempt(requests, parsed, records=records, paged=paged, settle=attempt >= MAX_ATTEMPTS)
        ) is None:
            attempt += 1
        return result

    def _attempt(
        self,
        requests: Sequence[QueryRequest],
        parsed: Sequence[Query | QueryProblem],
        *,
        records: bool,
        paged: bool,
        settle: bool = False,
    ) -> Answers | None:
        queries = [item for item in parsed if not isinstance(item, QueryProblem)]
        generation, matched = self._matcher.match_at_generation(queries)
        outcomes = iter(matched)
        answers = [
            Answer(None, HitList(), problem=item)
            if isinstance(item, QueryProblem)
            else self._page(item, next(outcomes), request.page_token, paged=paged)
            for request, item in zip(requests, parsed, strict=True)
        ]
        if not records:
            return Answers(generation, tuple(answers))
        wanted = [vuln_id for answer in answers for vuln_id, _ in answer.hits]
        stored = self._advisories.records(wanted, generation=generation)
        if len(stored) < len(set(wanted)) and not settle:
            return None  # the data moved between matching and reading: answer again from the new data
        return Answers(
            generation,
            tuple(
                Answer(
                    a.query,
                    a.hits,
                    a.next_page_token,
                    a.problem,
                    tuple(stored[vuln_id] for vuln_id, _ in a.hits if vuln_id in stored),
                )
                for a in answers
            ),
        )

    def _page(self, query: Query, matched: HitList | QueryProblem, token: str | None, *, paged: bool) -> Answer:
        if isinstance(matched, QueryProblem):
            return Answer(query, HitList(), problem=matched)
        offset = offset_from_token(query, token)
        if isinstance(offset, QueryProblem):
            return Answer(query, HitList(), problem=offset)
        if not paged or (offset == 0 and len(matched) <= self.page_size):
            return Answer(query, matched)  # the whole, remembered answer: its serialized form is reused
        end = offset + self.page_size
        more = page_token(query, end) if end < len(matched) else None
        return Answer(query, HitList(matched[offset:end]), next_page_token=more)


def fixed_versions(document: Mapping[str, Any], query: PackageQuery) -> list[str]:
    """The versions that fix the record for the queried package (its ranges' ``fixed`` events), in order."""
    found: set[str] = set()
    for entry in document.get("affected") or ():
        package = entry.get("package") or {}
        try:
            ecosystem = parse_ecosystem(str(package.get("ecosystem", "")))
        except BastionError:
            continue
        if ecosystem.name != query.ecosystem.name:
            continue
        if normalize_package_name(ecosystem, str(package.get("name", ""))) != query.name:
            continue
        for rng in entry.get("ranges") or ():
            if rng.get("type") != "GIT":
                found.update(str(e["fixed"]) for e in rng.get("events") or () if "fixed" in e)
    return sorted(found, key=lambda version: _order(query, version))


def _order(query: PackageQuery, version: str) -> tuple[int, Any]:
    try:
        return (0, sort_key(query.ecosystem, version))
    except BastionError:
        return (1, version)  # a version the ordering cannot read goes last, alphabetically
