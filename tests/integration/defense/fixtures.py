"""Fixtures of the defense tests (imported by each module): two agencies with a user each, the advisory database
loaded with real advisories and KEV."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bastion.container import Container
from bastion.core.principal import OrgKind, Principal, Role
from bastion.runtime import Runtime
from tests.factories import make_admin, make_org, make_user, principal_for
from tests.integration.defense.support import load_advisories


@dataclass
class Agencies:
    tokens: dict[str, str]
    principals: dict[str, Principal]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def agencies(runtime: Runtime) -> Agencies:
    tokens, principals = {}, {}
    for name in ("treasury", "energy"):
        org = make_org(runtime, f"Department of {name.title()} SOC", OrgKind.AGENCY)
        user, token = make_user(runtime, org.id, [Role.AGENCY_REVIEWER])
        tokens[name], principals[name] = token, principal_for(runtime, user.id)
    admin, token = make_admin(runtime)
    tokens["admin"], principals["admin"] = token, principal_for(runtime, admin.id)
    return Agencies(tokens, principals)


@pytest.fixture
def loaded(container: Container, shared_data: Path, tmp_path: Path) -> Container:
    load_advisories(container, shared_data, tmp_path)
    return container
