"""What the shared data itself says affects a PyPI version, without Bastion's matcher.

PyPA records enumerate every affected version in ``versions``. For packages where *every* record does, the
set of records listing a version is the exact answer any correct OSV server must give for it.
"""

from __future__ import annotations

import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml


def pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class PackageFacts:
    name: str
    versions: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # version -> record ids
    records: set[str] = field(default_factory=set)
    fully_enumerated: bool = True


@cache
def pypa_facts(zip_path: Path) -> dict[str, PackageFacts]:
    facts: dict[str, PackageFacts] = {}
    with zipfile.ZipFile(zip_path) as archive:
        for name in archive.namelist():
            if not name.endswith(".yaml"):
                continue
            record = yaml.load(archive.read(name), Loader=yaml.CSafeLoader)
            if record.get("withdrawn"):
                continue
            for entry in record.get("affected") or []:
                package = pep503(entry["package"]["name"])
                item = facts.setdefault(package, PackageFacts(package))
                item.records.add(record["id"])
                listed = entry.get("versions") or []
                if not listed:
                    item.fully_enumerated = False
                for version in listed:
                    item.versions[str(version)].add(record["id"])
    return facts


def exact_pins(zip_path: Path, count: int, rejected: frozenset[str] = frozenset()) -> list[tuple[str, str, set[str]]]:
    """``count`` (package, version, expected ids) triples from fully enumerated packages, spread evenly.

    ``rejected``: ids the importer refused (schema-invalid records); no server holds them.
    """
    facts = pypa_facts(zip_path)
    candidates = sorted(
        (package, version, ids - rejected)
        for package, item in facts.items()
        if item.fully_enumerated and len(item.records) >= 2
        for version, ids in item.versions.items()
        if re.fullmatch(r"\d+(\.\d+)*", version)
    )
    step = max(1, len(candidates) // count)
    return [candidates[i] for i in range(0, len(candidates), step)][:count]
