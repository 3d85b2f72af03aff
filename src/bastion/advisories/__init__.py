"""The vulnerability database (OSV in and out, matching, KEV, the OSV query): the slice's public face for
the shells and the composition root."""

from bastion.advisories.errors import AdvisoryError, InvalidQuery
from bastion.advisories.importer import AdvisoryImporter
from bastion.advisories.lookup import Answer, OsvQueries, QueryRequest, fixed_versions
from bastion.advisories.problems import Problem, QueryProblem
from bastion.advisories.query import PackageQuery
from bastion.advisories.report import ImportReport
from bastion.advisories.service import KEV_KEY, AdvisoryService

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
