"""What can be wrong with one OSV query, as data.

A query's problem is returned, never raised past the use case: a batch answers the queries it can and says
why it could not answer the others. Messages and hints here are the domain's own (a version grammar, the
closest ecosystem names); how to fix a request in terms of its transport (a JSON field, a CLI option) is each
shell's to say, keyed on ``Problem``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from bastion.advisories.errors import InvalidCommit, InvalidPurl, InvalidVersion, UnknownEcosystem
from bastion.core.errors import BastionError


class Problem(Enum):
    """Every way a query can be unanswerable. The value is the stable machine code shells publish."""

    UNKNOWN_ECOSYSTEM = "unknown_ecosystem"
    NUL_IN_TEXT = "nul_in_text"  # no name, version, purl or commit holds one (and PostgreSQL cannot compare it)
    INVALID_PURL = "invalid_purl"
    INVALID_VERSION = "invalid_version"
    INVALID_COMMIT = "invalid_commit"
    VERSION_TWICE = "version_twice"  # in the purl and on its own
    PURL_WITH_NAME = "purl_with_name"  # a purl and a name or ecosystem
    NO_PACKAGE = "no_package"  # neither a package nor a commit
    NO_NAME = "no_name"
    NO_ECOSYSTEM = "no_ecosystem"
    COMMIT_WITH_PACKAGE = "commit_with_package"  # a commit and a version or a package
    BAD_PAGE_TOKEN = "bad_page_token"  # noqa: S105 - a problem code; the token was not one this server issued
    FOREIGN_PAGE_TOKEN = "foreign_page_token"  # noqa: S105 - a problem code; the token was issued for another query


@dataclass(frozen=True, slots=True)
class QueryProblem:
    problem: Problem
    message: str
    hint: str | None = None  # the domain's own advice, free of any shell's vocabulary
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.problem.value


_BY_ERROR: tuple[tuple[type[BastionError], Problem], ...] = (
    (UnknownEcosystem, Problem.UNKNOWN_ECOSYSTEM),
    (InvalidPurl, Problem.INVALID_PURL),
    (InvalidVersion, Problem.INVALID_VERSION),
    (InvalidCommit, Problem.INVALID_COMMIT),
)


def problem_from(error: BastionError) -> QueryProblem:
    """The problem a domain parser reported by raising (an unknown ecosystem, a bad purl or version)."""
    for kind, problem in _BY_ERROR:
        if isinstance(error, kind):
            return QueryProblem(problem, error.message, error.hint, dict(error.details))
    raise error  # not a query problem: an operational failure must not pass for a bad query
