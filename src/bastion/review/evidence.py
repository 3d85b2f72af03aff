"""Evidence: files, evaluation logs and evaluation summaries attached to a review (optionally to a finding).

Stored under ``data_dir/evidence/<review id>/<evidence id>`` (never under the uploaded name), with its
SHA-256, size and declared content type; re-hashed on every download so a file altered on disk is refused.
The file is moved into place only after its row is written, and removed again if the transaction fails:
nothing is half-written.

Evidence about a finding is marked at least at the finding's level (a lower marking is refused), and is read
at the finding's level should the finding be marked up later. A reader is shown the id of the finding only if
the reader may see that finding.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.core.access import Action, ResourceKind, not_found, visible
from bastion.core.errors import OperationalError, PayloadTooLarge
from bastion.core.files import private_dir, write_atomic
from bastion.core.ids import EvidenceID, FindingID, ReviewID
from bastion.core.principal import Classification, Principal
from bastion.review._base import ReviewContext, Scope, new_id, require, scope_of_review
from bastion.review.errors import ReviewInputError, invalid
from bastion.review.findings import finding_resource
from bastion.review.models import EvidenceRow, FindingRow
from bastion.review.reviews import require_open
from bastion.review.schemas import EvidenceListPublic, EvidencePublic
from bastion.review.scores import effective_marking, evidence_resource

ALLOWED_CONTENT_TYPES = frozenset(
    {
        "application/gzip",
        "application/json",
        "application/octet-stream",
        "application/pdf",
        "application/x-ndjson",
        "application/zip",
        "image/jpeg",
        "image/png",
        "text/csv",
        "text/markdown",
        "text/plain",
    }
)


@dataclass(frozen=True)
class StagedFile:
    """An upload already streamed to a locked ``.part`` file beside the evidence store (same file system),
    with its size and SHA-256 taken as it was written. ``upload`` moves it into place."""

    path: Path
    size: int
    sha256: str


def evidence_public(actor: Principal, scope: Scope, row: EvidenceRow, finding: FindingRow | None) -> EvidencePublic:
    """The evidence as ``actor`` may see it (its finding's id only if the finding is visible to them)."""
    finding_shown = finding is not None and visible(actor, finding_resource(scope, finding))
    level = effective_marking(row, None if finding is None else finding.classification)
    return EvidencePublic.model_validate(
        {
            "id": row.id,
            "review_id": row.review_id,
            "finding_id": row.finding_id if finding_shown else None,
            "kind": row.kind,
            "filename": row.filename,
            "content_type": row.content_type,
            "size": row.size,
            "sha256": row.sha256,
            "classification": level,
            "summary": row.summary,
            "uploaded_by": row.uploaded_by,
            "created_at": row.created_at,
        }
    )


def _clean_filename(filename: str) -> str:
    name = PurePosixPath(filename.replace("\\", "/")).name.strip()
    if not name or name in (".", "..") or len(name) > 255 or any(ord(c) < 32 for c in name):
        raise invalid("the evidence file needs a plain file name of at most 255 characters", filename=filename)
    return name


def _scores(value: Any, what: str) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise invalid(f"{what} must be an object of task -> number")
    out: dict[str, float] = {}
    for task, score in value.items():
        if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
            raise invalid(f"{what}[{task!r}] must be a finite number", task=str(task))
        out[str(task)] = float(score)
    return out


class EvidenceService:
    def __init__(self, ctx: ReviewContext) -> None:
        self._ctx = ctx

    @property
    def max_bytes(self) -> int:
        return self._ctx.max_evidence_bytes

    @property
    def staging_dir(self) -> Path:
        """Where uploads are streamed (as locked ``.part`` files) before ``upload`` moves them into place."""
        return self._ctx.data_dir / "evidence" / ".incoming"

    def upload(
        self,
        actor: Principal,
        review_id: ReviewID,
        *,
        filename: str,
        content_type: str,
        data: bytes | StagedFile,
        classification: Classification,
        finding_id: FindingID | None = None,
    ) -> EvidencePublic:
        content_type = content_type.split(";", maxsplit=1)[0].strip().lower()
        if content_type not in ALLOWED_CONTENT_TYPES:
            raise invalid(
                f"content type {content_type!r} is not accepted for evidence",
                hint=f"use one of: {', '.join(sorted(ALLOWED_CONTENT_TYPES))}",
            )
        self._check_size(data.size if isinstance(data, StagedFile) else len(data), "evidence file")
        name = _clean_filename(filename)
        with self._stored(actor, "evidence.create", review_id) as (session, scope, placed):
            finding = self._check_finding(session, actor, scope, finding_id, classification)
            row = self._write(
                session,
                scope,
                placed,
                actor,
                kind="file",
                name=name,
                content_type=content_type,
                data=data,
                classification=classification,
                finding_id=finding_id,
            )
            self._ctx.record(
                session,
                actor,
                "evidence.create",
                "evidence",
                row.id,
                review_id=review_id,
                sha256=row.sha256,
                size=row.size,
            )
            return evidence_public(actor, scope, row, finding)

    def attach_eval_results(
        self,
        actor: Principal,
        review_id: ReviewID,
        summary: Mapping[str, Any],
        log_paths: Sequence[Path] = (),
        *,
        classification: Classification = Classification.CUI,
    ) -> list[EvidencePublic]:
        """The seam for the evaluation battery: store a run summary (and its Inspect logs, read from local
        paths by the trusted caller) as evidence. Its ``scores`` (task -> number) and ``reference_scores``
        (task -> model -> number) stay in it, under its marking: the selection engine reads them from there on
        the server, and each reader sees those it may read (``scores.py``); they are checked here."""
        scores = _scores(summary.get("scores", {}), "summary.scores")
        references_raw = summary.get("reference_scores", {})
        if not isinstance(references_raw, Mapping):
            raise invalid("summary.reference_scores must be an object of task -> model -> number")
        references = {str(t): _scores(v, f"summary.reference_scores[{t!r}]") for t, v in references_raw.items()}
        try:
            summary_bytes = json.dumps(dict(summary), sort_keys=True, indent=2).encode("utf-8")
        except (TypeError, ValueError) as e:
            raise invalid(f"the summary must be JSON data: {e}") from e
        self._check_size(len(summary_bytes), "evaluation summary")
        logs: list[tuple[str, bytes]] = []
        for path in log_paths:
            try:
                logs.append((_clean_filename(path.name), path.read_bytes()))
            except OSError as e:
                raise invalid(f"cannot read evaluation log {path}: {e.strerror}") from e
        with self._stored(actor, "evidence.eval_results", review_id) as (session, scope, placed):
            rows = [
                self._write(
                    session,
                    scope,
                    placed,
                    actor,
                    kind="eval_summary",
                    name="eval-summary.json",
                    content_type="application/json",
                    data=summary_bytes,
                    classification=classification,
                    summary=dict(summary),
                )
            ]
            rows += [
                self._write(
                    session,
                    scope,
                    placed,
                    actor,
                    kind="eval_log",
                    name=name,
                    # Inspect writes ``.eval`` logs as zip archives, ``.json`` logs as JSON
                    content_type="application/zip" if name.endswith(".eval") else "application/json",
                    data=data,
                    classification=classification,
                )
                for name, data in logs
            ]
            self._ctx.record(
                session,
                actor,
                "evidence.eval_results",
                "review",
                review_id,
                evidence_ids=[r.id for r in rows],
                tasks=sorted(scores),
                reference_tasks=sorted(references),
            )
            return [evidence_public(actor, scope, r, None) for r in rows]

    def _check_size(self, size: int, what: str) -> None:
        limit = self._ctx.max_evidence_bytes
        if size > limit:
            raise PayloadTooLarge(
                f"the {what} is larger than the evidence limit of {limit} bytes",
                hint="compress it or split it (the limit is BASTION_MAX_EVIDENCE_BYTES)",
                details={"limit_bytes": limit, "size": size},
            )

    def list_for_review(self, actor: Principal, review_id: ReviewID) -> EvidenceListPublic:
        with self._ctx.unit(actor, "evidence.list", "review", review_id) as session:
            scope = scope_of_review(session, review_id)
            require(actor, Action.READ, scope.resource(ResourceKind.REVIEW), what=f"review {review_id}")
            rows = session.execute(
                sa.select(EvidenceRow, FindingRow)
                .outerjoin(FindingRow, FindingRow.id == EvidenceRow.finding_id)
                .where(EvidenceRow.review_id == review_id)
                .order_by(EvidenceRow.created_at, EvidenceRow.id)
            ).all()
            data = [
                evidence_public(actor, scope, evidence, finding)
                for evidence, finding in rows
                if visible(
                    actor, evidence_resource(scope, evidence, None if finding is None else finding.classification)
                )
            ]
            self._ctx.record(session, actor, "evidence.list", "review", review_id, count=len(data))
            return EvidenceListPublic(data=data, count=len(data))

    def get(self, actor: Principal, evidence_id: EvidenceID) -> EvidencePublic:
        with self._ctx.unit(actor, "evidence.read", "evidence", evidence_id) as session:
            _, shown = self._load(session, actor, evidence_id)
            self._ctx.record(session, actor, "evidence.read", "evidence", evidence_id)
            return shown

    def content(self, actor: Principal, evidence_id: EvidenceID) -> tuple[EvidencePublic, bytes]:
        with self._ctx.unit(actor, "evidence.download", "evidence", evidence_id) as session:
            row, shown = self._load(session, actor, evidence_id)
            try:
                data = (self._ctx.data_dir / row.storage_path).read_bytes()
            except OSError as e:
                raise OperationalError(f"evidence {evidence_id} is missing from storage") from e
            if hashlib.sha256(data).hexdigest() != row.sha256:
                raise OperationalError(
                    f"evidence {evidence_id} does not match its recorded SHA-256; it was altered on disk",
                    code="evidence_integrity",
                )
            self._ctx.record(session, actor, "evidence.download", "evidence", evidence_id, sha256=row.sha256)
            return shown, data

    def _load(self, session: Session, actor: Principal, evidence_id: EvidenceID) -> tuple[EvidenceRow, EvidencePublic]:
        row = session.get(EvidenceRow, evidence_id)
        if row is None:
            raise not_found(f"evidence {evidence_id}")
        scope = scope_of_review(session, row.review_id)
        finding = session.get(FindingRow, row.finding_id) if row.finding_id else None
        resource = evidence_resource(scope, row, None if finding is None else finding.classification)
        require(actor, Action.READ, resource, what=f"evidence {evidence_id}")
        return row, evidence_public(actor, scope, row, finding)

    @staticmethod
    def _check_finding(
        session: Session, actor: Principal, scope: Scope, finding_id: FindingID | None, classification: Classification
    ) -> FindingRow | None:
        """The finding must be in this review and visible to the uploader: one answer for a missing, foreign
        or concealed finding, so an upload cannot probe for findings above the uploader's clearance. Evidence
        about a finding is marked at least at the finding's level."""
        if finding_id is None:
            return None
        assert scope.review is not None
        review_id = scope.review.id
        finding = session.get(FindingRow, finding_id)
        if finding is None or finding.review_id != review_id or not visible(actor, finding_resource(scope, finding)):
            raise invalid(f"finding {finding_id} is not part of review {review_id}", finding_id=finding_id)
        floor = Classification(finding.classification)
        if classification < floor:
            raise ReviewInputError(
                f"evidence about finding {finding_id} must be marked at least {floor.banner}, the finding's "
                f"marking (it was marked {classification.banner})",
                code="marking_below_finding",
                hint=f"mark the evidence {floor.name} or higher",
                details={"finding_id": finding_id, "minimum": floor.name},
            )
        return finding

    @contextmanager
    def _stored(
        self, actor: Principal, action: str, review_id: ReviewID
    ) -> Iterator[tuple[Session, Scope, list[Path]]]:
        """A unit of work that writes files; files placed by a failed transaction are removed again."""
        placed: list[Path] = []
        try:
            with self._ctx.unit(actor, action, "review", review_id) as session:
                scope = scope_of_review(session, review_id)
                require(actor, Action.READ, scope.resource(ResourceKind.REVIEW), what=f"review {review_id}")
                assert scope.review is not None
                require_open(scope.review, scope.submission, self._ctx.clock.now())
                yield session, scope, placed
                session.flush()
        except BaseException:
            for path in placed:
                with contextlib.suppress(OSError):
                    path.unlink()
            raise

    def _write(
        self,
        session: Session,
        scope: Scope,
        placed: list[Path],
        actor: Principal,
        *,
        kind: str,
        name: str,
        content_type: str,
        data: bytes | StagedFile,
        classification: Classification,
        finding_id: FindingID | None = None,
        summary: dict[str, Any] | None = None,
    ) -> EvidenceRow:
        assert scope.review is not None
        resource = scope.resource(ResourceKind.EVIDENCE, classification=classification)
        require(actor, Action.CREATE, resource, what=f"review {scope.review.id}")
        evidence_id = new_id("evd")
        relative = Path("evidence") / scope.review.id / evidence_id
        target = private_dir(self._ctx.data_dir / relative.parent) / evidence_id
        if isinstance(data, StagedFile):
            data.path.replace(target)
            size, sha256 = data.size, data.sha256
        else:
            write_atomic(target, data)
            size, sha256 = len(data), hashlib.sha256(data).hexdigest()
        placed.append(target)
        row = EvidenceRow(
            id=evidence_id,
            review_id=scope.review.id,
            finding_id=finding_id,
            kind=kind,
            filename=name,
            content_type=content_type,
            size=size,
            sha256=sha256,
            storage_path=relative.as_posix(),
            classification=int(classification),
            summary=summary,
            uploaded_by=actor.user_id,
            created_at=self._ctx.clock.now(),
        )
        session.add(row)
        return row
