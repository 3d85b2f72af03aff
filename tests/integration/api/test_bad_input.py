"""Bad input is a 400 on both databases, never a 500, with or without a token: a NUL character anywhere
(path, query, body, /v1), integers beyond 64 bits, numbers that are not finite. A sign-in with a NUL is an
ordinary failed attempt: audited and throttled."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bastion.core.audit_models import AuditEvent
from bastion.core.errors import InvalidInput
from bastion.core.principal import Role
from bastion.db import Database
from bastion.runtime import Runtime
from tests.factories import CISA, auth_headers, make_admin, make_user

NUL = "\x00"


@pytest.fixture
def admin(runtime: Runtime) -> dict[str, str]:
    return auth_headers(make_admin(runtime)[1])


def _bad(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    assert body["code"] and body["message"]
    return body


@pytest.mark.parametrize("with_token", [False, True], ids=["no-token", "token"])
@pytest.mark.parametrize(
    "url",
    [
        "/api/users/usr%00x",
        "/api/reviews/rev_x%00/findings",
        "/v1/vulns/PYSEC-2021-66%00",
        "/api/users?org_id=org%00",
        "/api/audit?resource_id=%00",
        "/api/eval-runs?model=a%00b",
        "/api/me?anything=%00",
    ],
)
def test_a_nul_in_the_path_or_query_is_a_400(
    client: TestClient, admin: dict[str, str], url: str, *, with_token: bool
) -> None:
    assert "NUL" in _bad(client.get(url, headers=admin if with_token else {}))["message"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/organisations", {"name": f"Lab{NUL}", "kind": "frontier_lab"}),
        ("/api/organisations", {"name": "Lab", "kind": "frontier_lab", f"x{NUL}": 1}),
        ("/api/submissions", {"model_name": "m", "documentation": [{"title": NUL, "url": "https://x"}]}),
        ("/api/reviews/rev_x/eval-results", {"summary": {"notes": ["fine", f"bad{NUL}"]}}),
        ("/api/reviews/rev_x/eval-results", {"summary": {"scores": {"ctf": 10**400}}}),
        ("/api/reviews/rev_x/eval-results", {"summary": {"count": 2**63}}),
    ],
)
def test_an_unstorable_value_in_a_json_body_is_a_400(
    client: TestClient, admin: dict[str, str], path: str, body: dict[str, Any]
) -> None:
    _bad(client.post(path, json=body, headers=admin))


def test_nan_and_infinity_in_a_body_are_a_400(client: TestClient, admin: dict[str, str]) -> None:
    for literal in ("NaN", "Infinity", "-Infinity"):
        raw = '{"summary": {"scores": {"ctf": %s}}}' % literal  # noqa: UP031 - JSON text, not Python
        response = client.post(
            "/api/reviews/rev_x/eval-results", content=raw, headers={**admin, "Content-Type": "application/json"}
        )
        assert "finite" in _bad(response)["message"]


@pytest.mark.parametrize("field", ["name", "ecosystem", "version", "purl"])
def test_a_nul_in_an_osv_query_is_a_400(client: TestClient, field: str) -> None:
    query: dict[str, Any] = {"version": "1.0", "package": {"name": "jinja2", "ecosystem": "PyPI"}}
    if field == "version":
        query["version"] = f"1{NUL}"
    elif field == "purl":
        query = {"package": {"purl": f"pkg:pypi/jinja2{NUL}@1.0"}}
    else:
        query["package"][field] = f"x{NUL}"
    assert "NUL" in _bad(client.post("/v1/query", json=query))["message"]


def test_a_query_parameter_given_twice_is_a_400(client: TestClient, admin: dict[str, str]) -> None:
    assert "more than once" in _bad(client.get("/api/audit?resource_id=a&resource_id=b", headers=admin))["message"]


@pytest.mark.parametrize("after_seq", ["99999999999999999999", "9223372036854775808", "-1"])
def test_an_integer_parameter_beyond_the_database_is_a_400(
    client: TestClient, admin: dict[str, str], after_seq: str
) -> None:
    _bad(client.get(f"/api/audit?after_seq={after_seq}", headers=admin))
    assert client.get("/api/audit?after_seq=9223372036854775807", headers=admin).status_code == 200


def test_a_sign_in_with_a_nul_is_an_ordinary_failed_attempt(client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, CISA, [Role.EVALUATOR], email="eve@cisa.example", password="right password")
    address = f"eve{NUL}@cisa.example"
    answers = [client.post("/api/auth/login", json={"email": address, "password": "guess"}) for _ in range(6)]
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    assert answers[0].json()["code"] == "login_failed"
    with runtime.database.read_session() as session:
        audited = session.execute(
            sa.text("SELECT outcome, detail FROM audit_events WHERE action = 'auth.login' ORDER BY seq")
        ).all()
    assert [outcome for outcome, _ in audited] == ["denied"] * 6
    detail = audited[0][1] if isinstance(audited[0][1], dict) else json.loads(audited[0][1])
    assert detail == {"email": "eve\\0@cisa.example"}  # the NUL, shown and stored as \0
    right = client.post("/api/auth/login", json={"email": "eve@cisa.example", "password": "right password"})
    assert right.status_code == 200  # the throttle held the NUL address, not the real one


def test_the_database_layer_turns_unstorable_values_into_invalid_input(database: Database) -> None:
    """Whatever slips past the edge is the caller's bad input on both databases, never a driver error."""
    beyond = sa.select(AuditEvent.seq).where(AuditEvent.seq > 10**20)
    with pytest.raises(InvalidInput, match="cannot be stored"), database.read_session() as session:
        session.execute(beyond)
    with pytest.raises(InvalidInput, match="cannot be stored"), database.session() as session:
        session.execute(beyond)
    if database.dialect == "postgresql":  # SQLite holds a NUL in text; PostgreSQL refuses it
        with pytest.raises(InvalidInput, match="cannot be stored"), database.session() as session:
            session.execute(sa.select(AuditEvent.seq).where(AuditEvent.action == NUL))
