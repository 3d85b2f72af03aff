"""What every clearinghouse service shares: its dependencies (ports to other slices), ids, the blob store, and
the access-policy descriptors built from its rows."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.clearinghouse.advisory import PublishedAdvisory
from bastion.clearinghouse.deadlines import CURRENT_EMBARGO_POLICY, CURRENT_SLA_POLICY, EmbargoPolicy, SlaPolicy
from bastion.clearinghouse.models import CaseRow, CaseVendorRow, ReportRow
from bastion.clearinghouse.states import ReportStatus
from bastion.core.access import Resource, ResourceKind, not_found
from bastion.core.clock import Clock
from bastion.core.ids import CaseID, FindingID, ReportID, VulnID
from bastion.core.principal import Classification, OrgID, Principal, UserID
from bastion.core.work import UnitOfWork
from bastion.db import Database
from bastion.jobs.database import DatabaseJobQueue

VALIDATE_JOB = "clearinghouse.validate"
MiB = 1024 * 1024


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-reporter rate limits and quotas (a reporter's profile may raise them), and size limits."""

    per_minute: int = 10
    per_day: int = 200
    ai_per_minute: int = 120
    ai_per_day: int = 5000
    max_reproducer_bytes: int = 5 * MiB
    max_target_bytes: int = 50 * MiB
    max_patch_bytes: int = 1 * MiB
    max_upload_bytes: int = 20 * MiB  # a SARIF or OSV upload


@dataclass(frozen=True, slots=True)
class KnownAdvisory:
    """A published advisory the advisories slice knows under one of a report's ids."""

    id: VulnID
    aliases: tuple[str, ...]
    fixed_in: tuple[str, ...]
    summary: str | None


class Advisories(Protocol):
    """The port to the vulnerability database (the advisories slice implements it)."""

    def find(self, ids: Sequence[str]) -> KnownAdvisory | None: ...
    def known_exploited(self, ids: Sequence[str]) -> bool: ...
    def store(self, session: Session, document: dict[str, Any], *, origin: str) -> None:
        """Put one OSV record into ``advisories`` in the caller's transaction (queryable once it commits)."""
        ...


@dataclass(frozen=True, slots=True)
class FlaggedFinding:
    id: FindingID
    title: str
    description: str
    classification: Classification
    for_clearinghouse: bool
    status: str
    created_by: str


class Findings(Protocol):
    """The port to the review slice: a finding, as the acting principal may see it (its own access rules)."""

    def flagged_finding(self, actor: Principal, finding_id: FindingID) -> FlaggedFinding: ...


class Directory(Protocol):
    def get_principal(self, user_id: UserID) -> Principal: ...


OsvConverter = Callable[[PublishedAdvisory], dict[str, Any]]


class BlobStore:
    """Uploaded files, content-addressed (``blobs/ab/abcdef...``): writing twice is harmless, and a rolled-back
    submission leaves at most an unreferenced file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{secrets.token_hex(4)}.part")
            partial.write_bytes(data)
            partial.replace(path)
        return digest

    def get(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def path(self, digest: str) -> Path:
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise ValueError(f"not a SHA-256 digest: {digest!r}")
        return self.root / digest[:2] / digest


@dataclass(frozen=True)
class ClearinghouseContext:
    database: Database
    clock: Clock
    uow: UnitOfWork
    data_dir: Path
    jobs: DatabaseJobQueue
    directory: Directory
    advisories: Advisories
    findings: Findings | None = None
    osv_record: OsvConverter | None = None
    limits: Limits = field(default_factory=Limits)
    embargo: EmbargoPolicy = CURRENT_EMBARGO_POLICY
    sla: SlaPolicy = CURRENT_SLA_POLICY
    package_index: str | None = None  # where purl targets are fetched from (None: this clearinghouse has no network)

    @property
    def blobs(self) -> BlobStore:
        return BlobStore(self.data_dir / "clearinghouse" / "blobs")


# --- the access policy's descriptors ----------------------------------------------------------------------


def participants(session: Session, case_id: CaseID | None) -> frozenset[OrgID]:
    if case_id is None:
        return frozenset()
    rows = session.scalars(sa.select(CaseVendorRow.org_id).where(CaseVendorRow.case_id == case_id))
    return frozenset(OrgID(r) for r in rows)


def report_resource(report: ReportRow, orgs: frozenset[OrgID] = frozenset()) -> Resource:
    """A report: its reporter, the vendors of its case, its marking; withheld while an AI tool's report waits
    for its sandbox validation."""
    waiting = report.status in (ReportStatus.RECEIVED, ReportStatus.VALIDATING)
    return Resource(
        kind=ResourceKind.CH_REPORT,
        classification=Classification(report.classification),
        subject_user_id=UserID(report.reporter_user_id),
        participant_orgs=orgs,
        withheld=report.reporter_kind == "ai_tool" and waiting,
    )


def case_resource(case: CaseRow, report: ReportRow, orgs: frozenset[OrgID]) -> Resource:
    return Resource(
        kind=ResourceKind.CH_CASE,
        classification=Classification(case.classification),
        subject_user_id=UserID(report.reporter_user_id),
        participant_orgs=orgs,
    )


def vendor_status_resource(case: CaseRow, report: ReportRow, orgs: frozenset[OrgID], vendor_org: str) -> Resource:
    return Resource(
        kind=ResourceKind.CH_VENDOR_STATUS,
        classification=Classification(case.classification),
        subject_user_id=UserID(report.reporter_user_id),
        participant_orgs=orgs,
        owner_org_id=OrgID(vendor_org),
    )


OPERATIONS = Resource(kind=ResourceKind.CH_OPERATIONS)


def load_report(session: Session, report_id: ReportID, *, lock: bool = False) -> ReportRow:
    row = session.get(ReportRow, report_id, with_for_update=lock and session.bind is not None and _pg(session))
    if row is None:
        raise not_found(f"report {report_id}")
    return row


def load_case(session: Session, case_id: CaseID, *, lock: bool = False) -> tuple[CaseRow, ReportRow]:
    case = session.get(CaseRow, case_id, with_for_update=lock and _pg(session))
    if case is None:
        raise not_found(f"case {case_id}")
    report = session.get(ReportRow, case.report_id)
    assert report is not None  # foreign key
    return case, report


def _pg(session: Session) -> bool:
    bind = session.get_bind()
    return bind.dialect.name == "postgresql"
