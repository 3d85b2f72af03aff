"""Deduplication against the database: each report's lookup keys, the candidates that share one, and the
pure verdict (``dedupe.find_duplicate``) over them. Known advisories are asked by alias through the port."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.clearinghouse._base import Advisories, KnownAdvisory, participants, report_resource
from bastion.clearinghouse.dedupe import Location, Match, MatchKind, Subject, find_duplicate
from bastion.clearinghouse.models import ReportKeyRow, ReportRow
from bastion.clearinghouse.products import parse_cpe, parse_purl, product_tokens
from bastion.clearinghouse.public import DuplicateNotice
from bastion.clearinghouse.states import OPEN_FOR_DEDUPE, ReportStatus
from bastion.core.access import Action, decide
from bastion.core.ids import ReportID
from bastion.core.principal import Principal
from bastion.core.work import Work

MAX_CANDIDATES = 2000


def keys_for(subject: Subject) -> set[str]:
    keys = {f"a:{a}" for a in subject.aliases}
    keys |= {f"p:{t}" for t in subject.product_tokens}
    keys |= {f"t:{k}" for k in subject.text_keys}
    if subject.fingerprint:
        keys.add(f"f:{subject.fingerprint}")
    return {k[:300] for k in keys}


def save_keys(session: Session, report_id: ReportID, subject: Subject) -> None:
    existing = set(session.scalars(sa.select(ReportKeyRow.key).where(ReportKeyRow.report_id == report_id)))
    for key in sorted(keys_for(subject) - existing):
        session.add(ReportKeyRow(report_id=report_id, key=key))


def subject_of_row(row: ReportRow) -> Subject:
    purl = parse_purl(row.purl) if row.purl else None
    cpe = parse_cpe(row.cpe) if row.cpe else None
    declared = row.location or {}
    affected = row.affected or {}
    frames = tuple(row.crash_state) or tuple(declared.get("frames") or ())[:3]
    location = Location(
        file=None if frames else declared.get("file"),
        function=None if frames else declared.get("function"),
        frames=frames,
    )
    return Subject(
        key=row.id,
        text=f"{row.title}\n{row.description}",
        product=row.product_key,
        product_tokens=product_tokens(purl, cpe),
        cwe=row.cwe,
        location=location,
        aliases=frozenset(row.aliases),
        fixed=affected.get("fixed"),
        cvss=row.cvss_vector,
        introduced=affected.get("introduced"),
        last_affected=affected.get("last_affected"),
    )


def candidates(session: Session, subject: Subject) -> list[ReportRow]:
    """Earlier, still-open reports that share a lookup key with ``subject`` (most recent first, bounded)."""
    ids = (
        sa.select(ReportKeyRow.report_id)
        .where(ReportKeyRow.key.in_(sorted(keys_for(subject))), ReportKeyRow.report_id != subject.key)
        .distinct()
    )
    return list(
        session.scalars(
            sa.select(ReportRow)
            .where(ReportRow.id.in_(ids), ReportRow.status.in_(sorted(OPEN_FOR_DEDUPE)))
            .order_by(ReportRow.created_at.desc(), ReportRow.id)
            .limit(MAX_CANDIDATES)
        )
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    match: Match | None = None
    original: ReportRow | None = None
    advisory: KnownAdvisory | None = None

    @property
    def duplicate(self) -> bool:
        return self.match is not None or self.advisory is not None


def check(session: Session, subject: Subject, advisories: Advisories) -> Verdict:
    rows = candidates(session, subject)
    match = find_duplicate(subject, [subject_of_row(r) for r in rows])
    if match is not None:
        original = next(r for r in rows if r.id == match.key)
        return Verdict(match=match, original=original)
    if subject.aliases:
        known = advisories.find(sorted(subject.aliases))
        if known is not None:
            return Verdict(advisory=known)
    return Verdict()


def mark_duplicate(work: Work, actor: Principal | None, row: ReportRow, verdict: Verdict) -> DuplicateNotice:
    """Link ``row`` to what it repeats; the notice tells its reporter only what the reporter may know."""
    if verdict.advisory is not None:
        row.duplicate_advisory = verdict.advisory.id
        row.known_fixed_in = list(verdict.advisory.fixed_in)
        row.duplicate_reason = f"same id as published advisory {verdict.advisory.id}"
    else:
        assert verdict.match is not None and verdict.original is not None
        original = verdict.original
        row.duplicate_of = original.duplicate_of or original.id
        row.duplicate_advisory = original.duplicate_advisory
        row.known_fixed_in = list(original.known_fixed_in)
        row.duplicate_reason = f"{verdict.match.kind.value}: {verdict.match.why}"
    previous = row.status
    row.status = ReportStatus.DUPLICATE
    row.updated_at = work.now
    work.record(
        "report.duplicate",
        "ch_report",
        row.id,
        from_status=previous,
        duplicate_of=row.duplicate_of,
        advisory=row.duplicate_advisory,
        reason=row.duplicate_reason,
    )
    return notice_for(actor, row, work.session)


def notice_for(actor: Principal | None, row: ReportRow, session: Session) -> DuplicateNotice:
    kind_text = (row.duplicate_reason or "similar_text").split(":", 1)[0]
    kind = MatchKind(kind_text) if kind_text in MatchKind.__members__.values() else MatchKind.ALIAS
    if row.duplicate_of is None and row.duplicate_advisory:
        fixed = ", ".join(row.known_fixed_in) or "no fixed version recorded"
        return DuplicateNotice(
            kind=MatchKind.ALIAS,
            message=f"already known as {row.duplicate_advisory}: fixed in {fixed}",
            advisory_id=row.duplicate_advisory,
            fixed_in=list(row.known_fixed_in),
        )
    original = session.get(ReportRow, row.duplicate_of) if row.duplicate_of else None
    may_see = (
        actor is not None
        and original is not None
        and decide(actor, Action.READ, report_resource(original, participants(session, original.case_id))).allowed
    )
    if may_see and original is not None:
        fixed = f"; fixed in {', '.join(row.known_fixed_in)}" if row.known_fixed_in else ""
        return DuplicateNotice(
            kind=kind,
            message=f"duplicate of report {original.id} ({original.status}){fixed}",
            report_id=original.id,
            fixed_in=list(row.known_fixed_in),
        )
    return DuplicateNotice(
        kind=kind,
        message="already known: the clearinghouse is already coordinating this flaw",
    )
