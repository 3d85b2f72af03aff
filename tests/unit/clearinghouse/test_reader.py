"""Whose people's ids a reader of a clearinghouse record learns (``render.Reader``)."""

from __future__ import annotations

import pytest

from bastion.clearinghouse.render import SYSTEM, Reader
from bastion.core.principal import OrgID, UserID

VENDOR = Reader(user_id=UserID("usr_v1"), org_id=OrgID("org_acme"), staff=False)
ANALYST = Reader(user_id=UserID("usr_a1"), org_id=OrgID("org_cisa"), staff=True)


@pytest.mark.parametrize(
    ("reader", "user_id", "org_id", "shown"),
    [
        (VENDOR, "usr_v1", None, True),  # oneself
        (VENDOR, "usr_v2", "org_acme", True),  # a colleague, where the organisation is recorded
        (VENDOR, "usr_v2", None, False),  # a colleague, where it is not: only staff and the person
        (VENDOR, "usr_a1", "org_cisa", False),  # programme staff
        (VENDOR, "usr_x1", "org_other", False),  # another vendor, the reporter
        (VENDOR, SYSTEM, None, True),  # not a person
        (ANALYST, "usr_x1", "org_other", True),
        (ANALYST, "usr_x1", None, True),
    ],
)
def test_a_reader_learns_its_own_organisations_people_and_staff_learn_all(
    reader: Reader, user_id: str, org_id: str | None, shown: bool
) -> None:
    organisation = OrgID(org_id) if org_id else None
    assert reader.person(UserID(user_id), organisation) == (user_id if shown else None)
    assert reader.person(None, organisation) is None
