"""What every command needs: the runtime (settings, migrated database, clock) and a console."""

from __future__ import annotations

from functools import cache

from pydantic import ValidationError
from rich.console import Console

from bastion.core.config import Settings
from bastion.core.errors import InvalidInput
from bastion.runtime import Runtime

console = Console()
err_console = Console(stderr=True)


@cache
def runtime() -> Runtime:
    """The runtime for this process, built from the environment and migrated on first use."""
    rt = Runtime.from_settings(load_settings())
    rt.migrate()
    return rt


def load_settings() -> Settings:
    """Settings from the environment; a bad value is a clear usage error, not a traceback."""
    try:
        return Settings()
    except ValidationError as e:
        first = e.errors()[0]
        name = "BASTION_" + "_".join(str(p) for p in first["loc"]).upper()
        raise InvalidInput(
            f"setting {name} is invalid: {first['msg']}",
            hint="fix or unset the environment variable; the README lists every setting",
            details={"setting": name},
        ) from e


def reset() -> None:
    """Forget the cached runtime (tests call ``main`` many times with different settings)."""
    if runtime.cache_info().currsize:
        runtime().database.dispose()
    runtime.cache_clear()
