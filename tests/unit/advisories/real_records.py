"""The OSV records of ``../shared/data/osv``, read once per test process through the importer's own reader."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bastion.advisories.sources import read_source

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def real_records(osv: Path) -> tuple[dict[str, Any], ...]:
    """Every record document of the directory (its zips included), as the files hold them (not validated)."""
    records = []
    for raw in read_source(str(osv)):
        document = yaml.load(raw.data, Loader=_Loader) if raw.format == "yaml" else json.loads(raw.data)
        if isinstance(document, dict):
            records.append(document)
    return tuple(records)


def entry_versions(entry: Mapping[str, Any]) -> set[str]:
    """Every version an ``affected`` entry names: listed, and the events of its non-GIT ranges."""
    found = {str(v) for v in entry.get("versions") or []}
    for rng in entry.get("ranges") or []:
        if rng.get("type") != "GIT":
            found.update(str(v) for event in rng.get("events") or [] for v in event.values())
    return found
