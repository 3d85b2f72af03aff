"""The vulnerability database (OSV in and out, matching, KEV, the OSV query): the slice's public face for
the shells and the composition root.

The names load on first use (PEP 562): importing one module of the slice, as ``bastion defend scan`` does,
does not import the importer and its HTTP client too."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bastion.advisories.errors import AdvisoryError, InvalidQuery
    from bastion.advisories.importer import AdvisoryImporter
    from bastion.advisories.lookup import Answer, OsvQueries, QueryRequest, fixed_versions
    from bastion.advisories.problems import Problem, QueryProblem
    from bastion.advisories.query import PackageQuery
    from bastion.advisories.report import ImportReport
    from bastion.advisories.service import KEV_KEY, AdvisoryService

_WHERE = {
    "AdvisoryError": "errors",
    "InvalidQuery": "errors",
    "AdvisoryImporter": "importer",
    "Answer": "lookup",
    "OsvQueries": "lookup",
    "QueryRequest": "lookup",
    "fixed_versions": "lookup",
    "Problem": "problems",
    "QueryProblem": "problems",
    "PackageQuery": "query",
    "ImportReport": "report",
    "KEV_KEY": "service",
    "AdvisoryService": "service",
}

__all__ = [
    "KEV_KEY",
    "AdvisoryError",
    "AdvisoryImporter",
    "AdvisoryService",
    "Answer",
    "ImportReport",
    "InvalidQuery",
    "OsvQueries",
    "PackageQuery",
    "Problem",
    "QueryProblem",
    "QueryRequest",
    "fixed_versions",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
