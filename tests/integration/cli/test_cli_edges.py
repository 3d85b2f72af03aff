"""A newcomer's stumbles, answered: a busy port, and a password prompt that meets the end of its input."""

from __future__ import annotations

import io
import socket

import pytest

from bastion.cli.main import main
from bastion.runtime import Runtime


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    return " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize("command", ["serve", "up"])
def test_a_busy_port_is_checked_first_and_exits_3(
    command: str, cli_env: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main([command, "--port", str(port)]) == 3
    out, err = capsys.readouterr()
    err = " ".join(err.split())
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port" in err
    assert "Bastion API on" not in out and "importing" not in out  # nothing started before the check


def test_login_at_the_end_of_input_is_a_usage_error(
    cli_env: Runtime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["login", "--email", "eve@example.org"]) == 2
    err = _err(capsys)
    assert "no password" in err and "--password-stdin" in err and "interrupted" not in err
