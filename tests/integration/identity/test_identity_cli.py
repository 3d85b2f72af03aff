"""The identity and audit commands through ``bastion.cli.main.main``, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from bastion.cli.main import main
from bastion.core.principal import Role
from bastion.runtime import Runtime
from tests.factories import CISA, make_admin, make_user

PASSWORD = "a long enough passphrase"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_bootstrap_then_administer(
    cli_env: Runtime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(capsys, "users", "bootstrap-admin", "--email", "root@programme.example", "--name", "Root")
    assert code == 0, err
    token = out.strip().splitlines()[-1]
    assert token.startswith("bst_") and "not shown again" in err
    code, _, err = run(capsys, "users", "bootstrap-admin", "--email", "two@programme.example", "--name", "Two")
    assert code == 2 and "already has users" in err

    monkeypatch.setenv("BASTION_TOKEN", token)
    code, out, err = run(capsys, "orgs", "create", "Frontier Lab One", "--kind", "frontier_lab")
    assert code == 0, err
    org_id = out.split()[2]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, out, err = run(
        capsys,
        "users",
        "create",
        "--email",
        "sam@lab.example",
        "--name",
        "Sam",
        "--org",
        org_id,
        "--role",
        "lab_submitter",
        "--clearance",
        "CUI",
        "--password-stdin",
    )
    assert code == 0, err
    user_id = out.split()[2]
    code, out, _ = run(capsys, "users", "list", "--json")
    assert code == 0
    assert {u["email"] for u in json.loads(out)["data"]} == {"sam@lab.example", "root@programme.example"}
    code, out, err = run(capsys, "users", "update", user_id, "--clearance", "SECRET", "--inactive")
    assert code == 0, err
    code, out, _ = run(capsys, "users", "list", "--json")
    [sam] = [u for u in json.loads(out)["data"] if u["id"] == user_id]
    assert (sam["clearance"], sam["active"], sam["roles"]) == ("SECRET", False, ["lab_submitter"])

    code, _, err = run(
        capsys,
        "users",
        "create",
        "--email",
        "sam@lab.example",
        "--name",
        "Sam",
        "--org",
        org_id,
        "--role",
        "lab_viewer",
    )
    assert code == 2 and "a user with email sam@lab.example already exists" in err


def test_login_prints_a_session_token(
    cli_env: Runtime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:

    make_user(cli_env, CISA, [Role.EVALUATOR], email="eve@cisa.example", password=PASSWORD)
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong password here\n"))
    code, _, err = run(capsys, "login", "--email", "eve@cisa.example", "--password-stdin")
    assert code == 2 and "wrong email or password" in err
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, out, err = run(capsys, "login", "--email", "eve@cisa.example", "--password-stdin")
    assert code == 0, err
    session = out.strip().splitlines()[-1]
    assert session.startswith("bss_")
    monkeypatch.setenv("BASTION_TOKEN", session)
    code, out, _ = run(capsys, "users", "list", "--json")
    assert code == 0 and [u["email"] for u in json.loads(out)["data"]] == ["eve@cisa.example"]


def test_tokens_create_list_revoke(
    cli_env: Runtime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, token = make_admin(cli_env)
    monkeypatch.setenv("BASTION_TOKEN", token)
    code, out, err = run(capsys, "tokens", "create", "--name", "nightly", "--days", "7")
    assert code == 0, err
    secret = out.strip().splitlines()[-1]
    token_id = err.split()[1]
    code, out, _ = run(capsys, "tokens", "list", "--json")
    assert code == 0 and secret not in out
    listed = {t["id"]: t for t in json.loads(out)["data"]}
    assert (listed[token_id]["name"], listed[token_id]["status"]) == ("nightly", "active")
    assert run(capsys, "tokens", "revoke", token_id)[0] == 0
    monkeypatch.setenv("BASTION_TOKEN", secret)
    code, _, err = run(capsys, "users", "list")
    assert code == 2 and "revoked" in err


def test_commands_need_a_token(
    cli_env: Runtime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BASTION_TOKEN", raising=False)
    code, _, err = run(capsys, "users", "list")
    assert code == 2 and "BASTION_TOKEN" in err and "bastion login" in err  # the way in, not tokens create


def test_audit_verify_exit_codes(
    cli_env: Runtime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, token = make_admin(cli_env)
    monkeypatch.setenv("BASTION_TOKEN", token)
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "2 events verified" in out
    code, out, _ = run(capsys, "audit", "list", "--json")
    assert code == 0 and '"user.create"' in out
    with cli_env.database.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_events WHERE seq = 2"))
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 1 and "first bad event seq 2" in out


def test_audit_checkpoint_catches_a_truncated_log(
    cli_env: Runtime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An administrator of the database removes the newest events and rolls the chain head back: the chain
    alone still verifies, the checkpoint kept outside the database does not."""
    _, token = make_admin(cli_env)
    monkeypatch.setenv("BASTION_TOKEN", token)
    witness = tmp_path / "witness" / "audit-checkpoints.jsonl"
    witness.parent.mkdir()
    monkeypatch.setenv("BASTION_AUDIT_CHECKPOINT_FILE", str(witness))
    run(capsys, "audit", "list")  # more events to lose
    code, out, err = run(capsys, "audit", "checkpoint")
    assert code == 0, err
    seq = int(out.split("at seq ")[1].split()[0])
    assert json.loads(witness.read_text().splitlines()[-1])["seq"] == seq
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and f"checkpoint seq {seq}" in out
    with cli_env.database.engine.begin() as conn:
        kept = conn.execute(sa.text("SELECT seq, hash FROM audit_events WHERE seq = 2")).one()
        conn.execute(sa.text("DELETE FROM audit_events WHERE seq > 2 OR seq IS NULL"))
        conn.execute(sa.text("UPDATE audit_chain_head SET last_seq = :s, last_hash = :h"), {"s": kept[0], "h": kept[1]})
    monkeypatch.delenv("BASTION_AUDIT_CHECKPOINT_FILE")
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0  # self-consistent without the witness...
    code, out, _ = run(capsys, "audit", "verify", "--checkpoint", str(witness))
    assert code == 1 and "audit log tampered" in out  # ...but not against it
    assert "removed from the end" in out or "differs from the checkpoint" in out
