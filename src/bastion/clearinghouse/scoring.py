"""CVSS 3.1 and 4.0 vectors, validated and scored by the ``cvss`` library. Pure."""

from __future__ import annotations

from enum import StrEnum

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError

from bastion.clearinghouse.advisory import CvssScore
from bastion.clearinghouse.errors import invalid


class Severity(StrEnum):
    """Qualitative severity (CVSS's bands); ``none`` when no vector was given."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NONE = "none"


def parse_vector(vector: str) -> CvssScore:
    """Validate and score a CVSS 3.1 (``CVSS:3.1/...``) or 4.0 (``CVSS:4.0/...``) base vector."""
    text = vector.strip()
    try:
        if text.startswith("CVSS:3.1/"):
            v3 = CVSS3(text)
            return CvssScore(
                version="3.1",
                vector=v3.clean_vector(),
                base_score=float(v3.base_score),
                severity=str(v3.severities()[0]).upper(),
            )
        if text.startswith("CVSS:4.0/"):
            v4 = CVSS4(text)
            return CvssScore(
                version="4.0", vector=v4.clean_vector(), base_score=float(v4.base_score), severity=v4.severity.upper()
            )
    except CVSSError as e:
        raise invalid(
            f"CVSS vector {vector!r} is not valid: {e}",
            hint="compute one at https://www.first.org/cvss/calculator/ (3.1 or 4.0)",
            field="cvss_vector",
        ) from e
    raise invalid(
        f"CVSS vector {vector!r} is neither CVSS 3.1 nor 4.0",
        hint="start the vector with CVSS:3.1/ or CVSS:4.0/ (CVSS 3.0 and 2 are not accepted for new reports)",
        field="cvss_vector",
    )


def severity_of(score: CvssScore | None) -> Severity:
    if score is None:
        return Severity.NONE
    value = score.severity.lower()
    return Severity(value) if value in Severity.__members__.values() else Severity.NONE
