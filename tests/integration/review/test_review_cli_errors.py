"""CLI errors speak the command line's language: its own options and commands, never a model's name, the API's
documentation, or a command that itself needs what is missing."""

from __future__ import annotations

import re

import pytest

from bastion.cli.main import main
from bastion.runtime import Runtime


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    return " ".join(capsys.readouterr().err.split())


def test_the_missing_token_hint_points_at_the_way_in(
    cli_env: Runtime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On an empty database `bastion tokens create` would itself need a token: the way in is signing in,
    or creating the first administrator (or the demo users)."""
    monkeypatch.delenv("BASTION_TOKEN", raising=False)
    assert main(["review", "submissions"]) == 2
    err = _err(capsys)
    assert "BASTION_TOKEN" in err
    assert "bastion login" in err and "bastion users bootstrap-admin" in err and "bastion demo" in err
    assert "tokens create" not in err


def test_a_missing_option_is_named_as_the_cli_names_it(
    cli_env: Runtime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    tokens = dict(re.findall(r"│ ([a-z-]+) +│ (bst_\S+) │", out))
    review = re.search(r"(rev_[0-9a-f]+)", out)
    assert review is not None
    monkeypatch.setenv("BASTION_TOKEN", tokens["nsa-evaluator"])
    base = ["review", "add-finding", review.group(1), "--title", "Path", "--severity", "low"]
    assert main([*base, "--focus", "insider_risks", "--classification", "CUI"]) == 2
    err = _err(capsys)
    assert "--description (or --description-file) is required" in err
    assert main([*base, "--focus", "insider_risks", "--classification", "CUI", "--description", ""]) == 2
    assert "--description (or --description-file): String should have at least 1 character" in _err(capsys)
    for leak in ("FindingCreate", "/docs", "focus_area", "Field required"):
        assert leak not in err
