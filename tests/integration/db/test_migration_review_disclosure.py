"""``0010_review_disclosure`` on existing data, on both backends: scores leave the submissions, and every
extension learns its proposer's organisation from ``users``."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from bastion.runtime import Runtime
from tests.integration.db.support import alembic_to
from tests.integration.review.support import Cast, build_cast, ok, submission_body


def test_extensions_get_their_proposers_organisation_and_scores_leave_submissions(
    runtime: Runtime, client: TestClient
) -> None:
    cast: Cast = build_cast(runtime)
    admin, lab = cast.headers("admin"), cast.headers("owner_lab")
    sub = ok(client.post("/api/submissions", json=submission_body(), headers=lab), 201)
    rev = ok(client.post("/api/reviews", json={"submission_id": sub["id"]}, headers=admin), 201)
    ext = {"days": 2, "reason": "More time for the infrastructure tests."}
    by_office = ok(client.post(f"/api/reviews/{rev['id']}/extensions", json=ext, headers=admin), 201)
    by_lab = ok(client.post(f"/api/reviews/{rev['id']}/extensions", json=ext, headers=lab), 201)

    alembic_to(runtime.database, to="0007_clearinghouse")
    with runtime.database.engine.connect() as connection:  # as before 0010: scores on submissions, no org
        columns = {c["name"] for c in sa.inspect(connection).get_columns("review_submissions")}
    assert {"evaluation_scores", "reference_scores"} <= columns
    alembic_to(runtime.database, to="head")

    with runtime.database.engine.connect() as connection:
        orgs = dict(connection.execute(sa.text("SELECT id, proposed_by_org FROM review_extensions")).all())
        columns = {c["name"] for c in sa.inspect(connection).get_columns("review_submissions")}
    admin_org = client.get("/api/me", headers=admin).json()["org_id"]
    assert orgs == {by_office["id"]: admin_org, by_lab["id"]: cast.lab_org}
    assert not {"evaluation_scores", "reference_scores"} & columns
    # and the API reads the migrated rows: the lab sees its own proposer, not the office's
    listed = ok(client.get(f"/api/reviews/{rev['id']}/extensions", headers=lab))["data"]
    assert {e["id"]: e["proposed_by"] for e in listed} == {by_office["id"]: None, by_lab["id"]: cast.users["owner_lab"]}
