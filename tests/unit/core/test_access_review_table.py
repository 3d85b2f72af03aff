"""Every decision of the access policy for the review area, against a table written from the programme's rules.

Enumerated: every persona (role x assignment x ownership), every action, every resource kind of review content,
every classification (within and above the reader's clearance), shared with the lab or not, and written by
programme staff or by the lab's own people. Nothing here is computed from ``core.access``: the expected answers
are the TABLE below, with the programme's rules beside it.

Letters: ``o`` allowed, ``f`` forbidden (a plain refusal: the reader may know the thing exists), ``h`` hidden
(concealed: answered exactly as a missing thing).

The programme's rules, as the table states them:

- Programme administrators do everything, except what is one party's own act: a lab submits its models and
  consents to extensions of its review; an agency nominates a submission.
- Agency reviewers run the selection: they read submissions and selection decisions with the rationale, decide
  and nominate (nominations come from agencies: a reviewer in the programme office does not nominate). They
  never read model-access credentials. A review and everything in it does not exist for them unless they are
  assigned to that review, and then they only read it.
- Evaluators see a submission and its review only when assigned to it. Assigned, they read everything in it
  (the credential too) except the selection rationale, and record and mark findings, evidence and evaluation
  runs. Sharing with the lab and the window are programme decisions.
- A lab sees only its own submissions. Its submitters submit, update and withdraw them, record release,
  consent to extensions and respond to findings shared with them; its viewers only read. A lab reads findings,
  evidence and reports only once shared with it, never evaluation runs, never the credential back, never the
  selection rationale; and it learns which of its own people wrote something, never which of the staff did.
- Several roles add up: allowed if any role allows; otherwise hidden only if every role would hide.
- Lowering a marking (DOWNGRADE) is a classification authority's decision, on content it may read. No persona
  of the table holds that role, so each of them is refused lowering plainly wherever it may read the thing, and
  it stays hidden wherever the thing is; the table gets that column below, and the authority its own test.
- Classification comes first: above one's clearance everything is hidden, except that marking a thing one may
  know of at a level above one's clearance, or creating one where one may know of the place it would go, is a
  plain refusal (there is nothing to conceal from someone who named the level themselves).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from bastion.core.access import Action, Resource, ResourceKind, decide, visible
from bastion.core.principal import Classification, OrgID, OrgKind, Principal, Role, UserID

LAB, OTHER_LAB = OrgID("org_lab"), OrgID("org_other_lab")
CLEARANCE = Classification.SECRET  # every persona's clearance
WITHIN = [level for level in Classification if level <= CLEARANCE]
ABOVE = [level for level in Classification if level > CLEARANCE]

ACTIONS = [
    Action.READ,
    Action.READ_SECRET,
    Action.READ_AUTHOR,
    Action.CREATE,
    Action.UPDATE,
    Action.DELETE,
    Action.CLASSIFY,
    Action.RESPOND,
    Action.DECIDE,
    Action.CONSENT,
    Action.NOMINATE,
    Action.DOWNGRADE,
]
KINDS = [
    ResourceKind.SUBMISSION,
    ResourceKind.SELECTION,
    ResourceKind.REVIEW,
    ResourceKind.FINDING,
    ResourceKind.EVIDENCE,
    ResourceKind.REPORT,
    ResourceKind.EVAL_RUN,
]
LAB_SHARED = (ResourceKind.FINDING, ResourceKind.EVIDENCE, ResourceKind.REPORT)


@dataclass(frozen=True)
class Persona:
    name: str
    org: OrgID
    kind: OrgKind
    roles: tuple[Role, ...]
    assigned: bool = False

    @property
    def principal(self) -> Principal:
        return Principal(UserID(self.name), self.org, self.kind, frozenset(self.roles), CLEARANCE)


AGENCY, OFFICE = OrgID("org_cisa"), OrgID("org_office")
PERSONAS = {
    p.name: p
    for p in (
        Persona("admin", OFFICE, OrgKind.PROGRAMME_OFFICE, (Role.PROGRAMME_ADMIN,)),
        Persona("agency", AGENCY, OrgKind.AGENCY, (Role.AGENCY_REVIEWER,)),
        Persona("agency_assigned", AGENCY, OrgKind.AGENCY, (Role.AGENCY_REVIEWER,), assigned=True),
        Persona("office_reviewer", OFFICE, OrgKind.PROGRAMME_OFFICE, (Role.AGENCY_REVIEWER,)),
        Persona("evaluator", AGENCY, OrgKind.AGENCY, (Role.EVALUATOR,)),
        Persona("evaluator_assigned", AGENCY, OrgKind.TRUSTED_PARTNER, (Role.EVALUATOR,), assigned=True),
        Persona("submitter", LAB, OrgKind.FRONTIER_LAB, (Role.LAB_SUBMITTER,)),
        Persona("viewer", LAB, OrgKind.FRONTIER_LAB, (Role.LAB_VIEWER,)),
        Persona("other_submitter", OTHER_LAB, OrgKind.FRONTIER_LAB, (Role.LAB_SUBMITTER,)),
        Persona("other_viewer", OTHER_LAB, OrgKind.FRONTIER_LAB, (Role.LAB_VIEWER,)),
    )
}
OWNER_LAB = ("submitter", "viewer")
HIDDEN = "hhhhhhhhhhh"

# fmt: off
# Columns: READ, READ_SECRET, READ_AUTHOR, CREATE, UPDATE, DELETE, CLASSIFY, RESPOND, DECIDE, CONSENT, NOMINATE.
# For labs: the content is shared with the lab and written by programme staff (see the two tables after).
TABLE: dict[str, dict[ResourceKind, str]] = {
    "admin": {
        ResourceKind.SUBMISSION: "ooofoooooff",  # labs submit
        ResourceKind.SELECTION:  "oooooooooff",  # the lab consents, agencies nominate
        ResourceKind.REVIEW:     "oooooooooff",
        ResourceKind.FINDING:    "oooooooooff",
        ResourceKind.EVIDENCE:   "oooooooooff",
        ResourceKind.REPORT:     "oooooooooff",
        ResourceKind.EVAL_RUN:   "oooooooooff",
    },
    "agency": {
        ResourceKind.SUBMISSION: "ofoffffffff",
        ResourceKind.SELECTION:  "ooofffffofo",
        ResourceKind.REVIEW:     HIDDEN,
        ResourceKind.FINDING:    HIDDEN,
        ResourceKind.EVIDENCE:   HIDDEN,
        ResourceKind.REPORT:     HIDDEN,
        ResourceKind.EVAL_RUN:   HIDDEN,
    },
    "agency_assigned": {
        ResourceKind.SUBMISSION: "ofoffffffff",
        ResourceKind.SELECTION:  "ooofffffofo",
        ResourceKind.REVIEW:     "ofoffffffff",
        ResourceKind.FINDING:    "ofoffffffff",
        ResourceKind.EVIDENCE:   "ofoffffffff",
        ResourceKind.REPORT:     "ofoffffffff",
        ResourceKind.EVAL_RUN:   "ofoffffffff",
    },
    "office_reviewer": {  # an agency reviewer in the programme office: no agency to nominate for
        ResourceKind.SUBMISSION: "ofoffffffff",
        ResourceKind.SELECTION:  "ooofffffoff",
        ResourceKind.REVIEW:     HIDDEN,
        ResourceKind.FINDING:    HIDDEN,
        ResourceKind.EVIDENCE:   HIDDEN,
        ResourceKind.REPORT:     HIDDEN,
        ResourceKind.EVAL_RUN:   HIDDEN,
    },
    "evaluator": dict.fromkeys(KINDS, HIDDEN),
    "evaluator_assigned": {
        ResourceKind.SUBMISSION: "oooffffffff",
        ResourceKind.SELECTION:  "fffffffffff",
        ResourceKind.REVIEW:     "oooffffffff",
        ResourceKind.FINDING:    "ooooofoffff",
        ResourceKind.EVIDENCE:   "ooooofoffff",
        ResourceKind.REPORT:     "oooffffffff",
        ResourceKind.EVAL_RUN:   "ooooofoffff",
    },
    "submitter": {
        ResourceKind.SUBMISSION: "offooofffff",
        ResourceKind.SELECTION:  "offffffffff",
        ResourceKind.REVIEW:     "offfoffffof",  # records release; consents to extensions
        ResourceKind.FINDING:    "offffffofff",  # responds
        ResourceKind.EVIDENCE:   "offffffffff",
        ResourceKind.REPORT:     "offffffffff",
        ResourceKind.EVAL_RUN:   "hhhfhhhhhhh",  # never the lab's; recording one is refused plainly
    },
    "viewer": {
        ResourceKind.SUBMISSION: "offffffffff",
        ResourceKind.SELECTION:  "offffffffff",
        ResourceKind.REVIEW:     "offffffffff",
        ResourceKind.FINDING:    "offffffffff",
        ResourceKind.EVIDENCE:   "offffffffff",
        ResourceKind.REPORT:     "offffffffff",
        ResourceKind.EVAL_RUN:   "hhhfhhhhhhh",
    },
    "other_submitter": dict.fromkeys(KINDS, HIDDEN),
    "other_viewer": dict.fromkeys(KINDS, HIDDEN),
}
# What the owning lab's people get for findings, evidence and reports NOT shared with it: nothing, except that
# recording a finding or evidence is refused plainly (the lab knows its review exists).
UNSHARED: dict[ResourceKind, str] = {
    ResourceKind.FINDING:  "hhhfhhhhhhh",
    ResourceKind.EVIDENCE: "hhhfhhhhhhh",
    ResourceKind.REPORT:   HIDDEN,
}
# fmt: on


def _with_downgrade(row: str) -> str:
    """The DOWNGRADE column for a persona without the classification authority: refused plainly where it may
    read the thing, hidden where the thing is hidden from it."""
    read = row[0]
    return row + ("f" if read == "o" else read)


TABLE = {persona: {kind: _with_downgrade(row) for kind, row in rows.items()} for persona, rows in TABLE.items()}
UNSHARED = {kind: _with_downgrade(row) for kind, row in UNSHARED.items()}
HIDDEN = _with_downgrade(HIDDEN)
# Written by the lab's own people: the lab may see who (wherever it may read the thing).
OWN_AUTHOR_COLUMN = ACTIONS.index(Action.READ_AUTHOR)
MULTI_ROLE = {  # several roles add up
    "agency_evaluator_assigned": ("agency_assigned", "evaluator_assigned"),
    "admin_reviewer": ("admin", "office_reviewer"),  # in the programme office
}


def _expected_row(persona: str, kind: ResourceKind, *, shared: bool, own_author: bool) -> str:
    row = TABLE[persona][kind]
    if persona in OWNER_LAB and kind in LAB_SHARED and not shared:
        row = UNSHARED[kind]
    if persona in OWNER_LAB and own_author and row[ACTIONS.index(Action.READ)] == "o":
        row = row[:OWN_AUTHOR_COLUMN] + "o" + row[OWN_AUTHOR_COLUMN + 1 :]
    return row


def _above_clearance(action: Action, within: str) -> str:
    """``within``: the same persona's letter for the same action at a level within its clearance."""
    if action in (Action.CLASSIFY, Action.CREATE):
        return "h" if within == "h" else "f"
    return "h"


def _union(letters: list[str]) -> str:
    if "o" in letters:
        return "o"
    return "f" if "f" in letters else "h"


def _resource(kind: ResourceKind, level: Classification, *, assigned: bool, shared: bool, own: bool) -> Resource:
    return Resource(
        kind=kind,
        classification=level,
        owner_org_id=LAB,
        assigned=frozenset({UserID("someone_else"), *({UserID("__me__")} if assigned else set())}),
        shared_with_lab=shared,
        author_org_id=LAB if own else None,
    )


def _answer(principal: Principal, action: Action, resource: Resource) -> str:
    decision = decide(principal, action, resource)
    if decision.allowed:
        assert decision.reason, "every decision gives its reason"
        return "o"
    return "h" if decision.conceal else "f"


def _me(persona: Persona) -> Principal:
    p = persona.principal
    return Principal(UserID("__me__"), p.org_id, p.org_kind, p.roles, p.clearance)


def test_the_table_is_complete() -> None:
    assert set(TABLE) == set(PERSONAS)
    for persona, rows in TABLE.items():
        assert set(rows) == set(KINDS), persona
        for kind, row in rows.items():
            assert len(row) == len(ACTIONS) and set(row) <= {"o", "f", "h"}, (persona, kind, row)
    assert set(ACTIONS) == set(Action), "a new action needs its column in the table"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", list(PERSONAS))
def test_every_decision_matches_the_table(name: str, kind: ResourceKind) -> None:
    persona = PERSONAS[name]
    me = _me(persona)
    wrong = []
    for shared, own, level in itertools.product((True, False), (True, False), Classification):
        resource = _resource(kind, level, assigned=persona.assigned, shared=shared, own=own)
        row = _expected_row(name, kind, shared=shared, own_author=own)
        for column, action in enumerate(ACTIONS):
            expected = row[column] if level in WITHIN else _above_clearance(action, row[column])
            got = _answer(me, action, resource)
            if got != expected:
                wrong.append(f"{action.value} {level.name} shared={shared} own_author={own}: {got} != {expected}")
            # lists and counts show exactly what may be read
            if action is Action.READ:
                assert visible(me, resource) is (expected == "o")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", list(MULTI_ROLE))
def test_several_roles_add_up(name: str, kind: ResourceKind) -> None:
    parts = [PERSONAS[p] for p in MULTI_ROLE[name]]
    roles = tuple(role for p in parts for role in p.roles)
    combined = Persona(name, parts[0].org, parts[0].kind, roles, assigned=any(p.assigned for p in parts))
    me = _me(combined)
    for level in WITHIN:
        resource = _resource(kind, level, assigned=combined.assigned, shared=True, own=False)
        for column, action in enumerate(ACTIONS):
            expected = _union([TABLE[p.name][kind][column] for p in parts])
            assert _answer(me, action, resource) == expected, (action, level)


def test_marking_above_clearance_is_refused_plainly_with_its_code() -> None:
    me = _me(PERSONAS["evaluator_assigned"])
    resource = _resource(ResourceKind.FINDING, Classification.TOP_SECRET, assigned=True, shared=False, own=False)
    decision = decide(me, Action.CLASSIFY, resource)
    assert (decision.allowed, decision.conceal, decision.code) == (False, False, "classification_above_clearance")
    assert "TOP SECRET" in decision.reason and decision.hint


@pytest.mark.parametrize("kind", KINDS)
def test_a_classification_authority_lowers_only_what_it_may_read(kind: ResourceKind) -> None:
    """The role adds DOWNGRADE to what its holder may read, and nothing else; a lab never holds it."""
    admin = PERSONAS["admin"]
    authority = Principal(
        UserID("__me__"), OFFICE, OrgKind.PROGRAMME_OFFICE, frozenset({Role.CLASSIFICATION_AUTHORITY}), CLEARANCE
    )
    both = Principal(authority.user_id, OFFICE, authority.org_kind, frozenset(admin.roles) | authority.roles, CLEARANCE)
    lab = Principal(
        UserID("__me__"),
        LAB,
        OrgKind.FRONTIER_LAB,
        frozenset({Role.LAB_SUBMITTER, Role.CLASSIFICATION_AUTHORITY}),
        CLEARANCE,
    )
    for level in Classification:
        resource = _resource(kind, level, assigned=False, shared=True, own=False)
        assert _answer(authority, Action.DOWNGRADE, resource) == "h", level  # the role alone reads nothing
        assert _answer(both, Action.DOWNGRADE, resource) == ("o" if level in WITHIN else "h"), level
        expected_lab = TABLE["submitter"][kind][ACTIONS.index(Action.READ)] if level in WITHIN else "h"
        assert _answer(lab, Action.DOWNGRADE, resource) == ("f" if expected_lab == "o" else expected_lab), level
