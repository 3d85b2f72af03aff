"""The port through which the advisory database says what changed: which packages' advisories moved.

Whoever keeps derived state by package (agencies' inventories, in ``defense``) implements it; the container
wires it into the importer, so advisories import no slice. It is called inside the transaction that changes
the advisories (an import batch, a clearinghouse publication, a KEV update), so what it derives commits with
the change or not at all.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Protocol

from sqlalchemy.orm import Session

PackageKey = tuple[str, str]  # (OSV ecosystem, package name normalized as the ecosystem compares names)


class AdvisoryChanges(Protocol):
    def advisories_changed(self, session: Session, packages: Set[PackageKey]) -> None:
        """The advisories of ``packages`` changed in ``session``'s transaction (added, modified, withdrawn,
        or their known-exploited status moved)."""
        ...  # pragma: no cover - a protocol
