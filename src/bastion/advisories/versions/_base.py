"""What every ordering shares: the error for unparseable versions and a base for comparison-based keys."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from bastion.advisories.errors import InvalidVersion


def invalid(ecosystem: str, version: str, grammar: str) -> InvalidVersion:
    """The error for ``version`` not being a version of ``ecosystem``; ``grammar`` says what is."""
    return InvalidVersion(
        f"{version!r} is not a valid {ecosystem} version",
        hint=f"{ecosystem} versions look like {grammar}",
        details={"ecosystem": ecosystem, "version": version},
    )


def check_text(ecosystem: str, version: str) -> str:
    """Reject what no ecosystem calls a version: empty strings and strings with whitespace inside."""
    text = version.strip()
    if not text or any(c.isspace() for c in text):
        raise invalid(ecosystem, version, "a non-empty string without spaces")
    return text


class CmpKey(ABC):
    """A sort key defined by a three-way comparison (for orderings with no natural tuple form)."""

    __slots__ = ()

    @abstractmethod
    def cmp(self, other: Any) -> int:
        """Negative, zero or positive as ``self`` sorts before, with or after ``other``."""

    def __lt__(self, other: Any) -> bool:
        return self.cmp(other) < 0

    def __le__(self, other: Any) -> bool:
        return self.cmp(other) <= 0

    def __gt__(self, other: Any) -> bool:
        return self.cmp(other) > 0

    def __ge__(self, other: Any) -> bool:
        return self.cmp(other) >= 0

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.cmp(other) == 0

    def __hash__(self) -> int:  # equal keys must hash alike; orderings use bisect, not hashing
        return hash(type(self))
