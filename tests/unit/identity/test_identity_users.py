"""Organisations and users through IdentityService, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bastion.core.audit_models import AuditEvent
from bastion.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from bastion.core.principal import Classification, OrgKind, Role
from bastion.identity.models import User
from bastion.runtime import Runtime
from tests.factories import (
    CISA,
    PROGRAMME_OFFICE,
    identity,
    make_admin,
    make_org,
    make_user,
    principal_for,
    verify_audit,
)


def counts(runtime: Runtime) -> tuple[int, int]:
    with runtime.database.read_session() as session:
        users = session.scalar(sa.select(sa.func.count()).select_from(User))
        events = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    return int(users or 0), int(events or 0)


def test_seeded_organisations(runtime: Runtime) -> None:
    admin, _ = make_admin(runtime)
    orgs = {(o.name, o.kind) for o in identity(runtime).list_organisations(principal_for(runtime, admin.id))}
    assert ("Department of the Treasury", OrgKind.AGENCY) in orgs
    assert ("Department of War", OrgKind.AGENCY) in orgs
    assert ("National Security Agency", OrgKind.AGENCY) in orgs
    assert ("Cybersecurity and Infrastructure Security Agency", OrgKind.AGENCY) in orgs
    assert ("AI Security Programme Office", OrgKind.PROGRAMME_OFFICE) in orgs


def test_admin_creates_a_user_who_can_then_be_read(runtime: Runtime) -> None:
    admin, _ = make_admin(runtime)
    lab = make_org(runtime, "Frontier Lab One", OrgKind.FRONTIER_LAB)
    actor = principal_for(runtime, admin.id)
    created = identity(runtime).create_user(
        actor,
        org_id=lab.id,
        email="  Alice@Lab.Example ",
        display_name="Alice  Liddell",
        roles=[Role.LAB_SUBMITTER],
        clearance=Classification.CUI,
    )
    assert (created.email, created.display_name, created.org_name) == (
        "alice@lab.example",
        "Alice Liddell",
        lab.name,
    )
    assert created.roles == [Role.LAB_SUBMITTER] and created.clearance is Classification.CUI and created.active
    assert identity(runtime).get_user(actor, created.id) == created
    assert verify_audit(runtime).ok


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"email": "not-an-email"}, InvalidInput, "not a valid email"),
        ({"email": "BOB@example.org"}, Conflict, "a user with email bob@example.org already exists"),
        ({"org_id": "org_nope"}, InvalidInput, "organisation org_nope does not exist"),
        ({"roles": [Role.PROGRAMME_ADMIN]}, InvalidInput, "does not fit a frontier_lab organisation"),
        ({"roles": []}, InvalidInput, "at least one role"),
        ({"password": "short"}, InvalidInput, "password is too short"),
        ({"display_name": "   "}, InvalidInput, "display name must not be empty"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    runtime: Runtime, change: dict[str, object], error: type[Exception], message: str
) -> None:
    admin, _ = make_admin(runtime)
    lab = make_org(runtime, "Lab", OrgKind.FRONTIER_LAB)
    make_user(runtime, lab.id, [Role.LAB_VIEWER], email="bob@example.org")
    before = counts(runtime)
    fields: dict[str, object] = {
        "org_id": lab.id,
        "email": "carol@example.org",
        "display_name": "Carol",
        "roles": [Role.LAB_VIEWER],
        "clearance": Classification.UNCLASSIFIED,
    } | change
    with pytest.raises(error, match=message):
        identity(runtime).create_user(principal_for(runtime, admin.id), **fields)  # type: ignore[arg-type]
    assert counts(runtime) == before


def test_only_admins_create_users_and_organisations(runtime: Runtime) -> None:
    reviewer, _ = make_user(runtime, CISA, [Role.AGENCY_REVIEWER], Classification.SECRET)
    actor = principal_for(runtime, reviewer.id)
    with pytest.raises(Forbidden, match="only programme administrators create users"):
        identity(runtime).create_user(
            actor,
            org_id=CISA,
            email="x@example.org",
            display_name="X",
            roles=[Role.EVALUATOR],
            clearance=Classification.UNCLASSIFIED,
        )
    with pytest.raises(Forbidden, match="only programme administrators create organisations"):
        identity(runtime).create_organisation(actor, name="Shadow Lab", kind=OrgKind.FRONTIER_LAB)


def test_duplicate_organisation_name_is_a_conflict(runtime: Runtime) -> None:
    make_org(runtime, "Lab", OrgKind.FRONTIER_LAB)
    with pytest.raises(Conflict, match="an organisation named 'Lab' already exists"):
        make_org(runtime, "Lab", OrgKind.TRUSTED_PARTNER)


def test_other_users_do_not_exist_for_a_non_admin(runtime: Runtime) -> None:
    lab = make_org(runtime, "Lab", OrgKind.FRONTIER_LAB)
    alice, _ = make_user(runtime, lab.id, [Role.LAB_SUBMITTER])
    bob, _ = make_user(runtime, lab.id, [Role.LAB_VIEWER])
    actor = principal_for(runtime, alice.id)
    with pytest.raises(NotFound) as hidden:
        identity(runtime).get_user(actor, bob.id)
    with pytest.raises(NotFound) as missing:
        identity(runtime).get_user(actor, "usr_doesnotexist")
    assert str(hidden.value) == f"user {bob.id} not found"
    assert str(missing.value) == "user usr_doesnotexist not found"
    assert [u.id for u in identity(runtime).list_users(actor)] == [alice.id]
    admin, _ = make_admin(runtime)
    assert {u.id for u in identity(runtime).list_users(principal_for(runtime, admin.id))} == {
        alice.id,
        bob.id,
        admin.id,
    }


def test_users_rename_themselves_but_cannot_raise_their_clearance(runtime: Runtime) -> None:
    evaluator, _ = make_user(runtime, CISA, [Role.EVALUATOR], Classification.CUI)
    actor = principal_for(runtime, evaluator.id)
    renamed = identity(runtime).update_user(actor, evaluator.id, display_name="Eve Evaluator")
    assert renamed.display_name == "Eve Evaluator"
    with pytest.raises(Forbidden, match="only programme administrators change roles, clearance"):
        identity(runtime).update_user(actor, evaluator.id, clearance=Classification.TOP_SECRET)
    assert identity(runtime).get_principal(evaluator.id).clearance is Classification.CUI


def test_admin_changes_roles_clearance_and_active(runtime: Runtime) -> None:
    admin, _ = make_admin(runtime)
    actor = principal_for(runtime, admin.id)
    agent, _ = make_user(runtime, CISA, [Role.EVALUATOR], Classification.CUI)
    changed = identity(runtime).update_user(
        actor,
        agent.id,
        roles=[Role.AGENCY_REVIEWER, Role.EVALUATOR],
        clearance=Classification.SECRET,
        active=False,
    )
    assert changed.roles == [Role.AGENCY_REVIEWER, Role.EVALUATOR]
    assert (changed.clearance, changed.active) == (Classification.SECRET, False)
    with pytest.raises(InvalidInput, match="does not fit"):
        identity(runtime).update_user(actor, agent.id, roles=[Role.LAB_SUBMITTER])


def test_admin_cannot_grant_clearance_above_their_own(runtime: Runtime) -> None:
    admin, _ = make_user(runtime, PROGRAMME_OFFICE, [Role.PROGRAMME_ADMIN], Classification.SECRET)
    agent, _ = make_user(runtime, CISA, [Role.EVALUATOR])
    with pytest.raises(Forbidden, match="above your own"):
        identity(runtime).update_user(principal_for(runtime, admin.id), agent.id, clearance=Classification.TOP_SECRET)


def test_the_last_active_admin_cannot_be_removed(runtime: Runtime) -> None:
    admin, _ = make_admin(runtime)
    actor = principal_for(runtime, admin.id)
    with pytest.raises(Conflict, match="no active programme administrator"):
        identity(runtime).update_user(actor, admin.id, active=False)
    second, _ = make_admin(runtime)
    assert not identity(runtime).update_user(actor, second.id, active=False).active
    assert identity(runtime).get_user(actor, admin.id).active


def test_bootstrap_only_while_no_user_exists(runtime: Runtime) -> None:
    user, token = identity(runtime).bootstrap_admin(email="root@programme.example", display_name="Root")
    assert user.roles == [Role.PROGRAMME_ADMIN] and user.clearance is Classification.TOP_SECRET
    assert user.org_id == PROGRAMME_OFFICE
    assert identity(runtime).authenticate_token(token.token).user_id == user.id
    before = counts(runtime)
    with pytest.raises(Conflict, match="already has users"):
        identity(runtime).bootstrap_admin(email="second@programme.example", display_name="Second")
    assert counts(runtime) == before
