"""The access policy for review content: need to know. Pure.

Agency reviewers run the selection: they read submissions and selection decisions (with the rationale) within
their clearance and nominate. A review and what it holds (findings, evidence, reports, evaluation runs) is for
programme administrators, the users assigned to that review and the owning lab (what is shared with it); to an
agency reviewer not assigned to the review it does not exist.
"""

from __future__ import annotations

import pytest

from bastion.core.access import Action, Resource, ResourceKind, decide, visible
from bastion.core.principal import Classification, OrgID, OrgKind, Principal, Role, UserID

LAB = OrgID("org_lab")


def person(user: str, org: str, kind: OrgKind, *roles: Role) -> Principal:
    return Principal(UserID(user), OrgID(org), kind, frozenset(roles), Classification.SECRET)


ADMIN = person("admin", "org_office", OrgKind.PROGRAMME_OFFICE, Role.PROGRAMME_ADMIN)
REVIEWER = person("rev", "org_cisa", OrgKind.AGENCY, Role.AGENCY_REVIEWER)
EVALUATOR = person("eva", "org_nsa", OrgKind.AGENCY, Role.EVALUATOR)
BOTH = person("both", "org_nsa", OrgKind.AGENCY, Role.AGENCY_REVIEWER, Role.EVALUATOR)
SUBMITTER = person("sub", LAB, OrgKind.FRONTIER_LAB, Role.LAB_SUBMITTER)

REVIEW_HELD = [
    ResourceKind.REVIEW,
    ResourceKind.FINDING,
    ResourceKind.EVIDENCE,
    ResourceKind.REPORT,
    ResourceKind.EVAL_RUN,
]


def content(
    kind: ResourceKind,
    *assigned: Principal,
    level: Classification = Classification.CUI,
    shared: bool = False,
) -> Resource:
    return Resource(
        kind=kind,
        classification=level,
        owner_org_id=LAB,
        assigned=frozenset(p.user_id for p in assigned),
        shared_with_lab=shared,
    )


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("kind", REVIEW_HELD)
def test_an_unassigned_agency_reviewer_cannot_tell_review_content_exists(kind: ResourceKind, action: Action) -> None:
    resource = content(kind, EVALUATOR)  # someone else is assigned
    decision = decide(REVIEWER, action, resource)
    assert not decision.allowed and decision.conceal, decision.reason
    assert not visible(REVIEWER, resource)
    # it exists, and the programme office may do anything but speak for the lab or an agency, or lower a
    # marking (a classification authority's)
    admin = decide(ADMIN, action, resource)
    assert admin.allowed is (action not in (Action.CONSENT, Action.NOMINATE, Action.DOWNGRADE)) and not admin.conceal


@pytest.mark.parametrize("kind", REVIEW_HELD)
def test_an_assigned_agency_reviewer_reads_the_review_and_nothing_more(kind: ResourceKind) -> None:
    resource = content(kind, REVIEWER)
    assert visible(REVIEWER, resource)
    for action in (Action.CREATE, Action.UPDATE, Action.DELETE, Action.RESPOND, Action.DECIDE, Action.READ_SECRET):
        decision = decide(REVIEWER, action, resource)
        assert not decision.allowed and not decision.conceal, (action, decision.reason)


@pytest.mark.parametrize("kind", REVIEW_HELD)
def test_an_assigned_agency_reviewer_is_still_bound_by_clearance(kind: ResourceKind) -> None:
    decision = decide(REVIEWER, Action.READ, content(kind, REVIEWER, level=Classification.TOP_SECRET))
    assert not decision.allowed and decision.conceal


def test_agency_reviewers_read_submissions_but_not_the_model_credential() -> None:
    submission = content(ResourceKind.SUBMISSION)  # nobody assigned: the reviewer is not on its review
    assert visible(REVIEWER, submission)
    credential = decide(REVIEWER, Action.READ_SECRET, submission)
    assert not credential.allowed and not credential.conceal
    for action in (Action.UPDATE, Action.DELETE):
        decision = decide(REVIEWER, action, submission)
        assert not decision.allowed and not decision.conceal
    assert not visible(REVIEWER, content(ResourceKind.SUBMISSION, level=Classification.TOP_SECRET))


def test_agency_reviewers_read_the_selection_rationale_and_nominate() -> None:
    selection = content(ResourceKind.SELECTION)
    for action in (Action.READ, Action.READ_SECRET, Action.DECIDE):
        assert decide(REVIEWER, action, selection).allowed, action
    edit = decide(REVIEWER, Action.UPDATE, selection)
    assert not edit.allowed and not edit.conceal
    above = decide(REVIEWER, Action.READ_SECRET, content(ResourceKind.SELECTION, level=Classification.TOP_SECRET))
    assert not above.allowed and above.conceal


def test_roles_add_up_for_an_agency_reviewer_who_also_evaluates() -> None:
    """Assigned: the evaluator role records findings and reads the credential; unassigned: the reviewer role
    still reads submissions and selection, and the review stays hidden."""
    finding = content(ResourceKind.FINDING, BOTH)
    assert decide(BOTH, Action.CREATE, finding).allowed
    assert decide(BOTH, Action.READ_SECRET, content(ResourceKind.SUBMISSION, BOTH)).allowed
    assert decide(BOTH, Action.READ_SECRET, content(ResourceKind.SELECTION, BOTH)).allowed
    elsewhere = content(ResourceKind.FINDING, EVALUATOR)
    assert not visible(BOTH, elsewhere) and decide(BOTH, Action.CREATE, elsewhere).conceal
    assert visible(BOTH, content(ResourceKind.SUBMISSION, EVALUATOR))


def test_opening_a_review_is_for_programme_administrators() -> None:
    review = content(ResourceKind.REVIEW)
    assert decide(ADMIN, Action.DECIDE, review).allowed
    for actor in (REVIEWER, EVALUATOR, SUBMITTER):
        assert not decide(actor, Action.DECIDE, review).allowed


def test_evaluators_and_labs_are_unchanged() -> None:
    """The rules the agency change sits beside: an assigned evaluator reads and records, never the selection
    rationale; an unassigned one sees nothing; the lab sees its findings only once shared."""
    assert decide(EVALUATOR, Action.CREATE, content(ResourceKind.FINDING, EVALUATOR)).allowed
    rationale = decide(EVALUATOR, Action.READ, content(ResourceKind.SELECTION, EVALUATOR))
    assert not rationale.allowed and not rationale.conceal
    assert decide(EVALUATOR, Action.READ, content(ResourceKind.FINDING)).conceal
    assert not visible(SUBMITTER, content(ResourceKind.FINDING, EVALUATOR))
    assert visible(SUBMITTER, content(ResourceKind.FINDING, EVALUATOR, shared=True))
    assert visible(SUBMITTER, content(ResourceKind.REVIEW, EVALUATOR))


AUTHORITY = person("oca", "org_nsa", OrgKind.AGENCY, Role.EVALUATOR, Role.CLASSIFICATION_AUTHORITY)
ADMIN_AUTHORITY = person(
    "oca-admin", "org_office", OrgKind.PROGRAMME_OFFICE, Role.PROGRAMME_ADMIN, Role.CLASSIFICATION_AUTHORITY
)


@pytest.mark.parametrize("kind", REVIEW_HELD)
def test_only_a_classification_authority_lowers_a_marking(kind: ResourceKind) -> None:
    resource = content(kind, EVALUATOR, AUTHORITY)
    for someone in (ADMIN, EVALUATOR, BOTH, SUBMITTER):
        decision = decide(someone, Action.DOWNGRADE, resource)
        assert not decision.allowed, someone.user_id
    assert decide(AUTHORITY, Action.DOWNGRADE, resource).allowed
    assert decide(ADMIN_AUTHORITY, Action.DOWNGRADE, resource).allowed


@pytest.mark.parametrize("kind", REVIEW_HELD)
def test_a_classification_authority_lowers_only_what_it_may_read(kind: ResourceKind) -> None:
    unassigned = content(kind, EVALUATOR)
    decision = decide(AUTHORITY, Action.DOWNGRADE, unassigned)
    assert not decision.allowed and decision.conceal  # no need to know: it does not exist for them
    above = content(kind, EVALUATOR, AUTHORITY, level=Classification.TOP_SECRET)  # AUTHORITY is cleared SECRET
    decision = decide(AUTHORITY, Action.DOWNGRADE, above)
    assert not decision.allowed and decision.conceal
