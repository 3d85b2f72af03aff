"""What a clearinghouse case publishes, as one typed record: the single source every format is written from.

``PublishedAdvisory`` is built by the publication use case from a case (its reports, vendors and their
statuses, the fix, the embargo dates) and rendered by ``bastion.clearinghouse.formats`` into an OSV record
(which also goes into the ``advisories`` database, so `/v1` answers it), a CSAF 2.0 security advisory and its
CSAF VEX variant, and a CVE JSON 5 record once a CVE is assigned. Nothing here knows a format.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from bastion.core.ids import AdvisoryID, CaseID, CveID, CweID

PUBLISHER_NAME = "Bastion AI Cybersecurity Clearinghouse"
PUBLISHER_NAMESPACE = "https://clearinghouse.bastion.example"  # replaced by BASTION_PUBLIC_URL where set


class VendorStatus(StrEnum):
    """A vendor's answer for its product in a case: the CSAF product-status / VEX vocabulary."""

    AFFECTED = "affected"
    NOT_AFFECTED = "not_affected"
    FIXED = "fixed"
    UNDER_INVESTIGATION = "under_investigation"


class NotAffectedJustification(StrEnum):
    """The CSAF 2.0 (and OpenVEX) justifications for ``not_affected``."""

    COMPONENT_NOT_PRESENT = "component_not_present"
    VULNERABLE_CODE_NOT_PRESENT = "vulnerable_code_not_present"
    VULNERABLE_CODE_NOT_IN_EXECUTE_PATH = "vulnerable_code_not_in_execute_path"
    VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY = "vulnerable_code_cannot_be_controlled_by_adversary"
    INLINE_MITIGATIONS_ALREADY_EXIST = "inline_mitigations_already_exist"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VersionRange(_Record):
    """Affected versions in the ecosystem's own ordering: ``introduced`` (inclusive, "0" = all earlier) up to
    ``fixed`` (exclusive) or ``last_affected`` (inclusive); at most one of the two."""

    introduced: str = "0"
    fixed: str | None = None
    last_affected: str | None = None


class AffectedProduct(_Record):
    """One vendor's product in the case. ``purl`` names the package without a version
    (``pkg:pypi/jinja2``); ``cpe`` (CPE 2.3) where the product has no purl."""

    vendor: str  # the vendor organisation's display name
    product: str
    purl: str | None = None
    cpe: str | None = None
    ranges: tuple[VersionRange, ...] = ()
    versions: tuple[str, ...] = ()  # explicitly listed affected versions, if known
    status: VendorStatus = VendorStatus.AFFECTED
    justification: NotAffectedJustification | None = None  # required when status is not_affected
    fixed_in: tuple[str, ...] = ()  # versions (or commits) that fix it, verified by the clearinghouse
    remediation: str | None = None  # what to do, in words ("upgrade to 2.4.2")


class CvssScore(_Record):
    version: str  # "3.1" or "4.0"
    vector: str  # the full vector string, validated by the ``cvss`` library when the report came in
    base_score: float = Field(ge=0.0, le=10.0)
    severity: str  # "NONE" | "LOW" | "MEDIUM" | "HIGH" | "CRITICAL"


class Reference(_Record):
    type: str  # OSV reference types: ADVISORY, ARTICLE, REPORT, FIX, PACKAGE, EVIDENCE, WEB
    url: str


class Credit(_Record):
    name: str  # a person, or an AI tool by name and version
    type: str = "FINDER"  # OSV credit types: FINDER, REPORTER, ANALYST, COORDINATOR, REMEDIATION_DEVELOPER ...


class PublishedAdvisory(_Record):
    id: AdvisoryID
    case_id: CaseID
    title: str
    summary: str  # one line
    details: str  # Markdown
    cwe_ids: tuple[CweID, ...] = ()  # "CWE-79"
    cvss: CvssScore | None = None
    aliases: tuple[str, ...] = ()  # CVE / GHSA ids of the same flaw
    cve_id: CveID | None = None  # once assigned: the CVE JSON 5 record is produced only then
    affected: tuple[AffectedProduct, ...] = ()
    references: tuple[Reference, ...] = ()
    credits: tuple[Credit, ...] = ()
    known_exploited: bool = False  # listed in CISA KEV
    published: AwareDatetime
    modified: AwareDatetime
    revision: int = 1  # bumped on every re-publication (CSAF revision history)
    publisher_name: str = PUBLISHER_NAME
    publisher_namespace: str = PUBLISHER_NAMESPACE

    @field_validator("cwe_ids")
    @classmethod
    def _cwe_form(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cwe in value:
            if not cwe.startswith("CWE-") or not cwe[4:].isdigit():
                raise ValueError(f"{cwe!r} is not a CWE id such as CWE-79")
        return value
