"""The OSV record (schema 1.7), validated on construction.

We keep the record exactly as received (``raw``) and use this model only to *check* it and to pull out what
matching needs. The rules follow the OSV specification; a test compares our verdicts with the official JSON
schema over every record in the shared data.

Deliberately more liberal than the official schema in one place: the id prefix. The schema lists the home
databases it knows; a clearinghouse receives records from new ones, so any ``PREFIX-rest`` id is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bastion.advisories.ecosystems import parse_ecosystem

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_.]*(-[A-Za-z0-9_.:-]+)+$"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
FULL_COMMIT = re.compile(r"^(0|[a-f0-9]{40}|[a-f0-9]{64})$")
EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


def _timestamp(value: Any) -> Any:
    if isinstance(value, datetime):  # YAML loaders turn timestamps into datetimes
        if value.tzinfo is None:
            raise ValueError("timestamp must be UTC with a trailing Z, e.g. 2024-01-31T12:00:00Z")
        return value
    if not isinstance(value, str) or not TIMESTAMP.match(value):
        raise ValueError(f"timestamp {value!r} must be RFC 3339 in UTC with a trailing Z, e.g. 2024-01-31T12:00:00Z")
    return value


class Package(_Model):
    ecosystem: str
    name: str
    purl: str | None = None

    @field_validator("ecosystem")
    @classmethod
    def _known_ecosystem(cls, value: str) -> str:
        parse_ecosystem(value)  # raises UnknownEcosystem with a helpful hint
        return value


class Range(_Model):
    type: Literal["GIT", "SEMVER", "ECOSYSTEM"]
    repo: str | None = None
    events: list[dict[str, str]] = Field(min_length=1)

    @model_validator(mode="after")
    def _events(self) -> Range:
        kinds: set[str] = set()
        for event in self.events:
            if len(event) != 1 or next(iter(event)) not in EVENT_KINDS:
                raise ValueError(f"each event must be exactly one of {', '.join(EVENT_KINDS)}; got {event}")
            kind, value = next(iter(event.items()))
            kinds.add(kind)
            if self.type == "GIT" and not FULL_COMMIT.match(value):
                raise ValueError(f"GIT range events must be full commit hashes (40 or 64 hex) or 0; got {value!r}")
        if "introduced" not in kinds:
            raise ValueError("a range must contain an introduced event")
        if "fixed" in kinds and "last_affected" in kinds:
            raise ValueError("fixed and last_affected events are mutually exclusive within a range")
        if self.type == "GIT" and not self.repo:
            raise ValueError("GIT ranges require a repo")
        return self


class Affected(_Model):
    package: Package | None = None
    ranges: list[Range] = Field(default_factory=list)
    versions: list[str] = Field(default_factory=list)

    @classmethod
    def from_stored(cls, entry: Mapping[str, Any]) -> Affected:
        """An entry the database holds, without validating it again: it was validated (as part of its
        ``OsvRecord``) before it was stored, and matching reads thousands of them per data generation."""
        package = entry.get("package")
        return cls.model_construct(
            **{
                **entry,
                "package": Package.model_construct(**package) if package else None,
                "ranges": [Range.model_construct(**r) for r in entry.get("ranges") or ()],
                "versions": list(entry.get("versions") or ()),
            }
        )


@dataclass(frozen=True, slots=True)
class StoredRange:
    """One range of a :class:`StoredAffected`: its ``type`` and ``events`` as the record has them."""

    type: str
    events: Sequence[Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class StoredAffected:
    """What matching reads of an ``affected`` entry the database holds: its ``versions`` and ``ranges``.

    Like :meth:`Affected.from_stored`, it trusts the entry, which was validated (as part of its ``OsvRecord``)
    before it was stored; unlike it, it does not rebuild the whole pydantic record, a quarter of the cost of
    compiling the entry, which an index build pays for thousands of entries at once.
    """

    versions: tuple[str, ...]
    ranges: tuple[StoredRange, ...]

    @classmethod
    def from_stored(cls, entry: Mapping[str, Any]) -> StoredAffected:
        return cls(
            tuple(entry.get("versions") or ()),
            tuple(StoredRange(r["type"], r["events"]) for r in entry.get("ranges") or ()),
        )


Matchable = Affected | StoredAffected  # what matching reads: a validated record, or an entry stored as one


class Reference(_Model):
    type: Literal[
        "ADVISORY",
        "ARTICLE",
        "DETECTION",
        "DISCUSSION",
        "REPORT",
        "FIX",
        "INTRODUCED",
        "GIT",
        "PACKAGE",
        "EVIDENCE",
        "WEB",
    ]
    url: str


class Severity(_Model):
    type: Literal["CVSS_V2", "CVSS_V3", "CVSS_V4", "Ubuntu"]
    score: str


class OsvRecord(_Model):
    """An OSV record. Construct with ``OsvRecord.from_document``; invalid input raises ValueError."""

    schema_version: str | None = None
    id: str = Field(pattern=ID_PATTERN)
    modified: str | datetime
    published: str | datetime | None = None
    withdrawn: str | datetime | None = None
    aliases: list[str] | None = None
    related: list[str] | None = None
    upstream: list[str] | None = None
    summary: str | None = None
    details: str | None = None
    severity: list[Severity] | None = None
    affected: list[Affected] | None = None
    references: list[Reference] | None = None

    @field_validator("modified", "published", "withdrawn", mode="before")
    @classmethod
    def _rfc3339(cls, value: Any) -> Any:
        return value if value is None else _timestamp(value)

    @classmethod
    def from_document(cls, document: Any) -> OsvRecord:
        if not isinstance(document, dict):
            raise ValueError(f"an OSV record must be a JSON object, not {type(document).__name__}")
        return cls.model_validate(document)

    @property
    def alias_ids(self) -> list[str]:
        return sorted({*(self.aliases or []), *(self.upstream or [])} - {self.id})
