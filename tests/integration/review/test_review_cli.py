"""The CLI drives the same services: ``bastion demo``, ``bastion review ...`` with BASTION_TOKEN."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bastion.cli.main import main
from bastion.container import Container
from bastion.runtime import Runtime
from tests.integration.review.support import Cast, submission_body


def _run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, token: str | None, *args: str
) -> tuple[int, str, str]:
    if token is None:
        monkeypatch.delenv("BASTION_TOKEN", raising=False)
    else:
        monkeypatch.setenv("BASTION_TOKEN", token)
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_review_commands_end_to_end(
    cli_env: Runtime, cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lab, admin, evaluator = cast.tokens["owner_lab"], cast.tokens["admin"], cast.tokens["assigned"]
    body = tmp_path / "submission.json"
    body.write_text(json.dumps(submission_body()))
    code, out, _ = _run(capsys, monkeypatch, lab, "review", "submit", str(body))
    assert code == 0
    sub_id = json.loads(out)["id"]
    code, out, _ = _run(capsys, monkeypatch, admin, "review", "open", sub_id)
    rev_id = json.loads(out)["id"]
    code, out, _ = _run(
        capsys, monkeypatch, admin, "review", "assign", rev_id, cast.users["assigned"], "--focus", "insider_risks"
    )
    assert code == 0, out
    code, out, _ = _run(
        capsys,
        monkeypatch,
        evaluator,
        "review",
        "add-finding",
        rev_id,
        "--title",
        "Insider path",
        "--focus",
        "insider_risks",
        "--severity",
        "medium",
        "--classification",
        "CUI",
        "--description",
        "Details.",
    )
    assert code == 0
    fid = json.loads(out)["id"]
    code, out, err = _run(capsys, monkeypatch, evaluator, "review", "update-finding", fid, "--status", "mitigated")
    assert code == 2 and "allowed next states from 'draft': confirmed" in err.replace("\n", " ")
    code, out, _ = _run(capsys, monkeypatch, lab, "review", "list")
    assert code == 0 and rev_id in out
    code, out, _ = _run(capsys, monkeypatch, admin, "review", "report", rev_id)
    assert code == 0 and "#### (CUI) Insider path" in out
    code, _, err = _run(capsys, monkeypatch, None, "review", "submissions")
    assert code == 2 and "BASTION_TOKEN" in err


def test_tick_closes_expired_reviews(
    cli_env: Runtime, cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = tmp_path / "s.json"
    body.write_text(json.dumps(submission_body(intended_release_at="2000-01-01T00:00:00Z")))
    _, out, _ = _run(capsys, monkeypatch, cast.tokens["owner_lab"], "review", "submit", str(body))
    _run(capsys, monkeypatch, cast.tokens["admin"], "review", "open", json.loads(out)["id"])
    code, out, _ = _run(capsys, monkeypatch, None, "review", "tick")
    # the CLI runs on the system clock; the release date long past closes the window at once
    assert code == 0 and "closed 1 reviews" in out


def test_bad_submission_file_is_exit_2(
    cli_env: Runtime, cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = tmp_path / "bad.json"
    body.write_text(json.dumps(submission_body(training_compute_flop=-5)))
    code, _, err = _run(capsys, monkeypatch, cast.tokens["owner_lab"], "review", "submit", str(body))
    assert code == 2 and "training_compute_flop" in err


def test_demo_seeds_a_programme_to_try(
    cli_env: Runtime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = _run(capsys, monkeypatch, None, "demo")
    assert code == 0
    tokens = dict(re.findall(r"│ ([a-z-]+) +│ (bst_\S+) │", out))
    assert {"programme-admin", "nsa-evaluator", "alpha-submitter", "beta-submitter", "cisa-reviewer"} <= set(tokens)
    passwords = dict(re.findall(r"│ ([a-z-]+) +│ ([A-Za-z0-9_-]{16}) +│", out))
    assert set(passwords) == set(tokens)  # each demo user signs in on the web with the password printed
    assert Container(cli_env).identity.login("researcher@demo.bastion.example", passwords["researcher"]).token
    review_id = re.search(r"(rev_[0-9a-f]+)", out)
    assert review_id is not None
    code, out, _ = _run(
        capsys, monkeypatch, tokens["alpha-submitter"], "review", "findings", review_id.group(1), "--json"
    )
    assert code == 0
    shared = json.loads(out)
    assert [f["status"] for f in shared["data"]] == ["lab_responded"]  # the SECRET draft is not the lab's
    code, out, _ = _run(capsys, monkeypatch, tokens["beta-submitter"], "review", "submissions", "--json")
    assert [s["selection"] for s in json.loads(out)["data"]] == ["not_selected"]
    code, _, err = _run(capsys, monkeypatch, None, "demo")
    assert code == 2 and "already exists" in err
