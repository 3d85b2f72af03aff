"""Publication: at the end of the embargo (the clock publishes it) or earlier by agreement (an analyst, once every
vendor has answered), the case becomes a ``PublishedAdvisory``: stored, its OSV record put into ``advisories``
in the same transaction (so `/v1` and pip-audit answer it the moment it commits, and never before), and served
to the feeds through ``published()``. Nothing under embargo is returned by anything here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ConfigDict, Field

from bastion.clearinghouse._base import ClearinghouseContext
from bastion.clearinghouse.advisory import (
    AffectedProduct,
    Credit,
    NotAffectedJustification,
    PublishedAdvisory,
    Reference,
    VendorStatus,
    VersionRange,
)
from bastion.clearinghouse.cases import CaseService, require_open
from bastion.clearinghouse.embargo import exit_embargo
from bastion.clearinghouse.errors import StateConflict, invalid
from bastion.clearinghouse.formats.cve5 import cve_record
from bastion.clearinghouse.models import CaseRow, CaseVendorRow, FixRow, PublicationRow, ReportRow, VendorRow
from bastion.clearinghouse.outbox import Topic, enqueue
from bastion.clearinghouse.products import parse_cpe, parse_purl
from bastion.clearinghouse.public import PublicationPublic, PublicationsPublic
from bastion.clearinghouse.scoring import parse_vector
from bastion.clearinghouse.states import CaseStatus, FixStatus, check_case
from bastion.core.access import Action, Resource, ResourceKind, not_found
from bastion.core.fields import RequestBody
from bastion.core.ids import AdvisoryID, CaseID, CveID
from bastion.core.principal import Principal
from bastion.core.work import Work

PUBLICATION = Resource(ResourceKind.CH_PUBLICATION)
_CVE = r"^CVE-\d{4}-\d{4,}$"


class PublishRequest(RequestBody):
    model_config = ConfigDict(extra="forbid", frozen=True)
    reason: str | None = Field(
        default=None, max_length=5000, description="Required before the disclosure date: why publish early."
    )
    cve_id: CveID | None = Field(default=None, pattern=_CVE, description="The CVE assigned to the flaw, if any.")


class PublicationService:
    def __init__(self, ctx: ClearinghouseContext, cases: CaseService) -> None:
        self._ctx = ctx
        self._cases = cases

    def publish(self, actor: Principal, case_id: CaseID, body: PublishRequest) -> PublicationPublic:
        with self._ctx.uow(actor, "case.publish", "ch_case", case_id) as work:
            case, report = self._cases.authorize(work, actor, case_id, Action.DECIDE, "analysts publish")
            require_open(case)
            until = case.disclosure_at
            if until is not None and work.now < until:
                if not body.reason:
                    raise invalid(
                        f"case {case_id} is under embargo until {until.isoformat()}",
                        hint="publishing early needs the reason the participants agreed (--reason)",
                        field="reason",
                    )
                waiting = [
                    v.vendor_id for v in self._vendors(work, case) if v.status == VendorStatus.UNDER_INVESTIGATION
                ]
                if waiting:
                    raise StateConflict(
                        "publishing early needs every vendor's answer; still investigating: " + ", ".join(waiting),
                        code="vendors_still_investigating",
                        hint="wait for their status, or for the disclosure date",
                    )
            return publish_case(
                work, self._ctx, case, report, actor, reason=body.reason or "embargo ended", cve_id=body.cve_id
            )

    def get(self, advisory_id: AdvisoryID) -> PublicationPublic:
        """A published advisory (public: no actor)."""
        with self._ctx.database.read_session() as session:
            row = session.get(PublicationRow, advisory_id)
            if row is None:
                raise not_found(f"advisory {advisory_id}")
            return self._public(row)

    def cve(self, advisory_id: AdvisoryID) -> dict[str, Any]:
        """The published advisory as a CVE JSON 5 record (public); a 409 until a CVE id is assigned."""
        with self._ctx.database.read_session() as session:
            row = session.get(PublicationRow, advisory_id)
            if row is None:
                raise not_found(f"advisory {advisory_id}")
            return cve_record(PublishedAdvisory.model_validate(row.document))

    def all(self) -> PublicationsPublic:
        with self._ctx.database.read_session() as session:
            rows = session.scalars(sa.select(PublicationRow).order_by(PublicationRow.published_at)).all()
            return PublicationsPublic(data=[self._public(r) for r in rows], count=len(rows))

    def published(self) -> Sequence[PublishedAdvisory]:
        """The ``PublishedSource`` port of the feeds: every published advisory, nothing under embargo."""
        with self._ctx.database.read_session() as session:
            rows = session.scalars(sa.select(PublicationRow).order_by(PublicationRow.published_at)).all()
            return [PublishedAdvisory.model_validate(r.document) for r in rows]

    def _public(self, row: PublicationRow) -> PublicationPublic:
        advisory = PublishedAdvisory.model_validate(row.document)
        osv = self._ctx.osv_record(advisory) if self._ctx.osv_record else None
        return PublicationPublic(
            advisory_id=row.advisory_id,
            case_id=row.case_id,
            revision=row.revision,
            published_at=row.published_at,
            advisory=row.document,
            osv=osv,
        )

    @staticmethod
    def _vendors(work: Work, case: CaseRow) -> list[CaseVendorRow]:
        return list(work.session.scalars(sa.select(CaseVendorRow).where(CaseVendorRow.case_id == case.id)))


def _next_id(work: Work, now: datetime) -> AdvisoryID:
    prefix = f"BASTION-{now.year}-"
    taken = work.session.scalars(
        sa.select(PublicationRow.advisory_id).where(PublicationRow.advisory_id.like(prefix + "%"))
    )
    number = max((int(t.removeprefix(prefix)) for t in taken), default=0) + 1
    return AdvisoryID(f"{prefix}{number:04d}")


def build_advisory(
    work: Work, case: CaseRow, report: ReportRow, advisory_id: AdvisoryID, cve_id: CveID | None
) -> PublishedAdvisory:
    now = work.now
    rows = work.session.execute(
        sa.select(CaseVendorRow, VendorRow)
        .join(VendorRow, VendorRow.id == CaseVendorRow.vendor_id)
        .where(CaseVendorRow.case_id == case.id)
        .order_by(CaseVendorRow.added_at)
    ).all()
    fixes = work.session.scalars(
        sa.select(FixRow).where(FixRow.case_id == case.id, FixRow.status == FixStatus.VERIFIED.value)
    ).all()
    purl = parse_purl(report.purl) if report.purl else None
    cpe = parse_cpe(report.cpe) if report.cpe else None
    product_name = purl.name if purl else (cpe.product if cpe else report.product_key)
    declared = report.affected or {}
    products = []
    pairs: list[tuple[CaseVendorRow | None, VendorRow | None]] = [(cv, v) for cv, v in rows]
    for cv, vendor in pairs or [(None, None)]:
        fixed_in = tuple(
            dict.fromkeys(
                f.fixed_version for f in fixes if f.fixed_version and (cv is None or f.vendor_id == cv.vendor_id)
            )
        )
        status = cv.status if cv is not None else VendorStatus.AFFECTED
        if status is VendorStatus.UNDER_INVESTIGATION:  # no answer by disclosure: the report's assessment stands
            status = VendorStatus.AFFECTED
        fixed = declared.get("fixed") or (fixed_in[0] if fixed_in else None)
        products.append(
            AffectedProduct(
                vendor=vendor.name if vendor is not None else "unknown vendor",
                product=product_name,
                purl=report.purl,
                cpe=report.cpe,
                ranges=(
                    VersionRange(
                        introduced=declared.get("introduced") or "0",
                        fixed=fixed,
                        last_affected=None if fixed else declared.get("last_affected"),
                    ),
                ),
                status=status,
                justification=NotAffectedJustification(cv.justification)
                if cv is not None and cv.justification
                else None,
                fixed_in=fixed_in,
                remediation=f"upgrade to {fixed}"
                if fixed and status in (VendorStatus.AFFECTED, VendorStatus.FIXED)
                else None,
            )
        )
    credit = (
        f"{report.tool_name} {report.tool_version}".strip()
        if report.reporter_kind == "ai_tool" and report.tool_name
        else "an independent reporter"
    )
    summary = report.title.splitlines()[0][:200]
    statements = [
        f"- {vendor.name}: "
        + (
            "had not answered by the disclosure date; listed as affected on the strength of the report"
            if cv.status == VendorStatus.UNDER_INVESTIGATION
            else cv.status + (f" ({cv.statement})" if cv.statement else "")
        )
        for cv, vendor in rows
    ]
    details = report.description + ("\n\nVendor statements:\n" + "\n".join(statements) if statements else "")
    return PublishedAdvisory(
        id=AdvisoryID(advisory_id),
        case_id=CaseID(case.id),
        title=report.title,
        summary=summary,
        details=details,
        cwe_ids=(report.cwe,) if report.cwe else (),
        cvss=parse_vector(report.cvss_vector) if report.cvss_vector else None,
        aliases=tuple(sorted({*report.aliases, *([cve_id] if cve_id else [])})),
        cve_id=cve_id,
        affected=tuple(products),
        references=tuple(
            Reference(type="WEB", url=u) for u in report.references if u.startswith(("http://", "https://"))
        ),
        credits=(
            Credit(name=credit, type="FINDER"),
            Credit(name="Bastion AI Cybersecurity Clearinghouse", type="COORDINATOR"),
        ),
        known_exploited=case.exploited,
        published=now,
        modified=now,
    )


def publish_case(
    work: Work,
    ctx: ClearinghouseContext,
    case: CaseRow,
    report: ReportRow,
    actor: Principal | None,
    *,
    reason: str,
    cve_id: CveID | None,
) -> PublicationPublic:
    """Publish in the caller's unit of work: the record, the OSV record in ``advisories``, the case's state."""
    if ctx.osv_record is None:
        raise StateConflict("no OSV converter is wired: the clearinghouse cannot publish")
    now = work.now
    advisory_id = _next_id(work, now)
    advisory = build_advisory(work, case, report, advisory_id, cve_id or case.cve_id)
    document = ctx.osv_record(advisory)
    ctx.advisories.store(work.session, document, origin=f"clearinghouse:{case.id}")
    work.session.add(
        PublicationRow(
            advisory_id=advisory_id,
            case_id=case.id,
            revision=advisory.revision,
            document=advisory.model_dump(mode="json"),
            published_at=now,
            modified_at=now,
            published_by=actor.user_id if actor else None,
        )
    )
    check_case(case.status, CaseStatus.PUBLISHED)
    case.status = CaseStatus.PUBLISHED
    case.published_at = now
    case.advisory_id = advisory_id
    case.cve_id = cve_id or case.cve_id
    exit_embargo(work, case, reason)
    enqueue(
        work.session,
        topic=Topic.PUBLISHED,
        dedupe_key=f"case:{case.id}:published",
        payload={"case_id": case.id, "advisory_id": advisory_id, "osv_id": document["id"]},
        at=now,
    )
    work.record("case.publish", "ch_case", case.id, advisory_id=advisory_id, osv_id=document["id"], reason=reason)
    return PublicationPublic(
        advisory_id=advisory_id,
        case_id=case.id,
        revision=advisory.revision,
        published_at=now,
        advisory=advisory.model_dump(mode="json"),
        osv=document,
    )
