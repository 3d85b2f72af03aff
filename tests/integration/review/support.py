"""The cast of the review tests: one user per role the authorization matrix distinguishes, plus helpers to
drive the API. Built through the identity factories (real users, real tokens)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bastion.core.principal import Classification, OrgKind, Role
from bastion.runtime import Runtime
from tests.factories import CISA, NSA, auth_headers, make_admin, make_org, make_user

ROLES = ("admin", "agency", "assigned", "unassigned", "owner_lab", "other_lab", "lab_viewer")


@dataclass
class Cast:
    tokens: dict[str, str] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    lab_org: str = ""
    other_lab_org: str = ""

    def headers(self, role: str) -> dict[str, str]:
        return auth_headers(self.tokens[role])


def build_cast(runtime: Runtime) -> Cast:
    cast = Cast()
    lab = make_org(runtime, "Lab Owner", OrgKind.FRONTIER_LAB)
    other = make_org(runtime, "Lab Other", OrgKind.FRONTIER_LAB)
    cast.lab_org, cast.other_lab_org = lab.id, other.id
    people: dict[str, tuple[str, list[Role], Classification]] = {
        "agency": (CISA, [Role.AGENCY_REVIEWER], Classification.SECRET),
        "assigned": (NSA, [Role.EVALUATOR], Classification.SECRET),
        "unassigned": (NSA, [Role.EVALUATOR], Classification.SECRET),
        "owner_lab": (lab.id, [Role.LAB_SUBMITTER], Classification.CUI),
        "lab_lead": (lab.id, [Role.LAB_SUBMITTER], Classification.SECRET),
        "other_lab": (other.id, [Role.LAB_SUBMITTER], Classification.CUI),
        "lab_viewer": (lab.id, [Role.LAB_VIEWER], Classification.CUI),
    }
    user, token = make_admin(runtime)
    cast.users["admin"], cast.tokens["admin"] = user.id, token
    for role, (org, roles, clearance) in people.items():
        user, token = make_user(runtime, org, roles, clearance)
        cast.users[role], cast.tokens[role] = user.id, token
    return cast


def submission_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model_name": "Owl",
        "model_version": "3.0",
        "developer": "Lab Owner",
        "training_compute_flop": 2e26,
        "modalities": ["text", "code"],
        "access_endpoint": "https://api.owner.example/v1",
        "access_credential": "owl-secret-credential-123",
        "documentation": [{"title": "System card", "url": "https://owner.example/card"}],
        "classification": "CUI",
    }
    body.update(overrides)
    return body


def finding_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Writes a working exploit for a known router flaw",
        "focus_area": "digital_infrastructure",
        "severity": "high",
        "classification": "CUI",
        "description": "Given the advisory text, the model produced a working exploit in 2 of 3 attempts.",
    }
    body.update(overrides)
    return body


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    data: dict[str, Any] = response.json()
    return data
