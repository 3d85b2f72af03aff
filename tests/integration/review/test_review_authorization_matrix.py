"""The authorization matrix: every review endpoint x role x ownership x classification.

Expectations are written out by hand from the programme's rules (not computed from ``core.access``):
``o`` allowed (the request passed the policy: 2xx, or a 400/409 about the state), ``f`` forbidden (403),
``h`` hidden (404, byte-identical to the answer for a truly missing id). Agency reviewers (``agency``, not
assigned) read submissions and selection and nominate, but a review and everything in it is hidden from them.
The ``high`` target is a SECRET
submission/review holding TOP SECRET findings and evidence: whoever is not cleared gets ``h``.

The world is seeded once per module on SQLite (a file copied back after every allowed write), because the
matrix makes several hundred requests; the lifecycle tests cover both backends.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bastion.api.app import create_app
from bastion.core.clock import ManualClock
from bastion.core.config import Settings
from bastion.core.principal import Classification
from bastion.db import Database
from bastion.runtime import Runtime
from tests.integration.review.support import ROLES, Cast, build_cast, finding_body, ok, submission_body

CLEARANCE = {
    "admin": Classification.TOP_SECRET,
    "agency": Classification.SECRET,
    "assigned": Classification.SECRET,
    "unassigned": Classification.SECRET,
    "owner_lab": Classification.CUI,
    "other_lab": Classification.CUI,
    "lab_viewer": Classification.CUI,
}
LEVELS = {
    "low": {"review": Classification.CUI, "content": Classification.CUI},
    "high": {"review": Classification.SECRET, "content": Classification.TOP_SECRET},
}
MISSING = {
    "submission_id": "sub_00000000deadbeef",
    "review_id": "rev_00000000deadbeef",
    "finding_id": "fnd_00000000deadbeef",
    "evidence_id": "evd_00000000deadbeef",
    "extension_id": "ext_00000000deadbeef",
    "message_id": "msg_00000000deadbeef",
}
REVIEW_PREFIXES = (
    "/api/submissions",
    "/api/selection",
    "/api/reviews",
    "/api/extensions",
    "/api/findings",
    "/api/clearinghouse/candidates",  # the review side of the clearinghouse seam; the slice has its own tests
    "/api/evidence",
    "/api/outbox",
)
Body = Callable[[dict[str, str]], dict[str, Any]] | None


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    expect: str  # one letter per role in ROLES order
    level: str | None = None  # which classification of the target governs: "review", "content" or None
    body: Body = None
    multipart: bool = False

    @property
    def mutates(self) -> bool:
        return self.method != "GET"


def _extension(_: dict[str, str]) -> dict[str, Any]:
    return {"days": 3, "reason": "More time for the infrastructure tests."}


CASES = [
    Case("POST", "/api/submissions", "ffffoof", body=lambda _: submission_body()),
    Case("GET", "/api/submissions", "ooooooo"),
    Case("GET", "/api/submissions/{submission_id}", "ooohoho", "review"),
    Case("PATCH", "/api/submissions/{submission_id}", "offhohf", "review", lambda _: {"model_version": "3.1"}),
    Case("DELETE", "/api/submissions/{submission_id}", "offhohf", "review"),
    Case("GET", "/api/submissions/{submission_id}/access", "ofohfhf", "review"),
    Case("GET", "/api/submissions/{submission_id}/selection", "oofhoho", "review"),
    Case(
        "POST",
        "/api/submissions/{submission_id}/selection",
        "oofhfhf",
        "review",
        lambda _: {"selected": True, "reason": "Selected by the programme board."},
    ),
    Case("POST", "/api/submissions/{submission_id}/selection/evaluate", "oofhfhf", "review"),
    Case(
        "POST",
        "/api/submissions/{submission_id}/nominations",
        "fofhfhf",
        "review",
        lambda _: {"reason": "Critical infrastructure exposure."},
    ),
    Case("GET", "/api/selection-policy", "ooooooo"),
    Case("POST", "/api/reviews", "offhfhf", "review", lambda ids: {"submission_id": ids["submission_id"]}),
    Case("GET", "/api/reviews", "ooooooo"),
    Case("GET", "/api/reviews/{review_id}", "ohohoho", "review"),
    Case("POST", "/api/reviews/{review_id}/release", "ohfhohf", "review"),
    Case("GET", "/api/reviews/{review_id}/extensions", "ohohoho", "review"),
    Case("POST", "/api/reviews/{review_id}/extensions", "ohfhohf", "review", _extension),
    Case("POST", "/api/extensions/{extension_id}/answer", "fhfhohf", "review", lambda _: {"consent": True}),
    Case("GET", "/api/reviews/{review_id}/assignments", "ohohfhf", "review"),
    Case(
        "POST",
        "/api/reviews/{review_id}/assignments",
        "ohfhfhf",
        "review",
        lambda ids: {"user_id": ids["unassigned_user"], "focus_areas": ["other"]},
    ),
    Case("DELETE", "/api/reviews/{review_id}/assignments/{user_id}", "ohfhfhf", "review"),
    Case("GET", "/api/reviews/{review_id}/report", "ohohoho", "review"),
    Case("GET", "/api/reviews/{review_id}/findings", "ohohoho", "review"),
    Case("POST", "/api/reviews/{review_id}/findings", "ohohfhf", "review", lambda _: finding_body()),
    Case("GET", "/api/findings/{finding_id}", "ohohoho", "content"),
    Case("PATCH", "/api/findings/{finding_id}", "ohohfhf", "content", lambda _: {"for_clearinghouse": True}),
    Case("POST", "/api/findings/{finding_id}/share", "ohfhfhf", "content"),
    Case("POST", "/api/findings/{finding_id}/responses", "ohfhohf", "content", lambda _: {"body": "Thanks."}),
    Case("GET", "/api/clearinghouse/candidates", "ooooooo"),
    Case("GET", "/api/reviews/{review_id}/evidence", "ohohoho", "review"),
    Case("POST", "/api/reviews/{review_id}/evidence", "ohohfhf", "review", multipart=True),
    Case(
        "POST",
        "/api/reviews/{review_id}/eval-results",
        "ohohfhf",
        "review",
        lambda _: {"summary": {"scores": {"cyber_ctf": 0.5}}},
    ),
    Case("GET", "/api/evidence/{evidence_id}", "ohohhhh", "content"),
    Case("GET", "/api/evidence/{evidence_id}/content", "ohohhhh", "content"),
    Case("GET", "/api/outbox", "offffff"),
    Case("POST", "/api/outbox/{message_id}/delivered", "offffff"),
    Case("POST", "/api/outbox/tick", "offffff"),
]


@dataclass
class World:
    client: TestClient
    runtime: Runtime
    cast: Cast
    targets: dict[str, dict[str, str]]
    template: Path
    working: Path
    dirty: bool = False

    def restore(self) -> None:
        if not self.dirty:
            return
        self.runtime.database.dispose()
        for suffix in ("-wal", "-shm"):
            Path(f"{self.working}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.template, self.working)
        self.dirty = False


def _seed(client: TestClient, cast: Cast, *, owner: str, level: str) -> dict[str, str]:
    admin, evaluator = cast.headers("admin"), cast.headers("assigned")
    sub = ok(
        client.post("/api/submissions", json=submission_body(classification=level), headers=cast.headers(owner)), 201
    )
    rev = ok(client.post("/api/reviews", json={"submission_id": sub["id"]}, headers=admin), 201)
    assign = {"user_id": cast.users["assigned"], "focus_areas": ["digital_infrastructure"]}
    ok(client.post(f"/api/reviews/{rev['id']}/assignments", json=assign, headers=admin), 201)
    content = "CUI" if level == "CUI" else "TOP_SECRET"
    author = evaluator if level == "CUI" else admin
    fnd = ok(
        client.post(f"/api/reviews/{rev['id']}/findings", json=finding_body(classification=content), headers=author),
        201,
    )
    ok(client.patch(f"/api/findings/{fnd['id']}", json={"status": "confirmed"}, headers=author))
    if level == "CUI":
        ok(client.post(f"/api/findings/{fnd['id']}/share", headers=admin))
    files = {"file": ("log.txt", b"evaluation transcript", "text/plain")}
    evd = ok(
        client.post(
            f"/api/reviews/{rev['id']}/evidence", files=files, data={"classification": content}, headers=author
        ),
        201,
    )
    ext = ok(client.post(f"/api/reviews/{rev['id']}/extensions", json=_extension({}), headers=admin), 201)
    messages = ok(client.get("/api/outbox", headers=admin))["data"]
    return {
        "submission_id": sub["id"],
        "review_id": rev["id"],
        "finding_id": fnd["id"],
        "evidence_id": evd["id"],
        "extension_id": ext["id"],
        "message_id": messages[0]["id"],
        "user_id": cast.users["assigned"],
        "unassigned_user": cast.users["unassigned"],
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[World]:
    root = tmp_path_factory.mktemp("matrix")
    working, template = root / "bastion.db", root / "seeded.db"
    shutil.copyfile(_sqlite_template, working)
    settings = Settings(data_dir=root / "data", database_url=f"sqlite:///{working}", secret_key="matrix-key")
    runtime = Runtime(
        settings=settings,
        database=Database(settings.resolved_database_url()),
        clock=ManualClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC)),
    )
    with TestClient(create_app(runtime)) as client:
        cast = build_cast(runtime)
        targets = {
            "low": _seed(client, cast, owner="owner_lab", level="CUI"),
            "high": _seed(client, cast, owner="lab_lead", level="SECRET"),
        }
        runtime.database.dispose()
        shutil.copyfile(working, template)
        yield World(client, runtime, cast, targets, template, working)
    runtime.database.dispose()


def _request(world: World, case: Case, ids: dict[str, str], headers: dict[str, str]) -> Any:
    url = case.path.format(**ids)
    if case.multipart:
        files = {"file": ("more.txt", b"more evidence", "text/plain")}
        return world.client.request(case.method, url, files=files, data={"classification": "CUI"}, headers=headers)
    body = case.body(ids) if case.body else None
    return world.client.request(case.method, url, json=body, headers=headers)


def _expected(case: Case, target: str, role: str) -> str:
    letter = case.expect[ROLES.index(role)]
    if case.level is not None and CLEARANCE[role] < LEVELS[target][case.level]:
        return "h"
    return letter


def _outcome(status: int) -> str:
    if status in (403, 404, 401):
        return {403: "f", 404: "h", 401: "unauthenticated"}[status]
    assert status < 500, status
    return "o"


PARAMS = [
    pytest.param(case, target, id=f"{case.method} {case.path} [{target}]")
    for case in CASES
    for target in (("low", "high") if "{" in case.path or case.level else ("low",))
]


@pytest.mark.parametrize(("case", "target"), PARAMS)
def test_matrix(world: World, case: Case, target: str) -> None:
    ids = world.targets[target]
    missing_ids = {**ids, **MISSING}
    for role in ROLES:
        world.restore()
        headers = world.cast.headers(role)
        response = _request(world, case, ids, headers)
        got, want = _outcome(response.status_code), _expected(case, target, role)
        assert got == want, f"{role}: expected {want}, got {response.status_code} {response.text}"
        if got == "o" and case.mutates:
            world.dirty = True
        if got == "h":
            missing = _request(world, case, missing_ids, headers)
            assert missing.status_code == 404, missing.text
            concealed = response.content
            for name, real in ids.items():
                if name in MISSING:
                    concealed = concealed.replace(real.encode(), MISSING[name].encode())
            assert concealed == missing.content, f"{role}: concealed answer differs from a missing one"
    world.restore()


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
def test_every_endpoint_needs_authentication(world: World, case: Case) -> None:
    response = _request(world, case, world.targets["low"], {})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


REVIEW_TAGS = {"submissions", "selection", "reviews", "findings", "evidence", "operations"}


def test_matrix_covers_every_review_route(world: World) -> None:
    """Every /api operation of the review slice (by path prefix or OpenAPI tag) has a row in CASES."""
    app: Any = world.client.app
    routes = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/")
        for method, operation in operations.items()
        if path.startswith(REVIEW_PREFIXES) or REVIEW_TAGS & set(operation.get("tags", []))
    }
    assert len(routes) >= len(CASES) > 30
    assert routes == {(c.method, c.path) for c in CASES}


def _visible_ids(world: World, role: str, url: str) -> set[str]:
    return {item["id"] for item in ok(world.client.get(url, headers=world.cast.headers(role)))["data"]}


@pytest.mark.parametrize(
    ("role", "submissions", "reviews"),
    [
        ("admin", {"low", "high"}, {"low", "high"}),
        # agency staff select: they see every submission within their clearance, and no review they are not on
        ("agency", {"low", "high"}, set()),
        ("assigned", {"low", "high"}, {"low", "high"}),
        ("unassigned", set(), set()),
        ("owner_lab", {"low"}, {"low"}),
        ("other_lab", set(), set()),
        ("lab_viewer", {"low"}, {"low"}),
    ],
)
def test_lists_show_exactly_what_each_role_may_see(
    world: World, role: str, submissions: set[str], reviews: set[str]
) -> None:
    headers = world.cast.headers(role)
    listed = ok(world.client.get("/api/submissions", headers=headers))["data"]
    # a review the user may not read is not even named on its submission
    assert {item["id"]: item["review_id"] for item in listed} == {
        world.targets[t]["submission_id"]: world.targets[t]["review_id"] if t in reviews else None for t in submissions
    }
    assert _visible_ids(world, role, "/api/reviews") == {world.targets[t]["review_id"] for t in reviews}
    for target in submissions:
        shown = ok(world.client.get(f"/api/submissions/{world.targets[target]['submission_id']}", headers=headers))
        assert shown["review_id"] == (world.targets[target]["review_id"] if target in reviews else None)
    if "high" in reviews:
        high = world.targets["high"]
        high_findings = _visible_ids(world, role, f"/api/reviews/{high['review_id']}/findings")
        assert high_findings == ({high["finding_id"]} if role == "admin" else set())
