"""Command groups that load their commands' modules only when a command is used.

A module of commands imports the services it drives, and those import the whole slice behind them: loading
every module on start made each ``bastion`` call pay about two seconds before doing anything. A lazy group knows
its commands' names, and builds a command from its module when it is run, or when help lists it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import typer
from typer.core import TyperGroup

from bastion.cli.style import HelpGroup, tidy

Source = Callable[[], TyperGroup]  # builds (once) a group holding the named commands


def lazy_group(sources: Mapping[str, Source]) -> type[TyperGroup]:
    """A group class that also offers the commands named in ``sources``, each built from its source on first use."""

    class LazyGroup(HelpGroup):
        # ``ctx`` and the command are typer's own Click classes (it carries a copy of Click)
        def list_commands(self, ctx: Any) -> list[str]:
            return [*super().list_commands(ctx), *sources]

        def get_command(self, ctx: Any, cmd_name: str) -> Any:
            source = sources.get(cmd_name)
            if source is None:
                return super().get_command(ctx, cmd_name)
            return source().commands[cmd_name]

    return LazyGroup


def commands_of(register: Callable[[typer.Typer], None], names: set[str]) -> TyperGroup:
    """The commands ``register`` adds to a Typer app, in Bastion's help style; they must be exactly ``names``."""
    host = typer.Typer()
    register(host)
    tidy(host)
    group = typer.main.get_group(host)
    if set(group.commands) != names:
        raise RuntimeError(f"{register.__module__} adds {sorted(group.commands)}, not {sorted(names)}")
    return group
