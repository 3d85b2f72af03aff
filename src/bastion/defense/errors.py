"""Errors of the defense slice: one base, each concrete error also a kind (for HTTP and exit codes)."""

from __future__ import annotations

from bastion.core.errors import BastionError, Conflict, InvalidInput


class DefenseError(BastionError):
    """Base of every error the defense slice raises on purpose."""

    default_code = "defense_error"


class InvalidInventory(DefenseError, InvalidInput):  # noqa: N818 - names a kind, like the core errors
    """An SBOM or lockfile that cannot be read: an unknown format, or a malformed document (nothing is kept)."""

    default_code = "invalid_inventory"


class UnknownFormat(InvalidInventory):
    """The upload is none of the SBOM or lockfile formats Bastion reads."""

    default_code = "unknown_inventory_format"


class InvalidDefenseInput(DefenseError, InvalidInput):  # noqa: N818 - as above
    """A field of a request that is not acceptable (``details["field"]`` names it)."""

    default_code = "invalid_defense_input"


class InvalidVex(DefenseError, InvalidInput):  # noqa: N818 - as above
    """A VEX decision or document that cannot be accepted."""

    default_code = "invalid_vex"


class InvalidEpss(DefenseError, InvalidInput):  # noqa: N818 - as above
    """An EPSS file that is not FIRST's CSV format."""

    default_code = "invalid_epss"


class DefenseConflict(DefenseError, Conflict):  # noqa: N818 - as above
    """The request clashes with what exists (a system or project name already taken)."""

    default_code = "defense_conflict"
