"""Errors of the advisories slice: one base, concrete errors that are also a kind (``InvalidInput``...)."""

from __future__ import annotations

from bastion.core.errors import BastionError, InvalidInput, NotFound, OperationalError


class AdvisoryError(BastionError):
    """Base of every error the advisories slice raises on purpose."""

    default_code = "advisory_error"


class UnknownEcosystem(AdvisoryError, InvalidInput):  # noqa: N818 - reads as a kind of error, like core.errors
    """An ecosystem string that is not one of the OSV-defined ecosystems."""

    default_code = "unknown_ecosystem"


class InvalidVersion(AdvisoryError, InvalidInput):  # noqa: N818 - reads as a kind of error, like core.errors
    """A version string that is not a version of its ecosystem (only for ecosystems with a grammar)."""

    default_code = "invalid_version"


class InvalidSource(AdvisoryError, InvalidInput):  # noqa: N818 - reads as a kind of error, like core.errors
    """An import source that does not exist or is not a directory, zip, URL, OSV record or KEV catalogue."""

    default_code = "invalid_source"


class SourceUnreachable(AdvisoryError, OperationalError):  # noqa: N818 - reads as a kind of error, like core.errors
    """A remote source (an OSV ``all.zip`` URL) could not be downloaded."""

    default_code = "source_unreachable"


class InvalidQuery(AdvisoryError, InvalidInput):  # noqa: N818 - reads as a kind of error, like core.errors
    """An OSV API query that is malformed or contradictory."""

    default_code = "invalid_query"


class AdvisoryNotFound(AdvisoryError, NotFound):  # noqa: N818 - reads as a kind of error, like core.errors
    default_code = "not_found"


class InvalidPurl(AdvisoryError, InvalidInput):  # noqa: N818 - reads as a kind of error, like core.errors
    """A Package URL that does not parse, or whose type has no OSV ecosystem."""

    default_code = "invalid_purl"


class InvalidCommit(AdvisoryError, InvalidInput):  # noqa: N818 - reads as a kind of error, like core.errors
    """A Git commit that is not 7 to 64 hexadecimal digits."""

    default_code = "invalid_commit"
