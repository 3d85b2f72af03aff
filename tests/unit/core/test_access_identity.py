"""The access policy for identity resources (organisations, users, tokens, the audit log). Pure."""

from __future__ import annotations

import pytest

from bastion.core.access import Action, Resource, ResourceKind, decide, visible
from bastion.core.principal import Classification, OrgID, OrgKind, Principal, Role, UserID


def person(user: str, kind: OrgKind, *roles: Role) -> Principal:
    return Principal(UserID(user), OrgID(f"org_{user}"), kind, frozenset(roles), Classification.SECRET)


ADMIN = person("admin", OrgKind.PROGRAMME_OFFICE, Role.PROGRAMME_ADMIN)
REVIEWER = person("rev", OrgKind.AGENCY, Role.AGENCY_REVIEWER)
EVALUATOR = person("eva", OrgKind.TRUSTED_PARTNER, Role.EVALUATOR)
SUBMITTER = person("lab", OrgKind.FRONTIER_LAB, Role.LAB_SUBMITTER)
NON_ADMINS = [REVIEWER, EVALUATOR, SUBMITTER]


def user(user_id: str) -> Resource:
    return Resource(kind=ResourceKind.USER, subject_user_id=UserID(user_id))


def token(user_id: str) -> Resource:
    return Resource(kind=ResourceKind.API_TOKEN, subject_user_id=UserID(user_id))


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("kind", [ResourceKind.ORGANISATION, ResourceKind.USER, ResourceKind.API_TOKEN])
def test_programme_admin_may_do_everything_to_identity(kind: ResourceKind, action: Action) -> None:
    assert decide(ADMIN, action, Resource(kind=kind, subject_user_id=UserID("someone"))).allowed


@pytest.mark.parametrize("actor", NON_ADMINS, ids=lambda p: p.user_id)
def test_others_users_and_tokens_do_not_exist_for_non_admins(actor: Principal) -> None:
    for resource in (user("someone"), token("someone")):
        assert not visible(actor, resource)
        for action in (Action.READ, Action.UPDATE, Action.DELETE):
            decision = decide(actor, action, resource)
            assert not decision.allowed and decision.conceal


@pytest.mark.parametrize("actor", NON_ADMINS, ids=lambda p: p.user_id)
def test_self_service(actor: Principal) -> None:
    me = actor.user_id
    assert visible(actor, user(me))
    assert decide(actor, Action.UPDATE, user(me)).allowed
    for action in (Action.READ, Action.CREATE, Action.DELETE):
        assert decide(actor, action, token(me)).allowed
    escalation = decide(actor, Action.DECIDE, user(me))  # roles, clearance, active
    assert not escalation.allowed and not escalation.conceal


def org(org_id: str) -> Resource:
    return Resource(kind=ResourceKind.ORGANISATION, owner_org_id=OrgID(org_id))


@pytest.mark.parametrize("actor", NON_ADMINS, ids=lambda p: p.user_id)
def test_everyone_reads_their_own_organisation_and_only_admins_create_them(actor: Principal) -> None:
    assert visible(actor, org(actor.org_id))
    assert not decide(actor, Action.CREATE, Resource(kind=ResourceKind.ORGANISATION)).allowed
    assert not decide(actor, Action.CREATE, Resource(kind=ResourceKind.USER)).allowed


@pytest.mark.parametrize("actor", [REVIEWER, EVALUATOR], ids=lambda p: p.user_id)
def test_programme_staff_see_every_organisation(actor: Principal) -> None:
    assert visible(actor, org("org_someone_else"))


@pytest.mark.parametrize(
    "actor",
    [
        SUBMITTER,
        person("viewer", OrgKind.FRONTIER_LAB, Role.LAB_VIEWER),
        person("vendor", OrgKind.VENDOR, Role.VENDOR_CONTACT),
        person("researcher", OrgKind.RESEARCHER, Role.REPORTER),
    ],
    ids=lambda p: p.user_id,
)
def test_labs_vendors_and_reporters_do_not_learn_who_else_takes_part(actor: Principal) -> None:
    decision = decide(actor, Action.READ, org("org_another_lab"))
    assert not decision.allowed and decision.conceal


@pytest.mark.parametrize("actor", NON_ADMINS, ids=lambda p: p.user_id)
def test_audit_log_is_for_admins(actor: Principal) -> None:
    audit_log = Resource(kind=ResourceKind.AUDIT_LOG)
    assert decide(ADMIN, Action.READ, audit_log).allowed
    decision = decide(actor, Action.READ, audit_log)
    assert not decision.allowed and not decision.conceal
