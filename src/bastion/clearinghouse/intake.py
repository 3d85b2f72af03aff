"""Intake: every way a report comes in (a person, an AI tool, SARIF, OSV, a flagged review finding) goes
through ``IntakeService._intake`` in one audited unit of work:

1. the client key: the same key again returns the first acknowledgement (a different body is a conflict);
2. the reporter's limits: rate per minute, quota per day (counted from its reports), sizes;
3. each draft: product and CVSS validated, files stored, the report recorded with its lookup keys;
4. deduplication: an alias, a fingerprint or similar text links it to what we know;
5. what next: a report with a reproducer is queued for validation in the sandbox, one without waits in the
   analysts' triage queue.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.clearinghouse._base import ClearinghouseContext, new_id
from bastion.clearinghouse.duplicates import check, mark_duplicate, notice_for, save_keys
from bastion.clearinghouse.errors import IdempotencyConflict, StateConflict, SubmissionLimit, invalid
from bastion.clearinghouse.models import ReporterRow, ReportRow, SubmissionRow
from bastion.clearinghouse.osv_intake import draft_from_osv
from bastion.clearinghouse.public import ReportAck, SubmissionAck
from bastion.clearinghouse.sarif import Level, SarifProduct, drafts_from_sarif
from bastion.clearinghouse.schemas import ReportDraft, ReportSubmission
from bastion.clearinghouse.scoring import parse_vector, severity_of
from bastion.clearinghouse.states import ReportStatus
from bastion.clearinghouse.stored import check_sizes, store_reproducer, store_target
from bastion.clearinghouse.subjects import product_key, product_of, subject_of
from bastion.clearinghouse.targets import check_purl_targets
from bastion.clearinghouse.validation import queue_validation
from bastion.core.access import Action, Resource, ResourceKind
from bastion.core.ids import FindingID
from bastion.core.principal import Classification, Principal
from bastion.core.work import Work


@dataclass(frozen=True, slots=True)
class _Origin:
    source: str  # person | ai_tool | sarif | osv | review_finding
    classification: Classification = Classification.UNCLASSIFIED
    finding_id: FindingID | None = None


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


class IntakeService:
    def __init__(self, ctx: ClearinghouseContext) -> None:
        self._ctx = ctx

    def submit(self, actor: Principal, body: ReportSubmission) -> SubmissionAck:
        """One report from a person or an AI tool (its profile says which)."""
        drafts = [("0", body.report)]
        return self._intake(actor, body.client_key, _digest(body.model_dump(mode="json")), drafts, None)

    def submit_sarif(
        self,
        actor: Principal,
        *,
        client_key: str,
        document: Any,
        product: SarifProduct,
        min_level: Level = Level.WARNING,
    ) -> SubmissionAck:
        """One SARIF 2.1.0 log: a report per reportable result."""
        self._check_upload_size(document)
        drafts = drafts_from_sarif(document, product, min_level=min_level)
        if not drafts:
            raise invalid(
                f"the SARIF log has no result at level {min_level.name.lower()} or above",
                hint="lower --min-level (note) if the scanner marks its findings as notes",
            )
        digest = _digest([document, product.purl, product.cpe, product.affected.model_dump(), min_level.value])
        return self._intake(actor, client_key, digest, drafts, _Origin("sarif"))

    def submit_osv(self, actor: Principal, *, client_key: str, records: list[dict[str, Any]]) -> SubmissionAck:
        """OSV records (a list, or one): a report each; their ids and aliases are kept as the reports' aliases."""
        self._check_upload_size(records)
        if not records:
            raise invalid("no OSV records in the upload")
        drafts = [(str(i), draft_from_osv(r)) for i, r in enumerate(records)]
        return self._intake(actor, client_key, _digest(records), drafts, _Origin("osv"))

    def flag_finding(
        self,
        actor: Principal,
        finding_id: FindingID,
        *,
        release_reason: str | None = None,
        purl: str | None = None,
        cpe: str | None = None,
    ) -> SubmissionAck:
        """A review finding about a concrete software flaw, flagged for the clearinghouse, becomes a report in one
        step and keeps its marking. A finding marked above CUI becomes a report only through an explicit release
        decision (``release_reason``), recorded in the audit log; the report then carries the finding's marking
        until analysts cleared for it handle it."""
        if self._ctx.findings is None:
            raise StateConflict("the review slice is not connected to this clearinghouse")
        finding = self._ctx.findings.flagged_finding(actor, finding_id)
        if not finding.for_clearinghouse:
            raise invalid(
                f"finding {finding_id} is not flagged for the clearinghouse",
                hint="flag it first (for_clearinghouse: true) in the review",
            )
        classified = finding.classification > Classification.CUI
        if classified and not release_reason:
            raise invalid(
                f"finding {finding_id} is marked {finding.classification.banner}: it becomes a report only through "
                "an explicit release decision",
                hint="give the release decision's reason (--release-reason)",
                field="release_reason",
            )
        body = f"{finding.description}\n\n(From review finding {finding.id}, marked {finding.classification.banner}.)"
        product = {"purl": purl, "cpe": cpe} if purl or cpe else self._finding_product(finding.description)
        if not product:
            raise invalid(
                f"finding {finding_id} does not name the affected product",
                hint="give the product's purl or CPE (--purl / --cpe)",
                field="purl",
            )
        draft = ReportDraft.model_validate({"title": finding.title, "description": body} | product)
        origin = _Origin("review_finding", finding.classification, finding.id)
        ack = self._intake(actor, f"finding:{finding.id}", _digest([finding.id]), [("0", draft)], origin)
        if classified:
            with self._ctx.uow(actor, "report.release_decision", "ch_report", ack.reports[0].id) as work:
                work.record(finding_id=finding.id, marking=finding.classification.name, reason=release_reason)
        return ack

    @staticmethod
    def _finding_product(description: str) -> dict[str, str]:
        """A finding names its product in free text; a ``pkg:`` purl in it, if any, is taken as the product."""
        for word in description.split():
            if word.startswith("pkg:") and "/" in word:
                return {"purl": word.rstrip(".,;)").split("@", 1)[0]}
        return {}

    def _check_upload_size(self, value: Any) -> None:
        size = len(json.dumps(value, default=str))
        if size > self._ctx.limits.max_upload_bytes:
            raise invalid(
                f"the upload is {size} bytes; the limit is {self._ctx.limits.max_upload_bytes}",
                hint="split it into several uploads",
            )

    # --- the one path -------------------------------------------------------------------------------------

    def _intake(
        self,
        actor: Principal,
        client_key: str,
        digest: str,
        drafts: list[tuple[str, ReportDraft]],
        origin: _Origin | None,
    ) -> SubmissionAck:
        with self._ctx.uow(actor, "report.submit", "ch_submission", None) as work:
            level = origin.classification if origin else Classification.UNCLASSIFIED
            draft_resource = Resource(ResourceKind.CH_REPORT, classification=level)
            work.require(
                Action.CREATE, draft_resource, what="report", refusal="filing a report needs the reporter role"
            )
            session = work.session
            earlier = session.scalar(
                sa.select(SubmissionRow).where(
                    SubmissionRow.reporter_user_id == actor.user_id, SubmissionRow.client_key == client_key
                )
            )
            if earlier is not None:
                if earlier.digest != digest:
                    raise IdempotencyConflict(
                        f"client key {client_key!r} was used for a different submission ({earlier.id})",
                        hint="use a new client key for a new submission",
                        details={"tracking_id": earlier.id},
                    )
                return self._replay(work, actor, earlier)
            profile = self._profile(session, actor)
            self._check_limits(work, profile, len(drafts))
            source = origin.source if origin else ("ai_tool" if profile.kind == "ai_tool" else "person")
            submission = SubmissionRow(
                id=new_id("sub"),
                reporter_user_id=actor.user_id,
                client_key=client_key,
                digest=digest,
                source=source,
                report_ids=[],
                created_at=work.now,
            )
            session.add(submission)
            session.flush()
            acks = [self._one(work, actor, profile, submission, draft, origin, source) for _, draft in drafts]
            submission.report_ids = [a.id for a in acks]
            work.record("submission.create", "ch_submission", submission.id, source=source, reports=len(acks))
            return SubmissionAck(
                tracking_id=submission.id, client_key=client_key, source=source, replayed=False, reports=acks
            )

    def _profile(self, session: Session, actor: Principal) -> ReporterRow:
        profile = session.get(ReporterRow, actor.user_id, with_for_update=not self._ctx.database.is_sqlite)
        if profile is None:
            limits = self._ctx.limits
            profile = ReporterRow(
                user_id=actor.user_id,
                kind="person",
                per_minute=limits.per_minute,
                per_day=limits.per_day,
                created_at=self._ctx.clock.now(),
                updated_at=self._ctx.clock.now(),
            )
            session.add(profile)
            session.flush()
        return profile

    def _check_limits(self, work: Work, profile: ReporterRow, adding: int) -> None:
        now = work.now
        for window, allowed, name in (
            (timedelta(minutes=1), profile.per_minute, "rate limit"),
            (timedelta(days=1), profile.per_day, "daily quota"),
        ):
            times = work.session.scalars(
                sa.select(ReportRow.created_at)
                .where(ReportRow.reporter_user_id == profile.user_id, ReportRow.created_at > now - window)
                .order_by(ReportRow.created_at)
            ).all()
            if len(times) + adding > allowed:
                free = len(times) + adding - allowed  # how many of the oldest must leave the window
                oldest = times[min(free, len(times)) - 1] if times else now
                retry = max(1, int((oldest + window - now).total_seconds()) + 1)
                raise SubmissionLimit(
                    f"{name} reached: at most {allowed} reports per {_words(window)} "
                    f"({len(times)} in the window, {adding} more sent)",
                    hint=f"try again in {retry} seconds, or ask the clearinghouse to raise your limit",
                    details={"retry_after_seconds": retry, "limit": allowed, "window_seconds": window.total_seconds()},
                )

    def _one(  # noqa: PLR0917 - the unit's parts, passed straight through
        self,
        work: Work,
        actor: Principal,
        profile: ReporterRow,
        submission: SubmissionRow,
        draft: ReportDraft,
        origin: _Origin | None,
        source: str,
    ) -> ReportAck:
        ctx, session = self._ctx, work.session
        purl, cpe = product_of(draft)
        score = parse_vector(draft.cvss_vector) if draft.cvss_vector else None
        check_sizes(draft.reproducer, [draft.target, draft.fixed_target], ctx.limits)
        check_purl_targets(ctx.package_index, target=draft.target, fixed_target=draft.fixed_target)
        now = work.now
        row = ReportRow(
            id=new_id("chr"),
            submission_id=submission.id,
            reporter_user_id=actor.user_id,
            reporter_org_id=actor.org_id,
            reporter_kind=profile.kind,
            tool_name=profile.tool_name,
            tool_version=profile.tool_version,
            source=source,
            status=ReportStatus.RECEIVED,
            classification=int(origin.classification if origin else Classification.UNCLASSIFIED),
            title=draft.title,
            description=draft.description,
            purl=purl.text if purl else None,
            cpe=cpe.text if cpe else None,
            product_key=product_key(purl, cpe),
            affected=draft.affected.model_dump(mode="json"),
            cwe=draft.cwe,
            cvss_vector=score.vector if score else None,
            cvss_version=score.version if score else None,
            cvss_score=score.base_score if score else None,
            severity=severity_of(score).value,
            aliases=list(draft.aliases),
            location=draft.location.model_dump(mode="json") if draft.location else None,
            crash_state=[],
            reproducer=store_reproducer(ctx.blobs, draft.reproducer) if draft.reproducer else None,
            target=store_target(ctx.blobs, draft.target) if draft.target else None,
            fixed_target=store_target(ctx.blobs, draft.fixed_target) if draft.fixed_target else None,
            references=list(draft.references),
            review_finding_id=origin.finding_id if origin else None,
            known_fixed_in=[],
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        subject = subject_of(row.id, draft)
        verdict = check(session, subject, ctx.advisories)
        save_keys(session, row.id, subject)
        work.record("report.submit", "ch_report", row.id, source=source, submission_id=submission.id)
        if verdict.duplicate:
            notice = mark_duplicate(work, actor, row, verdict)
            return ReportAck(id=row.id, status=ReportStatus.DUPLICATE, duplicate=notice, message=notice.message)
        if row.reproducer is not None:
            queue_validation(work, ctx, row)
            message = "received; its reproducer is queued for validation in the sandbox"
        else:
            row.status = ReportStatus.TRIAGE
            work.record("report.transition", "ch_report", row.id, to_status=row.status)
            message = "received; without a reproducer it waits for an analyst"
        return ReportAck(id=row.id, status=row.status, message=message)

    def _replay(self, work: Work, actor: Principal, submission: SubmissionRow) -> SubmissionAck:
        rows = {
            r.id: r for r in work.session.scalars(sa.select(ReportRow).where(ReportRow.id.in_(submission.report_ids)))
        }
        acks = []
        for report_id in submission.report_ids:
            row = rows[report_id]
            notice = notice_for(actor, row, work.session) if row.status == ReportStatus.DUPLICATE else None
            acks.append(
                ReportAck(
                    id=row.id,
                    status=row.status,
                    duplicate=notice,
                    message=notice.message if notice else f"already received ({row.status})",
                )
            )
        work.record("submission.replay", "ch_submission", submission.id)
        return SubmissionAck(
            tracking_id=submission.id,
            client_key=submission.client_key,
            source=submission.source,
            replayed=True,
            reports=acks,
        )


def _words(window: timedelta) -> str:
    return "minute" if window <= timedelta(minutes=1) else "day"
