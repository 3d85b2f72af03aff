"""What every command needs: the composition root (settings, migrated database, clock, services) and a
console."""

from __future__ import annotations

import re
from functools import cache

from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.console import Console

from bastion.container import Container
from bastion.core.config import Settings
from bastion.core.errors import InvalidInput
from bastion.runtime import Runtime

console = Console()
err_console = Console(stderr=True)


def build_container(settings: Settings) -> Container:
    """The composition root for these settings (tests replace it to script the model behind `eval`)."""
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
