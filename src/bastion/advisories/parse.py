"""Turn one raw file into the rows the database keeps, or a rejection that says why. Pure."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import yaml
from pydantic import ValidationError

from bastion.advisories.ecosystems import normalize_package_name, parse_ecosystem
from bastion.advisories.record import OsvRecord
from bastion.advisories.sources import MAX_RECORD_BYTES, RawFile
from bastion.advisories.timestamps import rfc3339
from bastion.core.errors import BastionError

try:  # the C loader is ~10x faster; fall back when libyaml is absent
    _YamlLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _YamlLoader = yaml.SafeLoader

PLACEHOLDER_TIME = datetime(1, 1, 1, tzinfo=UTC)


class RecordRejected(Exception):  # noqa: N818 - an outcome of parsing, never leaves the importer
    def __init__(self, reason: str, record_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.record_id = record_id


@dataclass(frozen=True, slots=True)
class AffectedRow:
    ecosystem: str
    ecosystem_release: str | None
    name: str
    entry: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    id: str
    origin: str  # "<source>!<path inside it>", where the record was read from
    modified: datetime
    published: datetime | None
    withdrawn: datetime | None
    summary: str | None
    raw: str
    raw_format: str
    raw_sha256: str
    document: dict[str, Any]
    aliases: list[str]
    affected: list[AffectedRow]
    commits: list[tuple[str, int]]  # (commit, index into `affected`)
    warnings: list[str] = field(default_factory=list)


def _jsonable(value: Any) -> Any:
    """YAML gives datetimes and dates; the stored document must be plain JSON, as OSV JSON would be."""
    if isinstance(value, datetime):
        return _format_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _format_time(value: datetime) -> str:
    """RFC 3339 as OSV writes it. A naive time keeps no ``Z``, so validation rejects it as it should."""
    return rfc3339(value) if value.tzinfo is not None else value.isoformat()


def parse_timestamp(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _decode(raw: RawFile) -> tuple[str, Any]:
    if not raw.data:
        raise RecordRejected(f"empty file or larger than {MAX_RECORD_BYTES} bytes")
    try:
        text = raw.data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RecordRejected(f"not UTF-8 text: {e}") from e
    try:
        document = yaml.load(text, Loader=_YamlLoader) if raw.format == "yaml" else json.loads(text)  # noqa: S506 - a safe loader
    except (yaml.YAMLError, json.JSONDecodeError) as e:
        raise RecordRejected(f"not valid {raw.format.upper()}: {e}") from e
    return text, document


def _validation_reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "record"
    return f"{where}: {first['msg']}" + (f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else "")


def parse_raw(raw: RawFile) -> ParsedRecord:
    text, loaded = _decode(raw)
    document = _jsonable(loaded)
    record_id = document.get("id") if isinstance(document, dict) else None
    try:
        record = OsvRecord.from_document(document)
    except ValidationError as e:
        raise RecordRejected(_validation_reason(e), record_id if isinstance(record_id, str) else None) from e
    except (ValueError, BastionError) as e:
        raise RecordRejected(str(e), record_id if isinstance(record_id, str) else None) from e

    warnings: list[str] = []
    modified = parse_timestamp(record.modified)
    if modified == PLACEHOLDER_TIME:
        warnings.append("modified is the placeholder 0001-01-01T00:00:00Z; re-imports cannot detect changes")
    affected_rows: list[AffectedRow] = []
    commits: list[tuple[str, int]] = []
    for index, entry in enumerate(document.get("affected") or []):
        package = entry.get("package")
        if package:
            ecosystem = parse_ecosystem(package["ecosystem"])
            affected_rows.append(
                AffectedRow(
                    ecosystem=ecosystem.name,
                    ecosystem_release=ecosystem.release,
                    name=normalize_package_name(ecosystem, package["name"]),
                    entry=entry,
                )
            )
        for rng in entry.get("ranges") or []:
            if rng.get("type") != "GIT":
                continue
            for event in rng["events"]:
                commit = next(iter(event.values()))
                if commit != "0":
                    commits.append((commit, index))
    return ParsedRecord(
        id=record.id,
        origin=f"{raw.source}!{raw.path}"[-500:],
        modified=modified,
        published=parse_timestamp(record.published) if record.published else None,
        withdrawn=parse_timestamp(record.withdrawn) if record.withdrawn else None,
        summary=record.summary,
        raw=text,
        raw_format=raw.format,
        raw_sha256=hashlib.sha256(raw.data).hexdigest(),
        document=document,
        aliases=record.alias_ids,
        affected=affected_rows,
        commits=sorted(set(commits)),
        warnings=warnings,
    )
