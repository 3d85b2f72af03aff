"""Cookie-authenticated changes need the session's CSRF token (and a same-site origin), bearer requests do
not; a web session cannot mint an API token that would outlive it. On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bastion.cli.main import main
from bastion.container import Container
from bastion.core.clock import SystemClock
from bastion.core.principal import Classification, Role
from bastion.runtime import Runtime
from tests.factories import PROGRAMME_OFFICE, auth_headers, make_user

PASSWORD = "correct horse battery staple"
NEW_ORG = {"name": "Lab Csrf", "kind": "frontier_lab"}


def _sign_in(client: TestClient, runtime: Runtime) -> tuple[str, str, str]:
    """An administrator signed in on ``client`` (cookie set); returns (session token, CSRF token, API token)."""
    _, api_token = make_user(
        runtime,
        PROGRAMME_OFFICE,
        [Role.PROGRAMME_ADMIN],
        Classification.TOP_SECRET,
        "ada@po.example",
        password=PASSWORD,
    )
    response = client.post("/api/auth/login", json={"email": "ada@po.example", "password": PASSWORD})
    assert response.status_code == 200
    assert client.cookies["bastion_csrf"] == response.headers["X-CSRF-Token"]
    return response.json()["token"], response.headers["X-CSRF-Token"], api_token


def test_a_cookie_authenticated_change_needs_the_csrf_token(client: TestClient, runtime: Runtime) -> None:
    _, csrf, _ = _sign_in(client, runtime)
    refused = client.post("/api/organisations", json=NEW_ORG)
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    assert "X-CSRF-Token" in refused.json()["hint"]
    wrong = client.post("/api/organisations", json=NEW_ORG, headers={"X-CSRF-Token": csrf[:-2] + "xx"})
    assert wrong.status_code == 403
    assert client.get("/api/organisations").status_code == 200  # reading needs no token
    assert client.post("/api/organisations", json=NEW_ORG, headers={"X-CSRF-Token": csrf}).status_code == 201


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/auth/logout"),
        ("POST", "/api/outbox/tick"),
        ("POST", "/api/findings/fnd_x/share"),
        ("DELETE", "/api/tokens/tok_x"),
        ("POST", "/api/reviews/rev_x/evidence"),
    ],
)
def test_bodyless_changes_and_uploads_with_the_cookie_need_it_too(
    client: TestClient, runtime: Runtime, method: str, path: str
) -> None:
    _sign_in(client, runtime)
    response = client.request(method, path)
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    assert client.get("/api/me").status_code == 200  # the session was not logged out by the forged request


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}, {"Origin": "https://evil.example"}],
)
def test_a_cross_site_request_is_refused_even_with_the_token(
    client: TestClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    _, csrf, _ = _sign_in(client, runtime)
    response = client.post("/api/organisations", json=NEW_ORG, headers={"X-CSRF-Token": csrf, **headers})
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    same = {"X-CSRF-Token": csrf, "Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}
    assert client.post("/api/organisations", json=NEW_ORG, headers=same).status_code == 201


def test_bearer_requests_need_no_csrf_token(client: TestClient, runtime: Runtime) -> None:
    _, _, api_token = _sign_in(client, runtime)
    client.cookies.clear()
    headers = {**auth_headers(api_token), "Sec-Fetch-Site": "cross-site"}
    assert client.post("/api/organisations", json=NEW_ORG, headers=headers).status_code == 201


def test_another_site_cannot_sign_a_browser_in(client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, PROGRAMME_OFFICE, [Role.EVALUATOR], email="eve@po.example", password=PASSWORD)
    body = {"email": "eve@po.example", "password": PASSWORD}
    response = client.post("/api/auth/login", json=body, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and "bastion_session" not in client.cookies


def test_a_web_session_cannot_mint_an_api_token(client: TestClient, runtime: Runtime) -> None:
    session, csrf, api_token = _sign_in(client, runtime)
    body = {"name": "forever", "expires_in_days": 366}
    by_cookie = client.post("/api/tokens", json=body, headers={"X-CSRF-Token": csrf})
    client.cookies.clear()
    by_bearer_session = client.post("/api/tokens", json=body, headers=auth_headers(session))
    for refused in (by_cookie, by_bearer_session):
        assert refused.status_code == 403 and refused.json()["code"] == "token_needs_token"
        assert "API token" in refused.json()["hint"]
    assert client.post("/api/tokens", json=body, headers=auth_headers(api_token)).status_code == 201
    with runtime.database.read_session() as db:
        names = set(db.scalars(sa.text("SELECT name FROM api_tokens")))
        refusals = db.scalar(
            sa.text("SELECT count(*) FROM audit_events WHERE action = 'token.create' AND outcome = 'denied'")
        )
    assert names == {"test token", "forever"} and refusals == 2  # only the API token's; both refusals audited


def test_the_cli_refuses_to_mint_a_token_with_a_session(
    cli_env: Runtime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(cli_env, PROGRAMME_OFFICE, [Role.PROGRAMME_ADMIN], email="ada@po.example", password=PASSWORD)
    now = Container(replace(cli_env, clock=SystemClock()))  # the CLI's clock: the real one
    session = now.identity.login("ada@po.example", PASSWORD)  # what `bastion login` prints
    monkeypatch.setenv("BASTION_TOKEN", session.token)
    assert main(["tokens", "create", "--name", "nightly"]) == 2
    assert "web session cannot create API tokens" in capsys.readouterr().err
