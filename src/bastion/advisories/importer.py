"""Import advisories into the database: idempotent, batch-atomic, and tolerant of bad records.

Each batch of records is one transaction, and all rows of one record (advisory, aliases, affected packages,
commits) go in the same batch, so a killed import leaves each record wholly old or wholly new. A record that
fails to parse or validate is reported with its source, file, id and reason, and the import goes on.
A record already present is updated only when its ``modified`` time is newer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.advisories import kev
from bastion.advisories.changes import AdvisoryChanges, PackageKey
from bastion.advisories.errors import InvalidSource
from bastion.advisories.matching import stored_listed_order
from bastion.advisories.models import Advisory, AdvisoryAlias, AdvisoryGeneration, AffectedCommit, AffectedPackage
from bastion.advisories.parse import ParsedRecord, RecordRejected, parse_raw
from bastion.advisories.report import ImportProblem, ImportReport
from bastion.advisories.sources import RawFile, check_source, is_kev_catalogue, read_source
from bastion.core.clock import Clock
from bastion.db import Database

BATCH_SIZE = 500


Progress = Callable[[int], None]


def _batches(items: Iterable[RawFile], size: int) -> Iterator[list[RawFile]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class AdvisoryImporter:
    """``changes``: told, in the importing transaction, which packages' advisories moved (``defense``)."""

    def __init__(self, database: Database, clock: Clock, *, changes: AdvisoryChanges | None = None) -> None:
        self._database = database
        self._clock = clock
        self._changes = changes

    def import_sources(self, sources: Iterable[str], *, progress: Progress | None = None) -> ImportReport:
        """Import every source in turn. A local source that does not exist fails the call before anything is
        imported, so a typo in the second path does not leave the first imported alone."""
        chosen = list(sources)
        for source in chosen:
            check_source(source)
        report = ImportReport()
        for source in chosen:
            self._import_source(source, report, progress)
        return report

    def _import_source(self, source: str, report: ImportReport, progress: Progress | None) -> None:
        records: list[RawFile] = []
        for raw in read_source(source):
            if raw.format == "json" and is_kev_catalogue(raw.data):
                kev.import_catalogue(self._database, raw, report, changes=self._changes)
                continue
            records.append(raw)
            if len(records) >= BATCH_SIZE:
                self._import_batch(records, report)
                if progress:
                    progress(len(records))
                records = []
        if records:
            self._import_batch(records, report)
            if progress:
                progress(len(records))

    def _import_batch(self, raws: list[RawFile], report: ImportReport) -> None:
        parsed: dict[str, ParsedRecord] = {}
        for raw in raws:
            try:
                record = parse_raw(raw)
            except RecordRejected as e:
                report.failed += 1
                report.failures.append(ImportProblem(raw.source, raw.path, e.record_id, e.reason))
                continue
            report.warnings.extend(ImportProblem(raw.source, raw.path, record.id, w) for w in record.warnings)
            previous = parsed.get(record.id)
            if previous is not None:
                report.unchanged += 1  # the same id twice in one import: keep the newer copy
                if previous.modified >= record.modified:
                    continue
            parsed[record.id] = record
        if not parsed:
            return
        with self._database.session() as session:
            self._write(session, parsed, report)

    def import_record_in(self, session: Session, document: dict[str, Any], *, origin: str) -> None:
        """Put one OSV record into the database in the caller's transaction (a publication: the record is
        queryable exactly when the caller's change commits). A record that does not validate is refused."""
        raw = RawFile(origin, f"{document.get('id', 'record')}.json", json.dumps(document).encode())
        try:
            record = parse_raw(raw)
        except RecordRejected as e:
            raise InvalidSource(f"the OSV record {e.record_id or ''} does not validate: {e.reason}") from e
        self._write(session, {record.id: record}, ImportReport())

    def _write(self, session: Session, parsed: dict[str, ParsedRecord], report: ImportReport) -> None:
        existing = dict(
            session.execute(sa.select(Advisory.id, Advisory.modified).where(Advisory.id.in_(list(parsed)))).all()
        )
        fresh = [r for r in parsed.values() if r.id not in existing]
        changed = [r for r in parsed.values() if r.id in existing and r.modified > existing[r.id]]
        report.unchanged += len(parsed) - len(fresh) - len(changed)
        touched: set[PackageKey] = {(a.ecosystem, a.name) for r in (*fresh, *changed) for a in r.affected}
        if changed:
            ids = [r.id for r in changed]
            if self._changes is not None:  # a modified record may no longer name a package it named
                touched.update(
                    session.execute(
                        sa.select(AffectedPackage.ecosystem, AffectedPackage.name).where(
                            AffectedPackage.advisory_id.in_(ids)
                        )
                    )
                )
            session.execute(sa.delete(AdvisoryAlias).where(AdvisoryAlias.advisory_id.in_(ids)))
            session.execute(sa.delete(AffectedPackage).where(AffectedPackage.advisory_id.in_(ids)))
            session.execute(sa.delete(AffectedCommit).where(AffectedCommit.advisory_id.in_(ids)))
            session.execute(sa.delete(Advisory).where(Advisory.id.in_(ids)))
        self._insert(session, [*fresh, *changed])
        if fresh or changed:  # tells every process's query caches that the data moved
            session.execute(sa.update(AdvisoryGeneration).values(value=AdvisoryGeneration.value + 1))
            if self._changes is not None:
                self._changes.advisories_changed(session, touched)
        report.imported += len(fresh)
        report.updated += len(changed)

    def _insert(self, session: Session, records: list[ParsedRecord]) -> None:
        if not records:
            return
        now = self._clock.now()
        session.execute(
            sa.insert(Advisory),
            [
                {
                    "id": r.id,
                    "modified": r.modified,
                    "published": r.published,
                    "withdrawn": r.withdrawn,
                    "summary": r.summary,
                    "source": r.origin,
                    "raw": r.raw,
                    "raw_format": r.raw_format,
                    "raw_sha256": r.raw_sha256,
                    "document": r.document,
                    "imported_at": now,
                }
                for r in records
            ],
        )
        aliases = [{"advisory_id": r.id, "alias": a} for r in records for a in r.aliases]
        if aliases:
            session.execute(sa.insert(AdvisoryAlias), aliases)
        affected = [
            {
                "advisory_id": r.id,
                "ecosystem": a.ecosystem,
                "ecosystem_release": a.ecosystem_release,
                "name": a.name,
                "entry": a.entry,
                "listed_order": stored_listed_order(a.ecosystem, a.entry),
            }
            for r in records
            for a in r.affected
        ]
        if affected:
            session.execute(sa.insert(AffectedPackage), affected)
        commits = [
            {"advisory_id": r.id, "commit": commit, "affected_index": index}
            for r in records
            for commit, index in r.commits
        ]
        if commits:
            session.execute(sa.insert(AffectedCommit), commits)
