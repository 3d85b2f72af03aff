"""What every command needs: the composition root (settings, migrated database, clock, services) and a
console."""

from __future__ import annotations

from functools import cache

from pydantic import ValidationError
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
    built = build_container(load_settings())
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
        raise InvalidInput(
            f"setting {name} is invalid: {first['msg']}",
            hint="fix or unset the environment variable; the README lists every setting",
            details={"setting": name},
        ) from e


def reset() -> None:
    """Forget the cached runtime (tests call ``main`` many times with different settings)."""
    if container.cache_info().currsize:
        container().runtime.database.dispose()
    container.cache_clear()
