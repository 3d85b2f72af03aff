"""Lost updates under concurrency (issue 7, item 4): every read-modify-write of shared state in the review and
identity slices is atomic. Each test races real requests against the real API (uvicorn on a socket, one
thread per client), or several processes against one database, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from bastion.api.app import create_app
from bastion.container import Container
from bastion.core.audit_models import AuditEvent
from bastion.core.clock import ManualClock
from bastion.core.principal import Classification, Role
from bastion.identity.errors import AlreadyBootstrapped
from bastion.identity.models import User
from bastion.review.models import ReviewRow, SelectionDecisionRow
from bastion.runtime import Runtime
from tests.factories import CISA, make_admin, make_user
from tests.integration.api.live import in_thread
from tests.integration.review.support import Cast, finding_body, submission_body

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def live(container: Container) -> Iterator[str]:
    """The app on a real socket (uvicorn in a thread): requests run concurrently, as in production."""
    with in_thread(create_app(container)) as base:
        yield base


def race(count: int, request: Callable[[httpx.Client, int], httpx.Response]) -> list[httpx.Response]:
    """``count`` clients send ``request(client, i)`` at once (released together by a barrier); the answers in
    the order of ``i``."""
    barrier = threading.Barrier(count)

    def one(i: int) -> httpx.Response:
        with httpx.Client(timeout=120) as client:
            barrier.wait()
            return request(client, i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def _call(client: httpx.Client, method: str, url: str, headers: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    response = client.request(method, url, headers=headers, **kwargs)
    assert response.status_code < 300, response.text
    data: dict[str, Any] = response.json() if response.content else {}
    return data


def _review(base: str, cast: Cast) -> tuple[str, str]:
    with httpx.Client(base_url=base, timeout=60) as c:
        sub = _call(c, "POST", "/api/submissions", cast.headers("owner_lab"), json=submission_body())
        rev = _call(c, "POST", "/api/reviews", cast.headers("admin"), json={"submission_id": sub["id"]})
        body = {"user_id": cast.users["assigned"], "focus_areas": ["insider_risks"]}
        _call(c, "POST", f"/api/reviews/{rev['id']}/assignments", cast.headers("admin"), json=body)
    return sub["id"], rev["id"]


def _events(runtime: Runtime, action: str, resource_id: str | None = None) -> list[AuditEvent]:
    with runtime.database.read_session() as session:
        query = sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        if resource_id is not None:
            query = query.where(AuditEvent.resource_id == resource_id)
        return list(session.scalars(query))


def _extension_days(runtime: Runtime, review_id: str) -> int:
    with runtime.database.read_session() as session:
        days = session.scalar(sa.select(ReviewRow.extension_days).where(ReviewRow.id == review_id))
    assert days is not None
    return days


EXTENSION = {"days": 1, "reason": "one more day for the evaluators"}


def test_twenty_concurrent_one_day_extensions_move_the_deadline_twenty_days(
    live: str, runtime: Runtime, cast: Cast
) -> None:
    _, rev_id = _review(live, cast)
    with httpx.Client(base_url=live) as c:
        before = _call(c, "GET", f"/api/reviews/{rev_id}", cast.headers("admin"))["deadline"]
    url = f"{live}/api/reviews/{rev_id}/extensions"
    responses = race(20, lambda c, _: c.post(url, json=EXTENSION, headers=cast.headers("owner_lab")))
    assert statuses(responses) == {201: 20}, [r.text for r in responses if r.status_code != 201]
    assert all(r.json()["status"] == "consented" for r in responses)
    assert _extension_days(runtime, rev_id) == 20
    with httpx.Client(base_url=live) as c:
        after = _call(c, "GET", f"/api/reviews/{rev_id}", cast.headers("admin"))
    assert after["extension_days"] == 20
    assert after["deadline"] > before
    new_days = [e.detail["new"]["extension_days"] for e in _events(runtime, "extension.propose", rev_id)]
    assert sorted(new_days) == list(range(1, 21))  # each saw the one before it


def test_extensions_offered_from_several_processes_all_count(
    live: str, runtime: Runtime, cast: Cast, clock: ManualClock, tmp_path: Path
) -> None:
    _, rev_id = _review(live, cast)
    start = tmp_path / "start"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    args = [
        runtime.database.url,
        str(runtime.settings.data_dir),
        clock.now().isoformat(),
        rev_id,
        cast.tokens["owner_lab"],
        "10",
        str(start),
    ]
    racers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.integration.review.racer", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    time.sleep(3)  # let every process import and connect, then release them together
    start.touch()
    outputs = [p.communicate(timeout=300) for p in racers]
    assert [p.returncode for p in racers] == [0, 0, 0], [err for _, err in outputs]
    assert sum(int(out) for out, _ in outputs) == 30
    assert _extension_days(runtime, rev_id) == 30


def test_one_proposed_extension_consented_at_once_by_many_counts_once(live: str, runtime: Runtime, cast: Cast) -> None:
    _, rev_id = _review(live, cast)
    with httpx.Client(base_url=live) as c:
        proposal = {"days": 5, "reason": "five more days for the insider-risk tasks"}
        ext = _call(c, "POST", f"/api/reviews/{rev_id}/extensions", cast.headers("admin"), json=proposal)
    url = f"{live}/api/extensions/{ext['id']}/answer"
    responses = race(12, lambda c, _: c.post(url, json={"consent": True}, headers=cast.headers("owner_lab")))
    assert statuses(responses) == {200: 1, 409: 11}, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"extension_answered"}
    assert _extension_days(runtime, rev_id) == 5


def test_concurrent_programme_proposals_leave_one_waiting_for_the_lab(live: str, runtime: Runtime, cast: Cast) -> None:
    _, rev_id = _review(live, cast)
    url = f"{live}/api/reviews/{rev_id}/extensions"
    responses = race(10, lambda c, _: c.post(url, json=EXTENSION, headers=cast.headers("admin")))
    assert statuses(responses) == {201: 1, 409: 9}, [r.text for r in responses]
    with httpx.Client(base_url=live) as c:
        listed = _call(c, "GET", f"/api/reviews/{rev_id}/extensions", cast.headers("admin"))
    assert [e["status"] for e in listed["data"]] == ["proposed"]


def test_the_login_throttle_checks_five_of_sixty_concurrent_wrong_passwords(
    live: str, runtime: Runtime, cast: Cast
) -> None:
    email = "target@cisa.example.gov"
    make_user(runtime, CISA, [Role.AGENCY_REVIEWER], Classification.SECRET, email, password="correct horse battery")
    url = f"{live}/api/auth/login"
    responses = race(60, lambda c, _: c.post(url, json={"email": email, "password": "wrong password guess"}))
    assert statuses(responses) == {401: 5, 429: 55}, statuses(responses)
    attempts = _events(runtime, "auth.login")
    checked = [e for e in attempts if not e.detail.get("throttled")]
    assert len(attempts) == 60 and len(checked) == 5


def test_concurrent_shares_of_one_finding_share_it_once(live: str, runtime: Runtime, cast: Cast) -> None:
    _, rev_id = _review(live, cast)
    with httpx.Client(base_url=live) as c:
        fnd = _call(c, "POST", f"/api/reviews/{rev_id}/findings", cast.headers("assigned"), json=finding_body())
        _call(c, "PATCH", f"/api/findings/{fnd['id']}", cast.headers("assigned"), json={"status": "confirmed"})
    url = f"{live}/api/findings/{fnd['id']}/share"
    responses = race(10, lambda c, _: c.post(url, headers=cast.headers("admin")))
    assert statuses(responses) == {200: 1, 409: 9}, [r.text for r in responses]
    assert [e.outcome for e in _events(runtime, "finding.share", fnd["id"])].count("ok") == 1


def test_concurrent_creations_of_one_thing_give_one_success_and_clear_conflicts(
    live: str, runtime: Runtime, cast: Cast
) -> None:
    with httpx.Client(base_url=live, timeout=60) as c:
        sub = _call(c, "POST", "/api/submissions", cast.headers("owner_lab"), json=submission_body())
    opened = race(
        8, lambda c, _: c.post(f"{live}/api/reviews", json={"submission_id": sub["id"]}, headers=cast.headers("admin"))
    )
    assert statuses(opened) == {201: 1, 409: 7}, [r.text for r in opened]
    rev_id = next(r.json()["id"] for r in opened if r.status_code == 201)
    body = {"user_id": cast.users["assigned"], "focus_areas": ["insider_risks"]}
    assigned = race(
        8, lambda c, _: c.post(f"{live}/api/reviews/{rev_id}/assignments", json=body, headers=cast.headers("admin"))
    )
    assert statuses(assigned) == {201: 1, 409: 7}, [r.text for r in assigned]
    other = race(
        8,
        lambda c, _: c.post(
            f"{live}/api/submissions", json=submission_body(model_name="Lark"), headers=cast.headers("owner_lab")
        ),
    )
    assert statuses(other) == {201: 8}
    target = other[0].json()["id"]
    nominated = race(
        8,
        lambda c, _: c.post(
            f"{live}/api/submissions/{target}/nominations",
            json={"reason": "critical infrastructure"},
            headers=cast.headers("agency"),
        ),
    )
    assert statuses(nominated) == {201: 1, 409: 7}, [r.text for r in nominated]


def test_concurrent_selection_decisions_are_numbered_one_by_one(live: str, runtime: Runtime, cast: Cast) -> None:
    with httpx.Client(base_url=live, timeout=60) as c:
        sub = _call(c, "POST", "/api/submissions", cast.headers("owner_lab"), json=submission_body())
    url = f"{live}/api/submissions/{sub['id']}/selection"
    override = {"selected": True, "reason": "the programme office selects it by hand"}
    responses = race(10, lambda c, _: c.post(url, json=override, headers=cast.headers("admin")))
    assert statuses(responses) == {200: 10}, [r.text for r in responses]
    with httpx.Client(base_url=live) as c:
        history = _call(c, "GET", url, cast.headers("admin"))["history"]
    assert len(history) == 11  # the engine's first decision and ten overrides
    with runtime.database.read_session() as session:
        seqs = session.scalars(
            sa.select(SelectionDecisionRow.seq).where(SelectionDecisionRow.submission_id == sub["id"])
        ).all()
    assert sorted(seqs) == list(range(1, 12))  # each decision saw the one before it: no number twice


def test_two_administrators_demoting_each_other_at_once_leave_one(live: str, runtime: Runtime, cast: Cast) -> None:
    keeper = cast.users["admin"], cast.tokens["admin"]
    demote = {"roles": ["agency_reviewer"]}
    for _ in range(4):
        challenger, token = make_admin(runtime)
        pair = [keeper, (challenger.id, token)]

        def request(client: httpx.Client, me: int, pair: list[tuple[str, str]] = pair) -> httpx.Response:
            target, bearer = pair[1 - me][0], pair[me][1]
            return client.patch(
                f"{live}/api/users/{target}", json=demote, headers={"Authorization": f"Bearer {bearer}"}
            )

        responses = race(2, request)
        assert statuses(responses)[200] == 1, [r.text for r in responses]
        winner = 0 if responses[0].status_code == 200 else 1  # the one who demoted the other stays
        with httpx.Client(base_url=live) as c:
            me = c.get("/api/me", headers={"Authorization": f"Bearer {pair[winner][1]}"}).json()
        assert "programme_admin" in me["roles"]
        keeper = pair[winner]


def test_ticks_racing_a_release_close_the_review_once(
    live: str, runtime: Runtime, cast: Cast, clock: ManualClock
) -> None:
    from datetime import timedelta

    _, rev_id = _review(live, cast)
    clock.advance(timedelta(days=31))
    requests = [(f"{live}/api/outbox/tick", "admin")] * 6 + [(f"{live}/api/reviews/{rev_id}/release", "owner_lab")]

    def request(client: httpx.Client, i: int) -> httpx.Response:
        url, role = requests[i]
        return client.post(url, json={} if role == "owner_lab" else None, headers=cast.headers(role))

    responses = race(len(requests), request)
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    closes = [e for e in _events(runtime, "review.close", rev_id) if e.outcome == "ok"]
    assert len(closes) == 1


def test_concurrent_bootstraps_make_one_first_administrator(runtime: Runtime) -> None:
    container = Container(runtime)
    barrier = threading.Barrier(12)

    def bootstrap(i: int) -> str:
        barrier.wait()
        try:
            container.identity.bootstrap_admin(email=f"first-{i}@office.example.gov", display_name=f"First {i}")
        except AlreadyBootstrapped:
            return "refused"
        return "created"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = Counter(pool.map(bootstrap, range(12)))
    assert outcomes == {"created": 1, "refused": 11}
    with runtime.database.read_session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_concurrent_eval_results_merge_their_scores(runtime: Runtime, live: str, cast: Cast) -> None:
    sub_id, rev_id = _review(live, cast)
    evaluator = cast.headers("assigned")
    url = f"{live}/api/reviews/{rev_id}/eval-results"

    def attach(client: httpx.Client, i: int) -> httpx.Response:
        return client.post(url, json={"summary": {"scores": {f"task_{i}": 0.5}}}, headers=evaluator)

    responses = race(8, attach)
    assert statuses(responses) == {201: 8}, [r.text for r in responses]
    # every run's scores count: the submission's view merges them from the evidence they came from
    shown = httpx.get(f"{live}/api/submissions/{sub_id}", headers=cast.headers("admin")).json()
    assert {f"task_{i}" for i in range(8)} <= set(shown["evaluation_scores"])
