"""Memory management for bulk work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector for a burst of allocation, then resume it as it was.

    Building package indexes or scanning an SBOM allocates a few hundred thousand long-lived, acyclic objects
    (version keys, compiled entries, parsed records), which trigger the collector over and over for nothing:
    a third of a cold index build. Reference counting still frees everything meanwhile. Nested uses are fine:
    an inner one finds the collector paused and leaves it so.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
