"""The ``bastion`` command. Exit codes: 0 ok, 1 findings, 2 usage or bad input, 3 operational error,
130 interrupted. Each command group lives in its own module and is registered here."""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Sequence

import typer
from rich.markup import escape
from typer.core import TyperGroup

from bastion import __version__
from bastion.cli import context
from bastion.cli.exits import ExitCode
from bastion.cli.lazy import commands_of, lazy_group
from bastion.core.errors import BastionError, OperationalError

# Each module of commands and the root commands it adds. A module, and the services it imports, loads only when
# one of its commands runs (or when help lists them all): `bastion defend scan` does not pay for the review
# programme, and `bastion --version` pays for nothing (each cost seconds when every module loaded on start).
_UNITS: dict[str, tuple[str, ...]] = {
    "advisories": ("import", "query", "stats"),
    "serve": ("serve", "up"),
    "review": ("review", "demo"),
    "identity": ("orgs", "users", "tokens", "login"),
    "audit": ("audit",),
    "evals": ("eval",),
    "clearinghouse": ("clearinghouse",),
    "defense": ("defend",),
    "feeds": ("feeds",),
    "worker": ("worker",),
}


@functools.cache
def _unit(unit: str) -> TyperGroup:
    """The root commands ``unit`` adds, as a group holding them (built once per process)."""
    module = importlib.import_module(f"bastion.cli.{unit}")

    def register(host: typer.Typer) -> None:
        module.register(host)
        if unit == "review":  # the rest of `bastion review`, and `bastion demo`
            importlib.import_module("bastion.cli.review_work").register(host)
        elif unit == "clearinghouse":  # the case commands of `bastion clearinghouse`
            importlib.import_module("bastion.cli.clearinghouse_cases").register()

    return commands_of(register, set(_UNITS[unit]))


app = typer.Typer(
    name="bastion",
    help="Bastion: frontier-model pre-release review and AI cybersecurity clearinghouse.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=lazy_group({name: functools.partial(_unit, unit) for unit, names in _UNITS.items() for name in names}),
)


def _version(value: bool) -> None:
    if value:
        context.console.print(f"bastion {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show version."),
) -> None:
    """Bastion command line."""


def main(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0911 - one return per exit code reads clearest
    """Run the CLI and return its exit code (the console script calls ``sys.exit(main())``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = app(args, standalone_mode=False, prog_name="bastion")
    except typer.Exit as e:
        return int(e.exit_code)
    except typer.Abort:
        context.err_console.print("interrupted")
        return ExitCode.INTERRUPTED
    except KeyboardInterrupt:
        context.err_console.print("interrupted")
        return ExitCode.INTERRUPTED
    except typer.TyperException as e:  # usage errors: a missing argument, an unknown option...
        show = getattr(e, "show", None)
        if callable(show):
            show()
        else:
            context.err_console.print(f"[bold red]error[/]: {e}", highlight=False)
        return ExitCode.USAGE
    except OperationalError as e:
        _print_error(e)
        return ExitCode.OPERATIONAL
    except BastionError as e:
        _print_error(e)
        return ExitCode.USAGE
    finally:
        context.reset()
    return int(result) if isinstance(result, int) else ExitCode.OK


def _print_error(error: BastionError) -> None:
    # escape: messages quote user input and extras (``bastion[pdf]``) that rich would read as markup
    context.err_console.print(f"[bold red]error[/]: {escape(error.message)}", highlight=False)
    if error.hint:
        context.err_console.print(f"[bold]hint[/]: {escape(error.hint)}", highlight=False)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
