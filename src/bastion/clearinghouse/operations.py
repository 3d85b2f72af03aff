"""The clock's work, run by ``bastion clearinghouse tick`` (cron, or a long-running worker): SLA reminders and
escalations, embargo reminders into the outbox, and publication when an embargo's date comes. Every deadline is
computed on the injected clock (``deadlines.due_events``); each event is sent once (the outbox's keys)."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from bastion.clearinghouse._base import OPERATIONS, ClearinghouseContext
from bastion.clearinghouse.deadlines import CaseClock, EventKind, due_events, embargo_policy
from bastion.clearinghouse.models import CaseRow, ReportRow
from bastion.clearinghouse.outbox import Topic, enqueue
from bastion.clearinghouse.public import TickResult
from bastion.clearinghouse.publication import publish_case
from bastion.clearinghouse.scoring import Severity
from bastion.clearinghouse.states import CaseStatus
from bastion.core.access import Action
from bastion.core.audit import SCHEDULER
from bastion.core.errors import BastionError
from bastion.core.ids import CaseID
from bastion.core.principal import Principal

log = logging.getLogger(__name__)
_TOPIC = {
    EventKind.SLA_REMINDER: Topic.SLA_REMINDER,
    EventKind.SLA_ESCALATION: Topic.SLA_ESCALATION,
    EventKind.EMBARGO_REMINDER: Topic.EMBARGO_REMINDER,
}


class Operations:
    def __init__(self, ctx: ClearinghouseContext) -> None:
        self._ctx = ctx

    def tick_as(self, actor: Principal) -> TickResult:
        """The tick, asked for by a person (analysts): checked and audited, then run as the scheduler."""
        with self._ctx.uow(actor, "clearinghouse.tick", "ch_operations", None) as work:
            work.require(
                Action.UPDATE, OPERATIONS, what="clock", refusal="the clearinghouse's clock is run by analysts"
            )
            work.record()
        return self.tick()

    def tick(self) -> TickResult:
        with self._ctx.database.read_session() as session:
            case_ids = list(session.scalars(sa.select(CaseRow.id).where(CaseRow.status == CaseStatus.OPEN.value)))
        reminders = escalations = 0
        published: list[str] = []
        for case_id in case_ids:
            try:
                sent, escalated, advisory = self._tick_case(case_id)
            except BastionError as e:  # one case's trouble must not stop the others; it is logged
                log.warning("clearinghouse tick: case %s: %s", case_id, e)
                continue
            reminders += sent
            escalations += escalated
            if advisory:
                published.append(advisory)
        return TickResult(reminders=reminders, escalations=escalations, published=published)

    def _tick_case(self, case_id: CaseID) -> tuple[int, int, str | None]:
        ctx = self._ctx
        with ctx.uow(SCHEDULER, "clearinghouse.tick", "ch_case", case_id) as work:
            case = work.session.get(CaseRow, case_id, with_for_update=not ctx.database.is_sqlite)
            if case is None or case.status != CaseStatus.OPEN.value:
                return 0, 0, None
            clock = CaseClock(
                opened_at=case.opened_at,
                severity=Severity(case.severity),
                fixed_at=case.fixed_at,
                embargo=case.embargo_status,
                disclosure_at=case.disclosure_at,
                published_at=case.published_at,
            )
            sent = escalated = 0
            for event in due_events(clock, work.now, embargo_policy(case.embargo_policy), ctx.sla):
                if event.kind is EventKind.EMBARGO_ENDS:
                    report = work.session.get(ReportRow, case.report_id)
                    assert report is not None
                    publication = publish_case(work, ctx, case, report, None, reason="the embargo ended", cve_id=None)
                    return sent, escalated, publication.advisory_id
                added = enqueue(
                    work.session,
                    topic=_TOPIC[event.kind],
                    dedupe_key=f"case:{case.id}:{event.label}",
                    payload={"case_id": case.id, "deadline": event.deadline.isoformat(), "kind": event.kind.value},
                    at=work.now,
                )
                if added:
                    work.record(event.kind.value, "ch_case", case.id, deadline=event.deadline)
                    sent += event.kind is not EventKind.SLA_ESCALATION
                    escalated += event.kind is EventKind.SLA_ESCALATION
            return sent, escalated, None
