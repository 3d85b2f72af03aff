"""The port the feeds read from: what the clearinghouse has published, and nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bastion.clearinghouse.advisory import PublishedAdvisory


class PublishedSource(Protocol):
    def published(self) -> Sequence[PublishedAdvisory]:
        """Every advisory whose case was published (the embargo ended or was lifted), newest revision of
        each. Never anything still under embargo: the feeds serve whatever this returns to anyone."""
        ...
