"""Validation in the sandbox, as background jobs (the jobs slice's queue, run by the in-process runner or any
worker): a report's reproducer against its target, and a fix (a fixed version, or a patch) against the same
reproducer.

A report is **validated** when the signal is seen (the run's log is kept as evidence) and, if it declares a fixed
version, the same reproducer does *not* trigger there; **not reproduced** when the reproducer runs and the
signal does not come; **needs information** when it cannot be run (no target, no build, no such command) or
also triggers against the declared fixed version. A fix is **verified** when the reproducer still triggers
against the vulnerable target (the control) and no longer against the fix; a patch candidate counts only if
it also applies, builds, and leaves the target's own tests passing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bastion.clearinghouse._base import VALIDATE_JOB, ClearinghouseContext, new_id
from bastion.clearinghouse.advisory import VendorStatus
from bastion.clearinghouse.errors import TargetUnavailable
from bastion.clearinghouse.models import CaseRow, CaseVendorRow, FixRow, ReportRow, ValidationRow
from bastion.clearinghouse.runner import Outcome, Stage, run_blocking
from bastion.clearinghouse.schemas import TargetKind
from bastion.clearinghouse.states import FixStatus, ReportStatus, check_report
from bastion.clearinghouse.stored import Reproducer, Target, load_reproducer, load_target
from bastion.clearinghouse.targets import fetch_purl
from bastion.core.audit import SCHEDULER
from bastion.core.ids import FixID, ValidationID
from bastion.core.work import Work
from bastion.jobs.interface import Job, Progress


def queue_validation(
    work: Work, ctx: ClearinghouseContext, report: ReportRow, *, fix: FixRow | None = None, inline: bool = False
) -> ValidationRow:
    """Record a validation and queue its job in the caller's unit of work (both exist iff it commits).
    ``inline``: no job; the caller runs it at once (``ValidationService.run``)."""
    validation = ValidationRow(
        id=new_id("val"),
        report_id=report.id,
        fix_id=fix.id if fix else None,
        purpose="fix" if fix else "report",
        job_id="",
        status="queued",
        detail={},
        requested_by=getattr(work.actor, "user_id", None),
        created_at=work.now,
    )
    if inline:
        validation.job_id = "inline"
    else:
        job = ctx.jobs.enqueue_in(
            work.session, VALIDATE_JOB, {"validation_id": validation.id}, key=f"ch:{validation.id}"
        )
        validation.job_id = job.id
    work.session.add(validation)
    if fix is None:
        previous = report.status
        check_report(previous, ReportStatus.VALIDATING)
        report.status = ReportStatus.VALIDATING
        report.updated_at = work.now
        work.record("report.transition", "ch_report", report.id, from_status=previous, to_status=report.status)
    work.record("validation.queue", "ch_validation", validation.id, report_id=report.id, fix_id=validation.fix_id)
    return validation


@dataclass(frozen=True, slots=True)
class _Plan:
    validation_id: ValidationID
    purpose: str
    reproducer: Reproducer
    target: Target | None
    fixed: Target | None  # the declared fixed version (report) or the fix's own target (fix)
    patch: bytes | None


class ValidationService:
    def __init__(self, ctx: ClearinghouseContext) -> None:
        self._ctx = ctx

    def handle(self, job: Job, progress: Progress) -> dict[str, Any]:
        """The job handler: run the plan in the sandbox, then record the outcome (re-runnable)."""
        return self.run(ValidationID(str(job.payload["validation_id"])), progress)

    def run(self, validation_id: ValidationID, progress: Progress) -> dict[str, Any]:
        plan = self._plan(validation_id)
        if plan is None:
            return {"skipped": "already finished"}
        progress(0.1, "running the reproducer against the target")
        first = run_blocking(plan.reproducer, plan.target)
        second: Outcome | None = None
        if plan.purpose == "report" and first.triggered and plan.fixed is not None:
            progress(0.5, "running the reproducer against the declared fixed version")
            second = run_blocking(plan.reproducer, plan.fixed)
        if plan.purpose == "fix" and first.triggered:
            progress(0.5, "running the reproducer against the fix")
            base = plan.fixed if plan.fixed is not None else plan.target
            second = run_blocking(plan.reproducer, base, patch=plan.patch, run_tests=plan.patch is not None)
        progress(0.9, "recording the outcome")
        return self._record(plan, first, second)

    def _plan(self, validation_id: ValidationID) -> _Plan | None:
        ctx = self._ctx
        with ctx.database.read_session() as session:
            validation = session.get(ValidationRow, validation_id)
            if validation is None:
                raise LookupError(f"validation {validation_id} does not exist")
            if validation.status != "queued":
                return None
            report = session.get(ReportRow, validation.report_id)
            assert report is not None and report.reproducer is not None
            fix = session.get(FixRow, validation.fix_id) if validation.fix_id else None
            reproducer = load_reproducer(ctx.blobs, report.reproducer)
            target = self._target(report.target)
            fixed_stored = fix.target if fix is not None else report.fixed_target
            patch = ctx.blobs.get(fix.patch_sha256) if fix is not None and fix.patch_sha256 else None
            return _Plan(validation.id, validation.purpose, reproducer, target, self._target(fixed_stored), patch)

    def _target(self, stored: dict[str, Any] | None) -> Target | None:
        if stored is None:
            return None
        fetched, unavailable = None, None
        if stored.get("kind") == TargetKind.PURL.value and self._ctx.package_index:
            try:
                fetched = fetch_purl(str(stored["purl"]), self._ctx.package_index)  # outside the sandbox
            except TargetUnavailable as e:  # the run says why: the report needs information
                unavailable = e.message + (f" ({e.hint})" if e.hint else "")
        return load_target(self._ctx.blobs, stored, fetched, unavailable)

    def _record(self, plan: _Plan, first: Outcome, second: Outcome | None) -> dict[str, Any]:
        ctx = self._ctx
        evidence = first.evidence() + ("\n\n=== second run ===\n" + second.evidence() if second else "")
        digest = ctx.blobs.put(evidence.encode())
        with ctx.uow(SCHEDULER, "validation.finish", "ch_validation", plan.validation_id) as work:
            validation = work.session.get(ValidationRow, plan.validation_id)
            assert validation is not None
            if validation.status != "queued":
                return {"skipped": "already finished"}
            report = work.session.get(ReportRow, validation.report_id)
            assert report is not None
            if plan.purpose == "report":
                outcome, detail = _report_outcome(first, second)
                _apply_report(work, report, outcome, first)
            else:
                outcome, detail = _fix_outcome(first, second, patch=plan.patch is not None)
                _apply_fix(work, validation.fix_id, outcome, detail)
            validation.status = "done"
            validation.outcome = outcome
            validation.detail = detail
            validation.evidence_sha256 = digest
            validation.finished_at = work.now
            work.record(outcome=outcome, report_id=report.id, evidence_sha256=digest)
            return {"validation_id": plan.validation_id, "outcome": outcome}


def _observed(outcome: Outcome) -> dict[str, Any]:
    obs = outcome.observation
    return {
        "stage": outcome.stage.value,
        "note": outcome.note,
        "signal_seen": obs.seen if obs else None,
        "observed": obs.what if obs else None,
        "sanitizer": obs.sanitizer if obs else None,
        "crash_state": list(obs.crash_state) if obs else [],
        "tests_passed": outcome.tests_passed,
        "steps": [s.as_dict() for s in outcome.steps],
    }


def _report_outcome(first: Outcome, second: Outcome | None) -> tuple[str, dict[str, Any]]:
    detail: dict[str, Any] = {"vulnerable": _observed(first)}
    if second is not None:
        detail["fixed_version"] = _observed(second)
    if first.stage is not Stage.RAN:
        detail["reason"] = first.note
        return ReportStatus.NEEDS_INFO.value, detail
    if not first.triggered:
        detail["reason"] = "the expected signal did not come"
        return ReportStatus.NOT_REPRODUCED.value, detail
    if second is not None and second.triggered:
        detail["reason"] = (
            "the reproducer also triggers against the declared fixed version: either the fixed version is wrong "
            "or the reproducer does not isolate the flaw"
        )
        return ReportStatus.NEEDS_INFO.value, detail
    if second is not None and second.stage is not Stage.RAN:
        detail["reason"] = f"the declared fixed version could not be checked: {second.note}"
        return ReportStatus.NEEDS_INFO.value, detail
    return ReportStatus.VALIDATED.value, detail


def _apply_report(work: Work, report: ReportRow, outcome: str, first: Outcome) -> None:
    from bastion.clearinghouse.dedupe import find_duplicate
    from bastion.clearinghouse.duplicates import Verdict, candidates, mark_duplicate, save_keys, subject_of_row

    previous = report.status
    target = ReportStatus(outcome)
    check_report(previous, target)
    report.status = target
    report.updated_at = work.now
    if first.observation is not None and first.observation.crash_state:
        report.crash_state = list(first.observation.crash_state)
    if target is ReportStatus.VALIDATED:
        report.validated_at = work.now
    work.record("report.transition", "ch_report", report.id, from_status=previous, to_status=target)
    if target is ReportStatus.VALIDATED and report.crash_state and report.cwe:
        # the crash state is known now: the same product, CWE and crash state is the same bug (ClusterFuzz)
        subject = subject_of_row(report)
        save_keys(work.session, report.id, subject)
        rows = [r for r in candidates(work.session, subject) if r.created_at <= report.created_at]
        match = find_duplicate(subject, [subject_of_row(r) for r in rows])
        if match is not None:
            original = next(r for r in rows if r.id == match.key)
            mark_duplicate(work, None, report, Verdict(match=match, original=original))


def _fix_outcome(first: Outcome, second: Outcome | None, *, patch: bool) -> tuple[str, dict[str, Any]]:
    detail: dict[str, Any] = {"control": _observed(first)}
    if not first.triggered:
        detail["reason"] = "the reproducer no longer triggers against the vulnerable target: nothing to verify against"
        return FixStatus.ERROR.value, detail
    assert second is not None
    detail["fix"] = _observed(second)
    checks = {
        "applies": second.stage not in (Stage.PATCH_FAILED, Stage.NO_TARGET),
        "builds": second.stage not in (Stage.PATCH_FAILED, Stage.NO_TARGET, Stage.BUILD_FAILED),
        "reproducer_stops": second.stage is Stage.RAN and not second.triggered,
    }
    if patch:
        checks["tests_pass"] = second.tests_passed is not False
    detail["checks"] = checks
    if all(checks.values()):
        return FixStatus.VERIFIED.value, detail
    failed = [name for name, ok in checks.items() if not ok]
    detail["reason"] = "failed: " + ", ".join(failed)
    return FixStatus.NOT_VERIFIED.value, detail


def _apply_fix(work: Work, fix_id: FixID | None, outcome: str, detail: dict[str, Any]) -> None:
    fix = work.session.get(FixRow, fix_id) if fix_id else None
    assert fix is not None
    fix.status = FixStatus(outcome)
    fix.detail = detail
    work.record("fix.verdict", "ch_fix", fix.id, outcome=outcome, case_id=fix.case_id)
    if outcome != FixStatus.VERIFIED.value:
        return
    fix.verified_at = work.now
    case = work.session.get(CaseRow, fix.case_id)
    assert case is not None
    if case.fixed_at is None:
        case.fixed_at = work.now
    if fix.vendor_id is not None and fix.origin == "vendor":
        row = work.session.scalar(
            sa.select(CaseVendorRow).where(CaseVendorRow.case_id == case.id, CaseVendorRow.vendor_id == fix.vendor_id)
        )
        if row is not None:
            row.status = VendorStatus.FIXED
            row.updated_at = work.now
            work.record("case.vendor_status", "ch_case", case.id, vendor_id=fix.vendor_id, status="fixed")
