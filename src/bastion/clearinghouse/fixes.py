"""Fixes and patch candidates. A vendor declares a fixed version or commit (with the fixed target to run, or a
patch to apply to the vulnerable one); anyone taking part in the case may offer a patch candidate; an AI
patcher (through Inspect's model API) proposes candidates itself. Each is verified in the sandbox against the
report's reproducer (``validation``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pydantic import ConfigDict, Field, model_validator

from bastion.clearinghouse._base import ClearinghouseContext, new_id
from bastion.clearinghouse.cases import CaseService, require_open, vendor_of
from bastion.clearinghouse.errors import StateConflict, invalid
from bastion.clearinghouse.models import CaseRow, FixRow, ReportRow
from bastion.clearinghouse.patcher import AiPatcher, PatchRequest, read_sources
from bastion.clearinghouse.public import FixPublic
from bastion.clearinghouse.render import Reader, fix_public
from bastion.clearinghouse.schemas import FileIn, TargetIn
from bastion.clearinghouse.states import FixStatus
from bastion.clearinghouse.stored import load_target, store_target
from bastion.clearinghouse.targets import check_purl_targets
from bastion.clearinghouse.validation import ValidationService, queue_validation
from bastion.core.access import Action, is_clearinghouse_staff
from bastion.core.audit import Actor
from bastion.core.fields import RequestBody
from bastion.core.ids import CaseID, VendorID
from bastion.core.principal import Principal
from bastion.core.work import Work
from bastion.jobs.interface import Job, Progress

AI_PATCH_JOB = "clearinghouse.ai_patch"


class FixDeclaration(RequestBody):
    """A vendor's fix: the fixed version and/or commit, with what to run it on (the fixed target, or a patch for
    the vulnerable target)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    vendor_id: VendorID | None = Field(default=None, description="Analysts declaring on a vendor's behalf name it.")
    fixed_version: str | None = Field(default=None, max_length=100)
    commit: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{7,64}$")
    target: TargetIn | None = None
    patch: FileIn | None = None

    @model_validator(mode="after")
    def _something(self) -> FixDeclaration:
        if not (self.fixed_version or self.commit):
            raise ValueError("declare the fixed version and/or the commit")
        if self.target is not None and self.patch is not None:
            raise ValueError("give the fixed target or a patch, not both")
        return self


class PatchCandidate(RequestBody):
    model_config = ConfigDict(extra="forbid", frozen=True)
    patch: FileIn
    note: str | None = Field(default=None, max_length=5000)


class AiPatchRequest(RequestBody):
    model_config = ConfigDict(extra="forbid", frozen=True)
    model: str = Field(min_length=3, max_length=200, description="An Inspect model name, e.g. openai/gpt-4o.")
    attempts: int = Field(default=3, ge=1, le=10)


class FixService:
    def __init__(
        self, ctx: ClearinghouseContext, cases: CaseService, validations: ValidationService, patcher: AiPatcher
    ) -> None:
        self._ctx = ctx
        self._cases = cases
        self._validations = validations
        self._patcher = patcher

    def declare(self, actor: Principal, case_id: CaseID, body: FixDeclaration) -> FixPublic:
        with self._ctx.uow(actor, "fix.declare", "ch_case", case_id) as work:
            case, report = self._open_case(work, actor, case_id)
            own = vendor_of(work, case, actor)
            if own is not None:
                vendor_id = own.vendor_id
            elif is_clearinghouse_staff(actor) and body.vendor_id:
                vendor_id = body.vendor_id
            else:
                raise (
                    invalid("name the vendor whose fix this is (vendor_id)", field="vendor_id")
                    if is_clearinghouse_staff(actor)
                    else StateConflict(
                        "only a vendor taking part in the case declares its fix", code="not_a_vendor_in_case"
                    )
                )
            check_purl_targets(self._ctx.package_index, target=body.target)
            patch = self._ctx.blobs.put(self._patch_bytes(body.patch)) if body.patch else None
            fix = FixRow(
                id=new_id("fix"),
                case_id=case.id,
                vendor_id=vendor_id,
                origin="vendor",
                fixed_version=body.fixed_version,
                commit=body.commit.lower() if body.commit else None,
                patch_sha256=patch,
                target=store_target(self._ctx.blobs, body.target) if body.target else None,
                status=FixStatus.PENDING,
                detail={},
                submitted_by=actor.user_id,
                created_at=work.now,
            )
            self._queue(work, report, fix)
            work.record(fix_id=fix.id, fixed_version=fix.fixed_version, commit=fix.commit, status=fix.status)
            return fix_public(fix, Reader.of(actor))

    def candidate(self, actor: Principal, case_id: CaseID, body: PatchCandidate) -> FixPublic:
        """A patch candidate from anyone taking part in the case (or an analyst)."""
        with self._ctx.uow(actor, "fix.candidate", "ch_case", case_id) as work:
            case, report = self._open_case(work, actor, case_id)
            fix = self._candidate_row(work, case, actor.user_id, self._patch_bytes(body.patch), origin="candidate")
            self._queue(work, report, fix)
            work.record(fix_id=fix.id, note=body.note)
            return fix_public(fix, Reader.of(actor))

    def request_ai_patch(self, actor: Principal, case_id: CaseID, body: AiPatchRequest) -> dict[str, Any]:
        """Queue the AI patcher on this case (a background job: model calls and sandbox runs take time)."""
        with self._ctx.uow(actor, "fix.ai_patch", "ch_case", case_id) as work:
            case, report = self._open_case(work, actor, case_id)
            if report.reproducer is None or report.target is None:
                raise invalid("the AI patcher needs the report's target source and reproducer")
            job = self._ctx.jobs.enqueue_in(
                work.session,
                AI_PATCH_JOB,
                {"case_id": case.id, "model": body.model, "attempts": body.attempts, "by": actor.user_id},
                key=f"{AI_PATCH_JOB}:{new_id('req')}",
            )
            work.record(model=body.model, attempts=body.attempts, job_id=job.id)
            return {"job_id": job.id, "case_id": case.id, "model": body.model}

    def handle_ai_patch(self, job: Job, progress: Progress) -> dict[str, Any]:
        """The AI patcher's job: read the source in the sandbox, ask the model, verify, feed failures back."""
        from bastion.core.audit import SCHEDULER

        ctx = self._ctx
        case_id, model, attempts = str(job.payload["case_id"]), str(job.payload["model"]), int(job.payload["attempts"])
        with ctx.database.read_session() as session:
            case = session.get(CaseRow, case_id)
            assert case is not None
            report = session.get(ReportRow, case.report_id)
            assert report is not None and report.target is not None
            target = load_target(ctx.blobs, report.target)
            title, description, cwe = report.title, report.description, report.cwe
        progress(0.05, "reading the target's source in the sandbox")
        sources = read_sources(target)
        if not sources:
            return {"verified": None, "reason": "no source files found in the target"}
        feedback: str | None = None
        tried: list[str] = []
        for attempt in range(1, attempts + 1):
            progress(attempt / (attempts + 1), f"attempt {attempt}: asking {model}")
            diff, answer = self._patcher.propose(model, PatchRequest(title, description, cwe, sources, feedback))
            with ctx.uow(SCHEDULER, "fix.ai_candidate", "ch_case", case_id) as work:
                report_row = work.session.get(ReportRow, report.id)
                case_row = work.session.get(CaseRow, case_id)
                assert report_row is not None and case_row is not None
                fix = self._candidate_row(
                    work, case_row, str(job.payload["by"]), (diff or answer).encode(), origin="ai_patcher", model=model
                )
                validation = queue_validation(work, ctx, report_row, fix=fix, inline=True)
                work.record(fix_id=fix.id, attempt=attempt, had_diff=diff is not None)
            self._validations.run(validation.id, progress)
            with ctx.database.read_session() as session:
                done = session.get(FixRow, fix.id)
                assert done is not None
                tried.append(done.id)
                if done.status == FixStatus.VERIFIED.value:
                    return {"verified": done.id, "attempts": attempt, "fixes": tried}
                feedback = str(done.detail.get("reason") or "it did not fix the flaw")
        return {"verified": None, "attempts": attempts, "fixes": tried}

    def for_case(self, actor: Principal, case_id: CaseID) -> list[FixPublic]:
        with self._ctx.uow(actor, "fix.list", "ch_case", case_id) as work:
            case, _ = self._cases.read(work, actor, case_id)
            rows = work.session.scalars(sa.select(FixRow).where(FixRow.case_id == case.id).order_by(FixRow.created_at))
            reader = Reader.of(actor)
            shown = [fix_public(r, reader) for r in rows]
            work.record(count=len(shown))
            return shown

    # --- helpers ------------------------------------------------------------------------------------------

    def _open_case(self, work: Work, actor: Principal, case_id: CaseID) -> tuple[CaseRow, ReportRow]:
        case, report = self._cases.authorize(work, actor, case_id, Action.RESPOND, "participants offer fixes")
        require_open(case)
        return case, report

    def _patch_bytes(self, patch: FileIn | None) -> bytes:
        assert patch is not None
        if len(patch.content) > self._ctx.limits.max_patch_bytes:
            raise invalid(f"the patch is larger than {self._ctx.limits.max_patch_bytes} bytes", field="patch")
        return patch.content

    def _candidate_row(
        self, work: Work, case: CaseRow, by: str, patch: bytes, *, origin: str, model: str | None = None
    ) -> FixRow:
        fix = FixRow(
            id=new_id("fix"),
            case_id=case.id,
            origin=origin,
            patch_sha256=self._ctx.blobs.put(patch),
            model=model,
            status=FixStatus.PENDING,
            detail={},
            submitted_by=by,
            created_at=work.now,
        )
        work.session.add(fix)
        work.session.flush()
        return fix

    def _queue(self, work: Work, report: ReportRow, fix: FixRow) -> None:
        work.session.add(fix)
        work.session.flush()
        if report.reproducer is None:
            fix.detail = {"reason": "the report has no reproducer: an analyst verifies this fix by hand"}
            return
        if fix.target is None and fix.patch_sha256 is None:
            fix.status = FixStatus.ERROR
            fix.detail = {"reason": "nothing to run: attach the fixed target or a patch to verify the fix"}
            return
        if fix.target is None and report.target is None:
            fix.status = FixStatus.ERROR
            fix.detail = {"reason": "a patch needs the report's target to apply to"}
            return
        queue_validation(work, self._ctx, report, fix=fix)


def _actor_id(actor: Actor) -> str:
    return getattr(actor, "user_id", "system")
