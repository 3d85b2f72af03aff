"""What several sandbox tests ask of the host."""

from __future__ import annotations

from pathlib import Path


def runs_as(status: Path, uid: int) -> bool:
    """Whether the process of ``/proc/<pid>/status`` is alive (not a zombie) and runs as ``uid``."""
    try:
        text = status.read_text()
    except OSError:
        return False
    return f"Uid:\t{uid}\t" in text and "State:\tZ" not in text
