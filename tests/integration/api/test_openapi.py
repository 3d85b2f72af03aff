"""The OpenAPI document describes the API: 400 and never 422, the statuses each operation can answer with the
one error schema, bounded integers, PATCH bodies whose nulls mean what the schema says; a 405 names what is
allowed. (Schemathesis holds the server to the document: test_schemathesis.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from bastion.core.fields import INT64_MAX, INT64_MIN
from tests.integration.review.support import Cast, ok, submission_body

ERROR = {"$ref": "#/components/schemas/Error"}
OSV_ERROR = {"$ref": "#/components/schemas/OsvError"}


def _error_schema(path: str) -> dict[str, str]:
    return OSV_ERROR if path.startswith("/v1/") else ERROR


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    doc: dict[str, Any] = client.get("/openapi.json").json()
    return doc


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, item in document["paths"].items() for method, op in item.items()]


def test_every_operation_documents_400_and_none_documents_422(document: dict[str, Any]) -> None:
    operations = _operations(document)
    assert len(operations) > 40
    for method, path, op in operations:
        assert "422" not in op["responses"], (method, path)
        assert op["responses"]["400"]["content"]["application/json"]["schema"] == _error_schema(path), (method, path)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_statuses_are_documented_where_they_can_happen(document: dict[str, Any]) -> None:
    ops = {(method, path): op["responses"] for method, path, op in _operations(document)}
    assert {"401", "403", "404", "409", "413"} <= set(ops["PATCH", "/api/submissions/{submission_id}"])
    assert "WWW-Authenticate" in ops["GET", "/api/me"]["401"]["headers"]
    assert {"401", "403", "429"} <= set(ops["POST", "/api/auth/login"])
    assert "Retry-After" in ops["POST", "/api/auth/login"]["429"]["headers"]
    assert {"404", "413"} <= set(ops["POST", "/api/reviews/{review_id}/evidence"])
    assert "503" in ops["GET", "/api/reviews/{review_id}/report"]
    assert "404" in ops["GET", "/v1/vulns/{vuln_id}"] and "401" not in ops["GET", "/v1/vulns/{vuln_id}"]
    for (method, path), responses in ops.items():
        for status, response in responses.items():
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == _error_schema(path), (method, path, status)


def _integers(document: dict[str, Any], node: Any, where: str, seen: set[str]) -> list[tuple[str, dict[str, Any]]]:
    """Every integer schema in ``node``, following references into the components."""
    found = []
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            seen.add(ref)
            name = ref.rsplit("/", 1)[-1]
            found += _integers(document, document["components"]["schemas"][name], name, seen)
        if node.get("type") == "integer":
            found.append((where, node))
        for key, value in node.items():
            found += _integers(document, value, f"{where}.{key}", seen)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _integers(document, value, f"{where}[{index}]", seen)
    return found


def test_every_integer_a_client_sends_is_bounded_to_what_the_database_holds(document: dict[str, Any]) -> None:
    integers = [
        found
        for method, path, op in _operations(document)
        for part in (op.get("parameters", []), op.get("requestBody", {}))
        for found in _integers(document, part, f"{method} {path}", set())
    ]
    places = " ".join(where for where, _ in integers)
    assert "GET /api/audit" in places and "ReviewCreate.properties.window_days" in places
    for where, schema in integers:
        assert schema.get("maximum", INT64_MAX + 1) <= INT64_MAX, where
        assert schema.get("minimum", INT64_MIN - 1) >= INT64_MIN, where


def test_the_json_bodies_refuse_a_nul_by_class(client: TestClient, cast: Cast, document: dict[str, Any]) -> None:
    """Every JSON body of /api (sign-in aside, which takes any text as an attempt) refuses a NUL, wherever."""
    checked = 0
    for method, path, op in _operations(document):
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" not in content or not path.startswith("/api") or path == "/api/auth/login":
            continue
        url = path.replace("{", "x").replace("}", "")
        response = client.request(method, url, json={"\x00": "\x00"}, headers=cast.headers("admin"))
        assert response.status_code == 400 and "NUL" in response.json()["message"], (method, path, response.text)
        checked += 1
    assert checked >= 15


def test_patch_bodies_take_no_null_where_the_schema_has_none(
    client: TestClient, cast: Cast, document: dict[str, Any]
) -> None:
    schemas = document["components"]["schemas"]
    for name in ("SubmissionUpdate", "FindingUpdate", "UserUpdate"):
        for field, schema in schemas[name]["properties"].items():
            nullable = {"type": "null"} in schema.get("anyOf", [])
            if name == "SubmissionUpdate" and field in ("model_name", "modalities", "training_compute_flop"):
                assert not nullable, (name, field)
            if name in ("FindingUpdate", "UserUpdate"):
                assert not nullable, (name, field)
    lab = cast.headers("owner_lab")
    sub = ok(client.post("/api/submissions", json=submission_body(), headers=lab), 201)
    for field in ("model_name", "modalities", "training_compute_flop"):
        refused = client.patch(f"/api/submissions/{sub['id']}", json={field: None}, headers=lab)
        assert refused.status_code == 400 and "not null" in refused.json()["message"], refused.text
    cleared = ok(client.patch(f"/api/submissions/{sub['id']}", json={"documentation": None}, headers=lab))
    assert cleared["documentation"] == []  # documented as nullable: null empties it
    user_id = cast.users["agency"]
    refused = client.patch(f"/api/users/{user_id}", json={"active": None}, headers=cast.headers("admin"))
    assert refused.status_code == 400


def test_a_405_names_every_method_the_path_takes(client: TestClient, cast: Cast) -> None:
    response = client.put("/api/users", headers=cast.headers("admin"))
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"
    assert response.headers["Allow"] == "GET, HEAD, POST"
    response = client.post("/api/users/usr_x", headers=cast.headers("admin"))
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD, PATCH"
