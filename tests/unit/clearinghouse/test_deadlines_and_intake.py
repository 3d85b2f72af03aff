"""Embargo and SLA arithmetic by moving the clock; SARIF (from a real bandit run) and OSV records as reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bastion.clearinghouse.deadlines import (
    CURRENT_EMBARGO_POLICY,
    CaseClock,
    EventKind,
    check_disclosure,
    disclosure_date,
    due_events,
    sla_due,
)
from bastion.clearinghouse.errors import InvalidReport
from bastion.clearinghouse.osv_intake import draft_from_osv
from bastion.clearinghouse.sarif import Level, SarifProduct, drafts_from_sarif
from bastion.clearinghouse.scoring import Severity
from bastion.clearinghouse.states import EmbargoStatus
from tests.integration.clearinghouse.support import run_bandit

OPENED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def clock(**kw: object) -> CaseClock:
    base: dict[str, object] = {
        "opened_at": OPENED,
        "severity": Severity.CRITICAL,
        "fixed_at": None,
        "embargo": EmbargoStatus.ACTIVE,
        "disclosure_at": OPENED + timedelta(days=90),
        "published_at": None,
    }
    return CaseClock(**(base | kw))  # type: ignore[arg-type]


def test_the_embargo_is_90_days_and_7_when_exploited() -> None:
    assert disclosure_date(OPENED, exploited=False, policy=CURRENT_EMBARGO_POLICY) == OPENED + timedelta(days=90)
    assert disclosure_date(OPENED, exploited=True, policy=CURRENT_EMBARGO_POLICY) == OPENED + timedelta(days=7)


def test_a_proposed_date_must_be_ahead_and_within_the_cap() -> None:
    now = OPENED + timedelta(days=10)
    check_disclosure(OPENED, OPENED + timedelta(days=120), now, CURRENT_EMBARGO_POLICY)
    with pytest.raises(InvalidReport, match="future"):
        check_disclosure(OPENED, now - timedelta(seconds=1), now, CURRENT_EMBARGO_POLICY)
    with pytest.raises(InvalidReport, match="180 days"):
        check_disclosure(OPENED, OPENED + timedelta(days=181), now, CURRENT_EMBARGO_POLICY)


@pytest.mark.parametrize(
    ("severity", "days"), [(Severity.CRITICAL, 7), (Severity.HIGH, 30), (Severity.MEDIUM, 90), (Severity.LOW, 120)]
)
def test_sla_by_severity(severity: Severity, days: int) -> None:
    assert sla_due(OPENED, severity) == OPENED + timedelta(days=days)


def test_moving_the_clock_brings_reminders_then_the_escalation_then_the_embargo_end() -> None:
    kinds = lambda at: [(e.kind, e.label.rsplit(":", 1)[-1]) for e in due_events(clock(), at)]  # noqa: E731
    assert kinds(OPENED) == []
    assert kinds(OPENED + timedelta(days=3, hours=12)) == [(EventKind.SLA_REMINDER, "half")]
    assert kinds(OPENED + timedelta(days=6)) == [(EventKind.SLA_REMINDER, "half"), (EventKind.SLA_REMINDER, "1d")]
    assert (EventKind.SLA_ESCALATION, "overdue") in kinds(OPENED + timedelta(days=7))
    late = kinds(OPENED + timedelta(days=89))
    assert (EventKind.EMBARGO_REMINDER, "7d") in late and (EventKind.EMBARGO_REMINDER, "1d") in late
    assert (EventKind.EMBARGO_ENDS, "ends") not in late
    assert (EventKind.EMBARGO_ENDS, "ends") in kinds(OPENED + timedelta(days=90))


def test_a_verified_fix_stops_the_sla_clock_and_publication_stops_the_embargo_clock() -> None:
    later = OPENED + timedelta(days=100)
    fixed = due_events(clock(fixed_at=OPENED + timedelta(days=2)), later)
    assert {e.kind for e in fixed} == {EventKind.EMBARGO_REMINDER, EventKind.EMBARGO_ENDS}
    assert due_events(clock(fixed_at=OPENED, published_at=OPENED + timedelta(days=3)), later) == []


# --- SARIF from a real scanner ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bandit_sarif(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return run_bandit(tmp_path_factory.mktemp("scanned"))


def test_one_sarif_log_makes_a_report_per_result(bandit_sarif: dict[str, object]) -> None:
    product = SarifProduct(purl="pkg:pypi/scanned-app")
    everything = drafts_from_sarif(bandit_sarif, product, min_level=Level.NOTE)
    by_cwe = {d.cwe for _, d in everything}
    assert {"CWE-78", "CWE-502", "CWE-327"} <= by_cwe
    shell = next(d for _, d in everything if d.cwe == "CWE-78")
    assert shell.location is not None and shell.location.file.endswith("app.py")
    assert "Bandit" in shell.description and shell.purl == "pkg:pypi/scanned-app"
    warnings = drafts_from_sarif(bandit_sarif, product, min_level=Level.WARNING)
    assert 0 < len(warnings) < len(everything)  # notes (imports of pickle, subprocess) are left out


def test_not_sarif_is_refused_with_the_reason() -> None:
    with pytest.raises(InvalidReport, match="runs"):
        drafts_from_sarif({"version": "2.1.0"}, SarifProduct(purl="pkg:pypi/x"))
    with pytest.raises(InvalidReport, match=r"2\.1\.0"):
        drafts_from_sarif({"version": "1.0.0", "runs": [{"tool": {}}]}, SarifProduct(purl="pkg:pypi/x"))


def test_an_osv_record_becomes_a_report_with_its_ids_as_aliases() -> None:
    record = {
        "id": "PYSEC-2099-1",
        "aliases": ["CVE-2099-0001"],
        "summary": "Template injection in widget",
        "details": "widget renders user input as a template.",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "widget"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}],  # noqa: E501
        "database_specific": {"cwe_ids": ["CWE-1336"]},
    }  # fmt: skip
    draft = draft_from_osv(record)
    assert (draft.purl, draft.affected.fixed, draft.cwe) == ("pkg:pypi/widget", "2.0", "CWE-1336")
    assert draft.aliases == ["CVE-2099-0001", "PYSEC-2099-1"]
    assert draft_from_osv(record, keep_ids=False).aliases == []
    with pytest.raises(InvalidReport, match="no affected package"):
        draft_from_osv({"id": "X-1", "details": "nothing"})
