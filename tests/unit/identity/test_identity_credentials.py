"""API tokens, web sessions and login through IdentityService, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bastion.core.audit_models import AuditEvent
from bastion.core.clock import ManualClock
from bastion.core.errors import InvalidInput, NotFound, Unauthenticated
from bastion.core.principal import Classification, OrgKind, Role
from bastion.identity.models import ApiToken, User, WebSession
from bastion.runtime import Runtime
from tests.factories import CISA, identity, make_admin, make_org, make_user, principal_for

PASSWORD = "a long enough passphrase"


def test_token_is_shown_once_and_stored_only_as_a_digest(runtime: Runtime) -> None:
    user, _ = make_user(runtime, CISA, [Role.EVALUATOR])
    issued = identity(runtime).issue_token(principal_for(runtime, user.id), user_id=user.id, name="ci")
    assert issued.token.startswith("bst_") and len(issued.token) > 40
    with runtime.database.read_session() as session:
        row = session.get(ApiToken, issued.id)
        assert row is not None
        assert row.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
        assert issued.token[4:] not in row.prefix and row.prefix == issued.token[:12]
    listed = identity(runtime).list_tokens(principal_for(runtime, user.id))
    assert issued.id in {t.id for t in listed}
    assert all(issued.token not in t.model_dump_json() for t in listed)


def test_token_authenticates_and_records_last_use(runtime: Runtime, clock: ManualClock) -> None:
    user, secret = make_user(runtime, CISA, [Role.AGENCY_REVIEWER], Classification.SECRET)
    clock.advance(timedelta(hours=3))
    principal = identity(runtime).authenticate_token(secret)
    assert (principal.user_id, principal.org_kind) == (user.id, OrgKind.AGENCY)
    assert principal.roles == frozenset({Role.AGENCY_REVIEWER}) and principal.clearance is Classification.SECRET
    [token] = identity(runtime).list_tokens(principal)
    assert token.last_used_at == clock.now()


def test_token_expires(runtime: Runtime, clock: ManualClock) -> None:
    _, secret = make_user(runtime, CISA, [Role.EVALUATOR])
    clock.advance(timedelta(days=89, hours=23))
    identity(runtime).authenticate_token(secret)
    clock.advance(timedelta(hours=1))
    with pytest.raises(Unauthenticated, match="the token expired"):
        identity(runtime).authenticate_token(secret)


def test_custom_lifetime_and_its_bounds(runtime: Runtime, clock: ManualClock) -> None:
    user, _ = make_user(runtime, CISA, [Role.EVALUATOR])
    actor = principal_for(runtime, user.id)
    issued = identity(runtime).issue_token(actor, user_id=user.id, name="short", ttl=timedelta(days=1))
    assert issued.expires_at == clock.now() + timedelta(days=1)
    for bad in (timedelta(0), timedelta(days=400)):
        with pytest.raises(InvalidInput, match="must expire within"):
            identity(runtime).issue_token(actor, user_id=user.id, name="bad", ttl=bad)


def test_revoked_token_stops_working(runtime: Runtime) -> None:
    user, _ = make_user(runtime, CISA, [Role.EVALUATOR])
    actor = principal_for(runtime, user.id)
    issued = identity(runtime).issue_token(actor, user_id=user.id, name="laptop")
    identity(runtime).revoke_token(actor, issued.id)
    with pytest.raises(Unauthenticated, match="revoked"):
        identity(runtime).authenticate_token(issued.token)
    [listed] = [t for t in identity(runtime).list_tokens(actor) if t.id == issued.id]
    assert listed.status == "revoked"


def test_unknown_and_malformed_tokens_are_refused(runtime: Runtime) -> None:
    with pytest.raises(Unauthenticated, match="not valid"):
        identity(runtime).authenticate_token("bst_" + "x" * 43)
    with pytest.raises(Unauthenticated, match="not a Bastion token"):
        identity(runtime).authenticate_token("Basic abc")


def test_deactivated_user_tokens_stop_working(runtime: Runtime) -> None:
    admin, _ = make_admin(runtime)
    user, secret = make_user(runtime, CISA, [Role.EVALUATOR])
    identity(runtime).update_user(principal_for(runtime, admin.id), user.id, active=False)
    with pytest.raises(Unauthenticated, match="deactivated"):
        identity(runtime).authenticate_token(secret)


def test_other_users_tokens_do_not_exist_for_non_admins(runtime: Runtime) -> None:
    lab = make_org(runtime, "Lab", OrgKind.FRONTIER_LAB)
    alice, _ = make_user(runtime, lab.id, [Role.LAB_SUBMITTER])
    bob, bob_secret = make_user(runtime, lab.id, [Role.LAB_SUBMITTER])
    [bob_token] = identity(runtime).list_tokens(principal_for(runtime, bob.id))
    actor = principal_for(runtime, alice.id)
    with pytest.raises(NotFound, match=f"token {bob_token.id} not found"):
        identity(runtime).revoke_token(actor, bob_token.id)
    with pytest.raises(NotFound, match=f"user {bob.id} not found"):
        identity(runtime).issue_token(actor, user_id=bob.id, name="sneaky")
    assert bob_token.id not in {t.id for t in identity(runtime).list_tokens(actor)}
    assert identity(runtime).authenticate_token(bob_secret).user_id == bob.id
    admin, _ = make_admin(runtime)
    identity(runtime).revoke_token(principal_for(runtime, admin.id), bob_token.id)
    with pytest.raises(Unauthenticated):
        identity(runtime).authenticate_token(bob_secret)


def test_login_issues_an_expiring_session(runtime: Runtime, clock: ManualClock) -> None:
    user, _ = make_user(runtime, CISA, [Role.EVALUATOR], email="eve@cisa.example", password=PASSWORD)
    session = identity(runtime).login("EVE@cisa.example", PASSWORD)
    assert session.token.startswith("bss_")
    assert identity(runtime).authenticate_token(session.token).user_id == user.id
    with runtime.database.read_session() as db:
        stored = db.scalars(sa.select(WebSession.token_hash)).one()
        assert stored == hashlib.sha256(session.token.encode()).hexdigest()
        password_hash = db.scalars(sa.select(User.password_hash).where(User.id == user.id)).one()
        assert password_hash is not None and password_hash.startswith("$argon2id$")
    clock.advance(timedelta(hours=12))
    with pytest.raises(Unauthenticated, match="expired"):
        identity(runtime).authenticate_token(session.token)


def test_logout_ends_the_session(runtime: Runtime) -> None:
    make_user(runtime, CISA, [Role.EVALUATOR], email="eve@cisa.example", password=PASSWORD)
    session = identity(runtime).login("eve@cisa.example", PASSWORD)
    identity(runtime).logout(session.token)
    with pytest.raises(Unauthenticated, match="revoked"):
        identity(runtime).authenticate_token(session.token)


def test_login_failures_look_the_same_and_are_audited_without_the_password(runtime: Runtime) -> None:
    make_user(runtime, CISA, [Role.EVALUATOR], email="eve@cisa.example", password=PASSWORD)
    failures = []
    for email, password in (("eve@cisa.example", "wrong password!!"), ("nobody@cisa.example", PASSWORD)):
        with pytest.raises(Unauthenticated) as error:
            identity(runtime).login(email, password)
        failures.append((error.value.code, error.value.message))
    assert failures[0] == failures[1] == ("login_failed", "wrong email or password")
    with runtime.database.read_session() as db:
        logins = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "auth.login")).all()
        assert [e.outcome for e in logins] == ["denied", "denied"]
        assert [e.detail["email"] for e in logins] == ["eve@cisa.example", "nobody@cisa.example"]
        dump = " ".join(str(e.detail) for e in logins)
    assert "wrong password" not in dump and PASSWORD not in dump


def test_deactivated_user_cannot_log_in(runtime: Runtime) -> None:
    admin, _ = make_admin(runtime)
    user, _ = make_user(runtime, CISA, [Role.EVALUATOR], email="eve@cisa.example", password=PASSWORD)
    identity(runtime).update_user(principal_for(runtime, admin.id), user.id, active=False)
    with pytest.raises(Unauthenticated, match="wrong email or password"):
        identity(runtime).login("eve@cisa.example", PASSWORD)
