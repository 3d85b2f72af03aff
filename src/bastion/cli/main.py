"""The ``bastion`` command. Exit codes: 0 ok, 1 findings, 2 usage or bad input, 3 operational error,
130 interrupted. Each command group lives in its own module and is registered here."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer
from rich.markup import escape

from bastion import __version__
from bastion.cli import context
from bastion.cli.exits import ExitCode
from bastion.core.errors import BastionError, OperationalError

app = typer.Typer(
    name="bastion",
    help="Bastion: frontier-model pre-release review and AI cybersecurity clearinghouse.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
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


def _register() -> None:
    from bastion.cli import (
        advisories,
        audit,
        clearinghouse,
        clearinghouse_cases,
        defense,
        evals,
        feeds,
        identity,
        review,
        review_work,
        serve,
        worker,
    )
    from bastion.cli.style import tidy

    advisories.register(app)
    serve.register(app)
    review.register(app)
    review_work.register(app)
    identity.register(app)
    audit.register(app)
    evals.register(app)
    clearinghouse.register(app)
    clearinghouse_cases.register()
    defense.register(app)
    feeds.register(app)
    worker.register(app)
    tidy(app)


_register()


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
