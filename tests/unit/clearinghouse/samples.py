"""Published advisories shaped like the clearinghouse's real cases, for the format and feed tests."""

from __future__ import annotations

from datetime import UTC, datetime

from bastion.clearinghouse.advisory import (
    AdvisoryID,
    AffectedProduct,
    CaseID,
    Credit,
    CvssScore,
    NotAffectedJustification,
    PublishedAdvisory,
    Reference,
    VendorStatus,
    VersionRange,
)

PUBLISHED = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
MODIFIED = datetime(2026, 11, 22, 9, 15, tzinfo=UTC)


def template_injection() -> PublishedAdvisory:
    """A Python package fixed upstream, a C library named by CPE, a vendor not affected, one investigating."""
    return PublishedAdvisory(
        id=AdvisoryID("BASTION-2026-0007"),
        case_id=CaseID("case_4f1c2a"),
        title="Sandbox escape in the template engine of tinytemplate",
        summary="Template sandbox escape through attribute lookups on format strings",
        details="A crafted template reaches `str.format` attributes and runs arbitrary code.\n\nFound by an AI tool.",
        cwe_ids=("CWE-1336",),
        cvss=CvssScore(
            version="3.1",
            vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            base_score=9.8,
            severity="CRITICAL",
        ),
        aliases=("CVE-2026-41234",),
        cve_id="CVE-2026-41234",
        affected=(
            AffectedProduct(
                vendor="Tiny Projects",
                product="tinytemplate",
                purl="pkg:pypi/tinytemplate",
                ranges=(VersionRange(introduced="0", fixed="2.4.2"), VersionRange(introduced="3.0", fixed="3.0.1")),
                status=VendorStatus.FIXED,
                fixed_in=("2.4.2", "3.0.1"),
            ),
            AffectedProduct(
                vendor="Example Systems",
                product="libtmpl",
                cpe="cpe:2.3:a:example:libtmpl:*:*:*:*:*:*:*:*",
                ranges=(VersionRange(introduced="1.0", last_affected="1.9.4"),),
                status=VendorStatus.AFFECTED,
            ),
            AffectedProduct(
                vendor="Other Vendor",
                product="othertmpl",
                purl="pkg:npm/othertmpl",
                status=VendorStatus.NOT_AFFECTED,
                justification=NotAffectedJustification.VULNERABLE_CODE_NOT_PRESENT,
            ),
            AffectedProduct(
                vendor="Slow Vendor",
                product="slowtmpl",
                purl="pkg:cargo/slowtmpl",
                status=VendorStatus.UNDER_INVESTIGATION,
            ),
        ),
        references=(
            Reference(type="FIX", url="https://github.com/tiny/tinytemplate/commit/9f1e3c5"),
            Reference(type="ADVISORY", url="https://tiny.example/security/2026-1"),
        ),
        credits=(Credit(name="bugfinder-ai 1.4 (Example AI)", type="FINDER"),),
        known_exploited=True,
        published=PUBLISHED,
        modified=MODIFIED,
        revision=2,
    )


def minimal() -> PublishedAdvisory:
    """No CVE, no references, a CVSS 4.0 vector, one npm package."""
    return PublishedAdvisory(
        id=AdvisoryID("BASTION-2026-0008"),
        case_id=CaseID("case_77aa01"),
        title="Prototype pollution in deepmerge-lite",
        summary="Prototype pollution through __proto__ keys",
        details="Merging attacker-controlled JSON sets properties on Object.prototype.",
        cwe_ids=("CWE-1321",),
        cvss=CvssScore(
            version="4.0",
            vector="CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            base_score=9.3,
            severity="CRITICAL",
        ),
        affected=(
            AffectedProduct(
                vendor="deepmerge maintainers",
                product="deepmerge-lite",
                purl="pkg:npm/deepmerge-lite",
                ranges=(VersionRange(introduced="1.0.0", fixed="1.2.3"),),
                fixed_in=("1.2.3",),
            ),
        ),
        published=PUBLISHED,
        modified=PUBLISHED,
    )
