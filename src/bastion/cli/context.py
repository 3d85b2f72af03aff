"""What every command needs: the runtime (settings, migrated database, clock) and a console."""

from __future__ import annotations

from functools import cache

from rich.console import Console

from bastion.runtime import Runtime

console = Console()
err_console = Console(stderr=True)


@cache
def runtime() -> Runtime:
    """The runtime for this process, built from the environment and migrated on first use."""
    rt = Runtime.from_settings()
    rt.migrate()
    return rt


def reset() -> None:
    """Forget the cached runtime (tests call ``main`` many times with different settings)."""
    if runtime.cache_info().currsize:
        runtime().database.dispose()
    runtime.cache_clear()
