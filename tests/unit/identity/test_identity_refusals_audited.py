"""Refused identity administration attempts are recorded in the audit log (outcome denied or not_found),
and the refused change itself is not written."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from bastion.container import Container
from bastion.core.audit_models import AuditEvent
from bastion.core.errors import Forbidden, NotFound
from bastion.core.principal import Classification, OrgKind, Role
from bastion.runtime import Runtime
from tests.factories import CISA, identity, make_admin, make_user, principal_for, verify_audit


def _events(runtime: Runtime, actor_id: str) -> list[tuple[str, str, str | None, str]]:
    with runtime.database.read_session() as session:
        rows = session.execute(
            sa.select(AuditEvent.action, AuditEvent.outcome, AuditEvent.resource_id, AuditEvent.detail)
            .where(AuditEvent.actor_user_id == actor_id)
            .order_by(AuditEvent.seq)
        )
        return [(action, outcome, resource_id, detail["code"]) for action, outcome, resource_id, detail in rows]


def test_refused_administration_is_audited(runtime: Runtime) -> None:
    service = identity(runtime)
    admin_user, _ = make_admin(runtime)
    other, _ = make_user(runtime, CISA, [Role.EVALUATOR], Classification.SECRET)
    reviewer_user, _ = make_user(runtime, CISA, [Role.AGENCY_REVIEWER], Classification.SECRET)
    reviewer = principal_for(runtime, reviewer_user.id)
    attempts: list[tuple[type[Exception], Callable[[], object]]] = [
        (Forbidden, lambda: service.create_organisation(reviewer, name="Rogue Lab", kind=OrgKind.FRONTIER_LAB)),
        (
            Forbidden,
            lambda: service.create_user(
                reviewer,
                org_id=CISA,
                email="new@cisa.example",
                display_name="New",
                roles=[Role.EVALUATOR],
                clearance=Classification.CUI,
            ),
        ),
        (NotFound, lambda: service.update_user(reviewer, other.id, clearance=Classification.TOP_SECRET)),
        (Forbidden, lambda: service.update_user(reviewer, reviewer_user.id, clearance=Classification.TOP_SECRET)),
        (NotFound, lambda: service.issue_token(reviewer, user_id=admin_user.id, name="stolen")),
        (NotFound, lambda: service.revoke_token(reviewer, "tok_00000000deadbeef")),
        (Forbidden, lambda: Container(runtime).audit_log.list_events(reviewer)),
    ]
    for kind, attempt in attempts:
        with pytest.raises(kind):
            attempt()
    assert _events(runtime, reviewer_user.id) == [
        ("organisation.create", "denied", None, "forbidden"),
        ("user.create", "denied", None, "forbidden"),
        ("user.update", "not_found", other.id, "not_found"),
        ("user.update", "denied", reviewer_user.id, "forbidden"),
        ("token.create", "not_found", admin_user.id, "not_found"),
        ("token.revoke", "not_found", "tok_00000000deadbeef", "not_found"),
        ("audit.read", "denied", None, "forbidden"),
    ]
    assert service.get_user(principal_for(runtime, admin_user.id), reviewer_user.id).clearance is Classification.SECRET
    assert verify_audit(runtime).ok
