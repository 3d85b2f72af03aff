"""Time travel with the manual clock: the window closes on time, reminders are enqueued once each,
extensions need the lab's consent, and the intended release date caps the window."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from bastion.container import Container
from bastion.core.clock import ManualClock
from bastion.runtime import Runtime
from tests.integration.review.support import Cast, ok, submission_body


def _open(client: TestClient, cast: Cast, **submission: Any) -> str:
    sub_id = ok(
        client.post("/api/submissions", json=submission_body(**submission), headers=cast.headers("owner_lab")), 201
    )["id"]
    return ok(client.post("/api/reviews", json={"submission_id": sub_id}, headers=cast.headers("admin")), 201)["id"]


def _reminders(client: TestClient, cast: Cast) -> list[tuple[str, str]]:
    data = ok(client.get("/api/outbox?topic=review.reminder", headers=cast.headers("admin")))["data"]
    return [(m["payload"]["reminder"], m["payload"]["closes_at"]) for m in data]


def test_reminders_at_seven_days_and_one_day_never_twice(
    client: TestClient, cast: Cast, clock: ManualClock, runtime: Runtime
) -> None:
    rev_id = _open(client, cast)
    ticker = Container(runtime).review.reviews
    clock.advance(timedelta(days=23) - timedelta(minutes=1))
    assert ticker.tick().reminders == 0
    clock.advance(timedelta(minutes=1))
    assert ticker.tick().reminders == 1
    assert ticker.tick().reminders == 0  # idempotent
    clock.advance(timedelta(days=3))
    assert ticker.tick().reminders == 0
    clock.advance(timedelta(days=3))
    assert ticker.tick().reminders == 1
    assert _reminders(client, cast) == [("7d", "2026-12-02T09:00:00+00:00"), ("1d", "2026-12-02T09:00:00+00:00")]
    clock.advance(timedelta(days=1))
    result = ticker.tick()
    assert (result.closed, result.reminders) == ([rev_id], 0)
    assert ticker.tick().closed == []
    review = ok(client.get(f"/api/reviews/{rev_id}", headers=cast.headers("admin")))
    assert (review["status"], review["closed_at"]) == ("closed", "2026-12-02T09:00:00Z")


def test_closure_is_recorded_at_the_deadline_even_when_tick_runs_late(
    client: TestClient, cast: Cast, clock: ManualClock, runtime: Runtime
) -> None:
    rev_id = _open(client, cast)
    clock.advance(timedelta(days=45))
    assert Container(runtime).review.reviews.tick().closed == [rev_id]
    review = ok(client.get(f"/api/reviews/{rev_id}", headers=cast.headers("lab_viewer")))
    assert review["closed_at"] == "2026-12-02T09:00:00Z"
    assert _reminders(client, cast) == []  # no stale reminders after the close


def test_intended_release_date_caps_the_window(client: TestClient, cast: Cast, clock: ManualClock) -> None:
    rev_id = _open(client, cast, intended_release_at="2026-11-12T09:00:00Z")
    review = ok(client.get(f"/api/reviews/{rev_id}", headers=cast.headers("admin")))
    assert review["deadline"] == "2026-11-12T09:00:00Z"
    assert [r["label"] for r in review["reminders"]] == ["7d", "1d"]
    clock.advance(timedelta(days=10))
    closed = ok(client.get(f"/api/reviews/{rev_id}", headers=cast.headers("admin")))
    assert (closed["status"], closed["close_reason"]) == ("closed", "release_date")


def test_extension_needs_the_labs_consent(client: TestClient, cast: Cast, clock: ManualClock) -> None:
    rev_id = _open(client, cast)
    admin, lab = cast.headers("admin"), cast.headers("owner_lab")
    proposal = {"days": 10, "reason": "Evaluators need more time on agentic tasks."}
    ext = ok(client.post(f"/api/reviews/{rev_id}/extensions", json=proposal, headers=admin), 201)
    assert ext["status"] == "proposed"
    assert ok(client.get(f"/api/reviews/{rev_id}", headers=admin))["deadline"] == "2026-12-02T09:00:00Z"
    by_admin = client.post(f"/api/extensions/{ext['id']}/answer", json={"consent": True}, headers=admin)
    assert by_admin.status_code == 403
    by_viewer = client.post(
        f"/api/extensions/{ext['id']}/answer", json={"consent": True}, headers=cast.headers("lab_viewer")
    )
    assert by_viewer.status_code == 403
    answered = ok(client.post(f"/api/extensions/{ext['id']}/answer", json={"consent": True}, headers=lab))
    assert (answered["status"], answered["answered_by"]) == ("consented", cast.users["owner_lab"])
    review = ok(client.get(f"/api/reviews/{rev_id}", headers=admin))
    assert (review["deadline"], review["extension_days"]) == ("2026-12-12T09:00:00Z", 10)
    clock.advance(timedelta(days=31))
    assert ok(client.get(f"/api/reviews/{rev_id}", headers=admin))["status"] == "open"
    again = client.post(f"/api/extensions/{ext['id']}/answer", json={"consent": False}, headers=lab)
    assert (again.status_code, again.json()["code"]) == (409, "extension_answered")


def test_declined_extension_changes_nothing(client: TestClient, cast: Cast) -> None:
    rev_id = _open(client, cast)
    proposal = {"days": 5, "reason": "More time for insider-risk testing."}
    ext = ok(client.post(f"/api/reviews/{rev_id}/extensions", json=proposal, headers=cast.headers("admin")), 201)
    declined = ok(
        client.post(f"/api/extensions/{ext['id']}/answer", json={"consent": False}, headers=cast.headers("owner_lab"))
    )
    assert declined["status"] == "declined"
    assert ok(client.get(f"/api/reviews/{rev_id}", headers=cast.headers("admin")))["extension_days"] == 0
