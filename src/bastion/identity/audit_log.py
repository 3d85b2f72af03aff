"""Reading and verifying the audit log: for programme administrators, decided by ``core.access``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bastion.core import audit
from bastion.core.access import Action, Resource, ResourceKind, authorize
from bastion.core.audit import AuditEntry, AuditVerification, Checkpoint
from bastion.core.principal import Principal
from bastion.identity._base import ServiceBase

AUDIT_LOG = Resource(kind=ResourceKind.AUDIT_LOG)
MAX_PAGE = 500


class AuditEntriesPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    data: list[AuditEntry]
    count: int
    next_after_seq: int | None


class AuditLogService(ServiceBase):
    def list_events(
        self, actor: Principal, *, after_seq: int = 0, limit: int = 100, resource_id: str | None = None
    ) -> AuditEntriesPublic:
        """A page of events in chain order. Reading the log is itself recorded in the log (refusals too)."""
        with self._refusals_audited(actor, "audit.read", "audit_log", None):
            authorize(actor, Action.READ, AUDIT_LOG, what="audit log")
        limit = max(1, min(limit, MAX_PAGE))
        self._uow.seal()  # what reads appended joins the chain before it is shown
        with self._db.session() as session:
            events, total = audit.list_events(session, after_seq=after_seq, limit=limit, resource_id=resource_id)
            audit.record(
                session,
                at=self._clock.now(),
                actor=actor,
                action="audit.read",
                resource_type="audit_log",
                resource_id=None,
                detail={"after_seq": after_seq, "limit": limit, "resource_id": resource_id},
            )
        next_after = events[-1].seq if len(events) == limit else None
        return AuditEntriesPublic(data=events, count=total, next_after_seq=next_after)

    def verify(self, actor: Principal, *, checkpoint: Checkpoint | None = None) -> AuditVerification:
        """Seal what is pending, then recompute the keyed chain (and check it against ``checkpoint``)."""
        with self._refusals_audited(actor, "audit.verify", "audit_log", None):
            authorize(actor, Action.READ, AUDIT_LOG, what="audit log")
        self._uow.seal()
        return self._uow.chain.verify(checkpoint=checkpoint)

    def checkpoint(self, actor: Principal) -> Checkpoint:
        """Sign the chain's head, for keeping outside the database (``bastion audit checkpoint``)."""
        with self._refusals_audited(actor, "audit.checkpoint", "audit_log", None):
            authorize(actor, Action.READ, AUDIT_LOG, what="audit log")
        with self._uow(actor, "audit.checkpoint", "audit_log") as work:
            work.record()
        return self._uow.chain.checkpoint(self._clock.now())
