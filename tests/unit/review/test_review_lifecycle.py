"""The finding lifecycle: exactly the allowed moves, and a refusal names the allowed next states."""

from __future__ import annotations

import itertools

import pytest

from bastion.review.errors import FindingTransitionError
from bastion.review.lifecycle import TRANSITIONS, FindingStatus, check_transition, is_shared

S = FindingStatus
ALLOWED = {
    (S.DRAFT, S.CONFIRMED),
    (S.CONFIRMED, S.DRAFT),
    (S.CONFIRMED, S.SHARED_WITH_LAB),
    (S.SHARED_WITH_LAB, S.LAB_RESPONDED),
    (S.SHARED_WITH_LAB, S.MITIGATED),
    (S.SHARED_WITH_LAB, S.ACCEPTED),
    (S.LAB_RESPONDED, S.MITIGATED),
    (S.LAB_RESPONDED, S.ACCEPTED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_transition_matrix(current: FindingStatus, target: FindingStatus) -> None:
    if (current, target) in ALLOWED:
        check_transition(current, target)
        return
    with pytest.raises(FindingTransitionError) as caught:
        check_transition(current, target)
    assert caught.value.details["allowed"] == [s.value for s in TRANSITIONS[current]]
    assert caught.value.code == "invalid_transition"


def test_shared_states_are_those_after_sharing() -> None:
    assert {s for s in S if is_shared(s)} == {S.SHARED_WITH_LAB, S.LAB_RESPONDED, S.MITIGATED, S.ACCEPTED}
