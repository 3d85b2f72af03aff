"""The CWE catalogue (MITRE's, through the ``cwe2`` package): whether an id exists and its official name.

Loaded on first use (about 0.4 s) and kept for the process.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from bastion.core.ids import CweID

_CWE_ID = re.compile(r"^CWE-(\d+)$")


@cache
def _catalogue() -> Any:
    from cwe2.database import Database

    return Database()


def cwe_name(cwe_id: CweID) -> str | None:
    """The official name of ``CWE-<n>``, or None for a malformed or unknown id."""
    match = _CWE_ID.match(cwe_id)
    if match is None:
        return None
    from cwe2.database import InvalidCWEError

    try:
        weakness = _catalogue().get(int(match.group(1)))
    except InvalidCWEError:
        return None
    name = getattr(weakness, "name", None)
    return str(name) if name else None
