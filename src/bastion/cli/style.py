"""One look for every command's help, applied in one place.

Typer shows each parameter's Python type (``<bool>``, ``<list[Path]>``) and writes a required argument as
``{name}``. Bastion's help shows what a user types instead: an option's value as an upper-case placeholder
(``--days DAYS``), a choice as ``[a|b]``, a flag as just its name, an argument as ``NAME`` (``[NAME]`` when
optional, ``NAME...`` when repeated). ``tidy`` installs this on every command of an app; the conventions of
names and help texts are checked by ``tests/unit/cli/test_help_convention.py``.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption
from typer.models import DefaultPlaceholder


class _Argument(TyperArgument):
    """An argument shown by its placeholder alone: no Python type, no braces."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.metavar or (self.name or "").upper()
        return name if self.required else f"[{name}]"


def _tidy(param: Any, ctx: Any) -> None:
    if isinstance(param, TyperArgument):
        if type(param) is TyperArgument:
            param.__class__ = _Argument  # same fields; only how it is shown differs
        if param.metavar is None:
            param.metavar = (param.name or "").upper() + ("..." if param.nargs != 1 else "")
    elif isinstance(param, TyperOption) and param.metavar is None:
        if param.is_flag or param.count:
            param.metavar = ""  # a flag takes no value: show none
        elif param.type_descriptor.is_choice:
            param.metavar = "[" + param.display_type(ctx)[1:-1] + "]"
        else:
            long = max(param.opts, key=len).lstrip("-")
            is_path = param.type_descriptor.is_path
            param.metavar = ("DIR" if long.endswith("dir") else "FILE") if is_path else long.upper().replace("-", "_")


def _tidied(params: list[Any], ctx: Any) -> list[Any]:
    for param in params:
        _tidy(param, ctx)
    return params


class _Command(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _tidied(super().get_params(ctx), ctx)


class _Group(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _tidied(super().get_params(ctx), ctx)


HelpGroup = _Group  # a group with this help style, to subclass


def _unset(cls: Any, default: type) -> bool:
    return cls is None or cls is default or isinstance(cls, DefaultPlaceholder)


def tidy(app: typer.Typer) -> None:
    """Give every command and group of ``app`` (and its sub-apps) Bastion's help style."""
    if _unset(app.info.cls, TyperGroup):
        app.info.cls = _Group
    for command in app.registered_commands:
        if _unset(command.cls, TyperCommand):
            command.cls = _Command
    for group in app.registered_groups:
        if group.typer_instance is not None:
            tidy(group.typer_instance)
        if _unset(group.cls, TyperGroup):  # the sub-app's own class (a lazy group, say), else this style's
            group.cls = group.typer_instance.info.cls if group.typer_instance is not None else _Group
