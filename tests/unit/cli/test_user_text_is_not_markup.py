"""User data printed by the CLI (titles, names, errors) is shown as written: never parsed as rich markup,
which would garble it or crash on a stray closing tag such as ``[/x]``."""

from __future__ import annotations

import pytest

from bastion.cli.review import table


def test_tables_show_brackets_literally(capsys: pytest.CaptureFixture[str]) -> None:
    table("findings [/x]", ["id", "title"], [["fnd_1", "[/evil] injection in [bold]parser[/bold]"]])
    out = capsys.readouterr().out
    assert "[/evil] injection in [bold]parser[/bold]" in out
    assert "findings [/x]" in out
