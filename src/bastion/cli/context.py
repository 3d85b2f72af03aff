"""What every command needs: the composition root (settings, migrated database, clock, services) and a
console."""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from typing import TYPE_CHECKING, Any

from rich.console import Console

from bastion.core.errors import InvalidInput

if TYPE_CHECKING:  # loaded by the first command that needs them: `bastion --version` and help need none
    from bastion.container import Container
    from bastion.core.config import Settings
    from bastion.runtime import Runtime

console = Console()
err_console = Console(stderr=True)


def print_json(data: str | Any) -> None:
    """Write machine-readable output: ``data`` (JSON text, or a value to encode) as indented JSON.

    On a terminal rich colours it. Anywhere else (a pipe, a file, a CI job) it is written as it is: rich's
    renderer takes seconds over a 5,000-component scan report, and the reader is a program."""
    text = data if isinstance(data, str) else json.dumps(data, default=str)
    if console.is_terminal:
        console.print_json(text)
        return
    sys.stdout.write(json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def build_container(settings: Settings) -> Container:
    """The composition root for these settings (tests replace it to script the model behind `eval`)."""
    from bastion.container import Container

    return Container.from_settings(settings)


@cache
def container() -> Container:
    """The services of this process, built from the environment; the database is migrated on first use."""
    settings = load_settings()
    try:
        built = build_container(settings)
    except OSError as e:
        raise InvalidInput(
            f"setting BASTION_DATA_DIR is invalid: cannot create {settings.data_dir}: {e.strerror}",
            hint="point BASTION_DATA_DIR at a directory you can write to",
            details={"setting": "BASTION_DATA_DIR"},
        ) from e
    built.runtime.migrate()
    return built


def runtime() -> Runtime:
    return container().runtime


def load_settings() -> Settings:
    """Settings from the environment; a bad value is a clear usage error, not a traceback."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from bastion.core.config import Settings

    try:
        return Settings()
    except ValidationError as e:
        first = e.errors()[0]
        name = "BASTION_" + "_".join(str(p) for p in first["loc"]).upper()
        problem = str(first["msg"]).removeprefix("Value error, ")
        raise _bad_setting(name, problem) from e
    except SettingsError as e:  # a value pydantic-settings could not even decode (lists are JSON)
        field = re.search(r'field "(\w+)"', str(e))
        name = "BASTION_" + (field.group(1).upper() if field else "?")
        raise _bad_setting(name, 'not valid JSON; lists are written as JSON, e.g. ["a", "b"]') from e


def _bad_setting(name: str, problem: str) -> InvalidInput:
    return InvalidInput(
        f"setting {name} is invalid: {problem}",
        hint="fix or unset the environment variable; the README lists every setting",
        details={"setting": name},
    )


def reset() -> None:
    """Forget the cached runtime (tests call ``main`` many times with different settings)."""
    if container.cache_info().currsize:
        container().runtime.database.dispose()
    container.cache_clear()
