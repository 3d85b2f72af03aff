"""The identity and audit API over HTTP against the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from bastion.core.principal import Classification, OrgKind, Role
from bastion.runtime import Runtime
from tests.factories import CISA, auth_headers, make_admin, make_org, make_user

PASSWORD = "a long enough passphrase"


def test_requests_without_valid_credentials_are_401(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer bst_nope"}, {"Authorization": "Basic Zm9vOmJhcg=="}):
        response = client.get("/api/me", headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["code"] == "unauthenticated"
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_admin_manages_users_over_http(client: TestClient, runtime: Runtime) -> None:
    _, admin_token = make_admin(runtime)
    headers = auth_headers(admin_token)
    lab = client.post("/api/organisations", json={"name": "Lab One", "kind": "frontier_lab"}, headers=headers)
    assert lab.status_code == 201
    body = {
        "org_id": lab.json()["id"],
        "email": "Sam@Lab.example",
        "display_name": "Sam",
        "roles": ["lab_submitter"],
        "clearance": "cui",
    }
    created = client.post("/api/users", json=body, headers=headers)
    assert created.status_code == 201, created.text
    user = created.json()
    assert (user["email"], user["clearance"], user["org_name"]) == ("sam@lab.example", "CUI", "Lab One")
    duplicate = client.post("/api/users", json=body, headers=headers)
    assert duplicate.status_code == 409
    assert duplicate.json()["message"] == "a user with email sam@lab.example already exists"
    patched = client.patch(f"/api/users/{user['id']}", json={"clearance": "SECRET", "active": False}, headers=headers)
    assert patched.status_code == 200 and patched.json()["clearance"] == "SECRET" and not patched.json()["active"]
    listed = client.get("/api/users", headers=headers).json()
    assert listed["count"] == 2 and {u["email"] for u in listed["data"]} >= {"sam@lab.example"}


def test_bad_input_is_a_clear_400(client: TestClient, runtime: Runtime) -> None:
    _, admin_token = make_admin(runtime)
    headers = auth_headers(admin_token)
    cases = [
        ({"org_id": CISA, "email": "x@cisa.example", "display_name": "X", "roles": ["wizard"]}, "roles"),
        (
            {
                "org_id": CISA,
                "email": "x@cisa.example",
                "display_name": "X",
                "roles": ["evaluator"],
                "clearance": "ULTRA",
            },
            "clearance",
        ),
        ({"org_id": CISA, "email": "nope", "display_name": "X", "roles": ["evaluator"]}, "not a valid email"),
        (
            {"org_id": CISA, "email": "x@cisa.example", "display_name": "X", "roles": ["lab_viewer"]},
            "does not fit",
        ),
        (
            {
                "org_id": CISA,
                "email": "x@cisa.example",
                "display_name": "X",
                "roles": ["evaluator"],
                "admin": True,
            },
            "admin",
        ),
    ]
    for body, expected in cases:
        response = client.post("/api/users", json=body, headers=headers)
        assert response.status_code == 400, (body, response.text)
        assert expected in response.json()["message"]
    assert client.get("/api/users", headers=headers).json()["count"] == 1


def test_users_and_tokens_a_caller_may_not_know_are_404(client: TestClient, runtime: Runtime) -> None:
    lab = make_org(runtime, "Lab", OrgKind.FRONTIER_LAB)
    _, alice_token = make_user(runtime, lab.id, [Role.LAB_SUBMITTER])
    bob, bob_token = make_user(runtime, lab.id, [Role.LAB_VIEWER])
    headers = auth_headers(alice_token)
    bob_token_id = client.get("/api/tokens", headers=auth_headers(bob_token)).json()["data"][0]["id"]
    hidden = client.get(f"/api/users/{bob.id}", headers=headers)
    missing = client.get("/api/users/usr_missing", headers=headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == {"code": "not_found", "message": f"user {bob.id} not found"}
    assert client.delete(f"/api/tokens/{bob_token_id}", headers=headers).status_code == 404
    assert client.get("/api/users", headers=headers).json()["count"] == 1
    assert client.get("/api/audit", headers=headers).status_code == 403
    escalate = client.patch(f"/api/users/{bob.id}", json={"roles": ["lab_submitter"]}, headers=headers)
    assert escalate.status_code == 404


def test_tokens_are_shown_once_and_revocable(client: TestClient, runtime: Runtime) -> None:
    _, token = make_user(runtime, CISA, [Role.EVALUATOR], Classification.SECRET)
    headers = auth_headers(token)
    issued = client.post("/api/tokens", json={"name": "pipeline", "expires_in_days": 7}, headers=headers)
    assert issued.status_code == 201
    secret = issued.json()["token"]
    listed = client.get("/api/tokens", headers=headers)
    assert secret not in listed.text and listed.json()["count"] == 2
    assert client.get("/api/me", headers=auth_headers(secret)).status_code == 200
    assert client.delete(f"/api/tokens/{issued.json()['id']}", headers=headers).status_code == 204
    assert client.get("/api/me", headers=auth_headers(secret)).status_code == 401
    too_long = client.post("/api/tokens", json={"name": "x", "expires_in_days": 1000}, headers=headers)
    assert too_long.status_code == 400


def test_login_sets_a_strict_http_only_cookie_and_logout_ends_it(client: TestClient, runtime: Runtime) -> None:
    user, _ = make_user(runtime, CISA, [Role.EVALUATOR], email="eve@cisa.example", password=PASSWORD)
    wrong = client.post("/api/auth/login", json={"email": "eve@cisa.example", "password": "not the password"})
    unknown = client.post("/api/auth/login", json={"email": "who@cisa.example", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401 and wrong.json() == unknown.json()
    response = client.post("/api/auth/login", json={"email": "eve@cisa.example", "password": PASSWORD})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert "bastion_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert client.get("/api/me").json()["id"] == user.id  # the cookie alone authenticates
    csrf = {"X-CSRF-Token": response.headers["X-CSRF-Token"]}  # a change made with the cookie needs it
    assert client.post("/api/auth/logout", headers=csrf).status_code == 204
    client.cookies.set("bastion_session", response.json()["token"])
    assert client.get("/api/me").status_code == 401


def test_audit_api_lists_and_detects_tampering(client: TestClient, runtime: Runtime) -> None:
    _, admin_token = make_admin(runtime)
    headers = auth_headers(admin_token)
    page = client.get("/api/audit", params={"limit": 2}, headers=headers).json()
    assert page["count"] == 2 and page["next_after_seq"] == 2
    assert [e["action"] for e in page["data"]] == ["user.create", "token.create"]
    later = client.get("/api/audit", params={"after_seq": 2}, headers=headers).json()
    assert [e["action"] for e in later["data"]] == ["audit.read"]  # reading the log is itself logged
    assert client.get("/api/audit/verify", headers=headers).json()["ok"] is True
    with runtime.database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET actor_user_id = 'usr_someone_else' WHERE seq = 2"))
    verdict = client.get("/api/audit/verify", headers=headers).json()
    assert verdict["ok"] is False and verdict["first_bad_seq"] == 2


def test_openapi_documents_the_identity_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/auth/login",
        "/api/me",
        "/api/users/{user_id}",
        "/api/tokens/{token_id}",
        "/api/audit/verify",
    ):
        assert path in paths


def test_too_many_failed_logins_are_a_429_with_retry_after(client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, CISA, [Role.EVALUATOR], email="eve@cisa.example", password=PASSWORD)
    for _ in range(5):  # the default throttle: 5 failures within 15 minutes
        wrong = client.post("/api/auth/login", json={"email": "eve@cisa.example", "password": "wrong password!!"})
        assert wrong.status_code == 401
    refused = client.post("/api/auth/login", json={"email": "eve@cisa.example", "password": PASSWORD})
    assert refused.status_code == 429, refused.text
    assert refused.json()["code"] == "too_many_login_attempts"
    assert refused.headers["Retry-After"] == "900"
    assert "bastion_session" not in refused.cookies


def test_every_identity_change_is_sealed_into_the_audit_chain_as_it_commits(
    client: TestClient, runtime: Runtime
) -> None:
    """A committed change has a sealed event (its place in the hash chain) at once, not when a later write
    happens to seal it: verification and checkpoints cover it from the moment it exists."""
    _, admin_token = make_admin(runtime)
    headers = auth_headers(admin_token)

    def changed() -> list[str]:
        """Unsealed events of changes (events of reads are sealed by the next write, by design)."""
        with runtime.database.session() as session:
            rows = session.execute(sa.text("SELECT action FROM audit_events WHERE seq IS NULL ORDER BY id"))
            return [action for (action,) in rows if not action.endswith((".read", ".list"))]

    lab = client.post("/api/organisations", json={"name": "Lab Two", "kind": "frontier_lab"}, headers=headers)
    assert lab.status_code == 201 and changed() == []
    body = {"org_id": lab.json()["id"], "email": "kai@lab.example", "display_name": "Kai", "roles": ["lab_submitter"]}
    user = client.post("/api/users", json={**body, "clearance": "cui", "password": PASSWORD}, headers=headers)
    assert user.status_code == 201 and changed() == []
    patched = client.patch(f"/api/users/{user.json()['id']}", json={"display_name": "Kai L."}, headers=headers)
    assert patched.status_code == 200 and changed() == []
    issued = client.post("/api/tokens", json={"name": "ci", "expires_in_days": 7}, headers=headers)
    assert issued.status_code == 201 and changed() == []
    revoked = client.delete(f"/api/tokens/{issued.json()['id']}", headers=headers)
    assert revoked.status_code == 204 and changed() == []
    login = client.post("/api/auth/login", json={"email": "kai@lab.example", "password": PASSWORD})
    assert login.status_code == 200 and changed() == []
    logout = client.post("/api/auth/logout", headers={"X-CSRF-Token": login.headers["X-CSRF-Token"]})
    assert logout.status_code == 204 and changed() == []
