"""Every command's help follows one convention; this walks every command of the app to keep it so.

- every command, argument and option says what it is for;
- no Python type shows (``<bool>``, ``<str>``, ``<list[Path]>``) and no ``{name}`` placeholder;
- option names are lower-case words joined by ``-``; ``--json`` is always a flag (print JSON instead of a
  table), a file to write is always ``--output`` (never ``--out``), the negative of a flag ``--x`` is
  ``--no-x`` (never ``--not-x``); no command takes ``-v``, and only the root has ``--version``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from bastion.cli.main import app, main

LONG = re.compile(r"^--[a-z0-9]+(-[a-z0-9]+)*$")
TYPE_LEAK = re.compile(r"<(bool|str|int|float|path|datetime|list\[[^>]*\]|[A-Za-z]+)>|\{[a-z_]+\}")


def _walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command, asked of each group as Click asks (groups load their commands' modules lazily)."""
    yield path, command
    if isinstance(command, TyperGroup):
        ctx = command.make_context("bastion", [], resilient_parsing=True)
        for name in sorted(command.list_commands(ctx)):
            yield from _walk(command.get_command(ctx, name), (*path, name))


ROOT = typer.main.get_command(app)
COMMANDS = list(_walk(ROOT))


def _params(command: Any) -> list[Any]:
    ctx = command.make_context("bastion", ["--help"], resilient_parsing=True)
    return [p for p in command.get_params(ctx) if p.name != "help"]


def test_the_walk_sees_every_command() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"query", "serve", "up", "review add-finding", "eval profile", "users bootstrap-admin", "login"} <= names
    assert len(names) > 50


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "bastion" for p, _ in COMMANDS])
def test_help_follows_the_convention(path: tuple[str, ...], command: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert (command.help or "").strip(), f"bastion {' '.join(path)} has no help text"
    for param in _params(command):
        label = f"bastion {' '.join(path)} {param.opts}"
        assert (param.help or "").strip(), f"{label} has no help text"
        if isinstance(param, TyperOption):
            assert all(LONG.match(opt) for opt in param.opts if opt.startswith("--")), label
            assert "-v" not in param.opts, label
            assert "--out" not in param.opts, f"{label}: a file to write is --output"
            assert not any(opt.startswith("--not-") for opt in param.secondary_opts), f"{label}: write --no-"
            for negative in param.secondary_opts:
                if negative.startswith("--no"):
                    assert negative == "--no-" + param.opts[0].removeprefix("--"), label
            if "--json" in param.opts:
                assert param.is_flag, f"{label}: --json is a flag"
            if "--version" in param.opts:
                assert path == (), f"{label}: --version is Bastion's, at the root"
        else:
            assert isinstance(param, TyperArgument)
    assert main([*path, "--help"]) == 0
    shown = capsys.readouterr().out
    leaks = TYPE_LEAK.findall(shown)
    assert not leaks, f"bastion {' '.join(path)} --help shows {leaks}:\n{shown}"


def test_the_readme_lists_every_command() -> None:
    """The README's "Every command" table names each command in its group's row."""
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    rows = {
        line.split("|")[1].strip(): line.split("|")[2] for line in readme.splitlines() if line.startswith("| `bastion")
    }
    missing = []
    for path, command in COMMANDS:
        if isinstance(command, TyperGroup) or not path:
            continue
        group = "`bastion`" if len(path) == 1 else f"`bastion {path[0]}`"
        name = path[-1] if len(path) == 1 else " ".join(path[1:])
        if f"`{name}`" not in rows.get(group, ""):
            missing.append(" ".join(path))
    assert not missing, f"add to the README's command table: {missing}"
