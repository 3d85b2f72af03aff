"""The held-out pool: no lab token can read task content through any API.

A real battery run for a review (the exploitation task, real sandbox, a scripted agent that captures flags, its
baselines beside it, the held-out split on), a finding released to the lab and the lab's report; then every GET
route of the API is walked with every lab token, each path parameter filled with every id the world holds, and no
answer may carry task content: a challenge's id, title, prompt, handed-out source, or a flag of the run. The same
walk as the programme administrator does find it (in the evidence logs), so the walk can see what it looks for.
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from inspect_ai.log import read_eval_log

from bastion.evals.challenges import all_challenges
from bastion.evals.pool import KEY_ENV, PoolSplit, period_of
from bastion.runtime import Runtime
from tests.factories import auth_headers
from tests.integration.evals.test_review_run import Cli, open_review, run_args
from tests.integration.review.support import Cast, finding_body, ok

LAB_ROLES = ("owner_lab", "lab_lead", "lab_viewer", "other_lab")


def _longest_line(text: str) -> str:
    return max((line.strip() for line in text.splitlines()), key=len)


def task_content() -> set[str]:
    """What must never reach a lab: for every challenge, its id, title, prompt and handed-out files."""
    markers: set[str] = set()
    for c in all_challenges():
        markers |= {c.id, c.title, _longest_line(c.prompt)}
        texts = [
            data if isinstance(data, str) else data.decode("utf-8", "ignore") for data in c.handout_files().values()
        ]
        markers |= {_longest_line(text) for text in texts if text.strip()}
    return {m for m in markers if len(m) >= 8}


def readable(response: Any) -> str:
    """The answer as text; a zip (an Inspect ``.eval`` log) is opened and every member read."""
    body: bytes = response.content
    if body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return body.decode("utf-8", "replace")


def walk(client: TestClient, token: str, ids: dict[str, set[str]]) -> dict[str, str]:
    """GET every route of the API (as its OpenAPI document lists them) with every combination of known ids;
    the answers keyed by URL."""
    answers: dict[str, str] = {}
    paths = [path for path, methods in client.app.openapi()["paths"].items() if "get" in methods]  # type: ignore[attr-defined]
    assert "/api/evidence/{evidence_id}/content" in paths and "/api/eval-runs/{run_id}" in paths
    for path in paths:
        names = re.findall(r"{(\w+)}", path)
        for values in itertools.product(*(sorted(ids.get(n, {"x"})) for n in names)):
            url = path
            for name, value in zip(names, values, strict=True):
                url = url.replace(f"{{{name}}}", value)
            queries = ["", "?variant=lab", "?variant=full&format=html"] if url.endswith("/report") else [""]
            for query in queries:
                response = client.get(url + query, headers=auth_headers(token))
                answers[url + query] = f"{response.status_code} {readable(response)}"
    return answers


def leaks(answers: dict[str, str], secrets: set[str]) -> dict[str, list[str]]:
    return {
        url: sorted(s for s in secrets if s in text) for url, text in answers.items() if any(s in text for s in secrets)
    }


def test_no_lab_token_can_read_task_content_through_any_api(
    cli: Cli, cast: Cast, cli_env: Runtime, client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "held-out-test-key")
    sub_id, rev_id = open_review(cli, cast, tmp_path)
    code, out, err = cli("assigned", *run_args(rev_id, "--epochs", "1"))
    assert code == 0, err
    run_id = out.split("queued run ")[1].split()[0]

    # a finding released to the lab, so that the lab's own view holds something
    evaluator, admin = cast.headers("assigned"), cast.headers("admin")
    finding = ok(client.post(f"/api/reviews/{rev_id}/findings", json=finding_body(), headers=evaluator), 201)
    ok(client.patch(f"/api/findings/{finding['id']}", json={"status": "confirmed"}, headers=evaluator))
    ok(client.post(f"/api/findings/{finding['id']}/share", headers=admin))

    # the run drew from this quarter's pool, and says so
    run = ok(client.get(f"/api/eval-runs/{run_id}", headers=evaluator))
    period = period_of(cli_env.clock.now())
    assert run["params"]["pool_period"] == run["summary"]["pool"] == period
    logs = [read_eval_log(str(p)) for p in (cli_env.settings.data_dir / "evals" / run_id).rglob("*.eval")]
    split = PoolSplit(b"held-out-test-key", period)
    model_log = next(log for log in logs if not (log.eval.metadata or {}).get("baseline"))
    assert model_log.eval.metadata["pool_period"] == period
    assert {str(s.id): s.metadata["pool"] for s in model_log.samples or []} == {
        str(s.id): split.pool_of(str(s.id)).value for s in model_log.samples or []
    }
    flags = {str(s.target) for log in logs for s in log.samples or []}
    secrets = task_content() | flags

    evidence = ok(client.get(f"/api/reviews/{rev_id}/evidence", headers=evaluator))["data"]
    users = {cast.users[role] for role in cast.users}
    ids = {
        "submission_id": {sub_id},
        "review_id": {rev_id},
        "finding_id": {finding["id"]},
        "evidence_id": {e["id"] for e in evidence},
        "run_id": {run_id},
        "user_id": users,
    }
    # the walk sees task content where it is: the administrator reads the evidence logs
    assert any("/api/evidence/" in url for url in leaks(walk(client, cast.tokens["admin"], ids), secrets))
    # no lab token reads any of it, anywhere
    for role in LAB_ROLES:
        answers = walk(client, cast.tokens[role], ids)
        assert any(text.startswith("200") for text in answers.values())  # the lab does see its own things
        assert leaks(answers, secrets) == {}, role
