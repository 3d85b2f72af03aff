"""An advisory's severity, read from its OSV ``severity`` vectors through the ``cvss`` library (the newest
CVSS version the record gives wins). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError

from bastion.defense.records import Severity

_PREFERENCE = ("CVSS_V4", "CVSS_V3")


def severity(document: Mapping[str, Any]) -> Severity | None:
    vectors = {str(s.get("type")): str(s.get("score", "")) for s in document.get("severity") or ()}
    for kind in _PREFERENCE:
        vector = vectors.get(kind)
        if not vector:
            continue
        try:
            if kind == "CVSS_V4":
                v4 = CVSS4(vector)
                return Severity(vector=vector, score=float(v4.base_score), rating=str(v4.severity))
            v3 = CVSS3(vector)
            return Severity(vector=vector, score=float(v3.scores()[0]), rating=str(v3.severities()[0]))
        except CVSSError:
            continue  # a broken vector in a record: try the next, else no severity
    return None
