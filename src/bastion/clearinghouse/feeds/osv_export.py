"""OSV exports in osv.dev's layout, so anything that mirrors osv.dev can mirror the clearinghouse:

- ``ecosystems.txt``: one ecosystem a line;
- ``<ECOSYSTEM>/all.zip``: one ``<id>.json`` per record affecting that ecosystem (``all.zip`` at the top: all);
- ``<ECOSYSTEM>/modified_id.csv``: ``<modified>,<id>`` lines, newest first, for incremental mirroring;
- ``<ECOSYSTEM>/<id>.json``: one record.

The ecosystem is the name without a release suffix (``Debian`` for ``Debian:12``), as osv.dev groups them.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

from bastion.clearinghouse.advisory import PublishedAdvisory
from bastion.clearinghouse.formats import osv_record
from bastion.core.ids import VulnID

# Fixed member timestamps: the same records always make the same bytes (mirrors can compare hashes).
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def ecosystems_of(record: dict[str, Any]) -> set[str]:
    return {entry["package"]["ecosystem"].split(":", 1)[0] for entry in record.get("affected", [])}


class OsvExport:
    """The OSV export of a set of published advisories (built once, then served or written out)."""

    def __init__(self, advisories: Sequence[PublishedAdvisory]) -> None:
        self._records = sorted((osv_record(a) for a in advisories), key=lambda r: str(r["id"]))

    def ecosystems(self) -> list[str]:
        return sorted({name for record in self._records for name in ecosystems_of(record)})

    def ecosystems_txt(self) -> str:
        return "".join(f"{name}\n" for name in self.ecosystems())

    def records(self, ecosystem: str | None = None) -> list[dict[str, Any]]:
        if ecosystem is None:
            return list(self._records)
        return [r for r in self._records if ecosystem in ecosystems_of(r)]

    def record(self, ecosystem: str, record_id: VulnID) -> dict[str, Any] | None:
        return next((r for r in self.records(ecosystem) if r["id"] == record_id), None)

    def all_zip(self, ecosystem: str | None = None) -> bytes:
        return _zip((f"{r['id']}.json", r) for r in self.records(ecosystem))

    def modified_id_csv(self, ecosystem: str) -> str:
        rows = sorted(((r["modified"], r["id"]) for r in self.records(ecosystem)), reverse=True)
        return "".join(f"{modified},{record_id}\n" for modified, record_id in rows)


def _zip(members: Iterable[tuple[str, dict[str, Any]]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, record in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, json.dumps(record, indent=2, sort_keys=True))
    return buffer.getvalue()
