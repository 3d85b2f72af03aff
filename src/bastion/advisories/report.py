"""What an import did: counts, and every rejected record with the reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ImportProblem:
    source: str
    file: str
    record_id: str | None
    reason: str


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    kev_imported: int = 0
    kev_updated: int = 0
    kev_unchanged: int = 0
    failures: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)

    @property
    def processed(self) -> int:
        return self.imported + self.updated + self.unchanged + self.failed

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "kev": {
                "imported": self.kev_imported,
                "updated": self.kev_updated,
                "unchanged": self.kev_unchanged,
            },
            "failures": [_problem(p) for p in self.failures],
            "warnings": [_problem(p) for p in self.warnings],
        }


def _problem(p: ImportProblem) -> dict[str, Any]:
    return {"source": p.source, "file": p.file, "id": p.record_id, "reason": p.reason}
