"""A stored entry read as ``StoredAffected`` compiles exactly as the validated record does, for all the real data."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from bastion.advisories.ecosystems import parse_ecosystem
from bastion.advisories.matching import commit_affected, compile_affected
from bastion.advisories.record import Affected, StoredAffected
from tests.unit.advisories.real_records import real_records


def test_stored_entries_compile_as_validated_records(shared_data: Path) -> None:
    compared = 0
    for record in real_records(shared_data / "osv"):
        for entry in record.get("affected") or []:
            if "package" not in entry:
                continue
            try:
                record_entry = Affected.model_validate(entry)
            except ValidationError:
                continue  # the importer rejects the record: it is never stored
            ecosystem = parse_ecosystem(entry["package"]["ecosystem"])
            validated = compile_affected(ecosystem, record_entry)
            stored = compile_affected(ecosystem, StoredAffected.from_stored(entry))
            assert stored.boundaries() == validated.boundaries(), record["id"]
            assert (stored.exact, stored.problems) == (validated.exact, validated.problems), record["id"]
            compared += 1
    assert compared > 11_000


def test_commits_read_alike() -> None:
    commit = "6c939cb6f6dfbd273609577b0022542d31ae2802"
    entry = {"ranges": [{"type": "GIT", "repo": "https://example.org/r", "events": [{"introduced": commit}]}]}
    assert commit_affected(StoredAffected.from_stored(entry), commit[:7])
    assert commit_affected(Affected.model_validate(entry), commit[:7])
    assert not commit_affected(StoredAffected.from_stored(entry), "0" * 40)
