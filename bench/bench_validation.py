"""Validation throughput: reports per minute validated in the sandbox on this machine (not a test).

Run (as root, for bubblewrap): .venv/bin/python bench/bench_validation.py [N]

N reports (default 20) of the test suite's ``recparse`` flaw (each under a product name of its own, so that
deduplication does not fold them into one), each with its own reproducer, target and declared
fixed version, are submitted through the intake service into a fresh SQLite database; then one in-process
worker validates them all (two sandbox runs each: the vulnerable target, where the signal must come, and the
fixed version, where it must not). Throughput counts from the first job to the last.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bastion.clearinghouse.schemas import ReportSubmission
from bastion.container import Container
from bastion.core.config import Settings
from bastion.core.principal import Classification, OrgKind, Role
from bastion.runtime import Runtime

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.integration.clearinghouse.support import recparse_report  # the test suite's target (after the path)

VECTORS = [f"CVSS:3.1/AV:{av}/AC:{ac}/PR:{pr}/UI:N/S:U/C:H/I:H/A:H" for av in "NALP" for ac in "LH" for pr in "NLH"]


def main() -> None:
    count = min(int(sys.argv[1]) if len(sys.argv) > 1 else 20, len(VECTORS))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = Settings(data_dir=root / "data", secret_key="bench")
        runtime = Runtime.from_settings(settings)
        runtime.migrate()
        container = Container(runtime)
        identity = container.identity
        org = identity.create_organisation_unchecked(name="Bench Research", kind=OrgKind.RESEARCHER)
        user = identity.create_user_unchecked(
            org_id=org.id,
            email="bench@example.org",
            display_name="bench",
            roles=[Role.REPORTER],
            clearance=Classification.UNCLASSIFIED,
        )
        reporter = identity.get_principal(user.id)
        ch = container.clearinghouse
        ch.reporters  # noqa: B018 - built before timing
        from bastion.clearinghouse.models import ReporterRow

        with runtime.database.session() as session:
            session.add(
                ReporterRow(
                    user_id=user.id,
                    kind="person",
                    per_minute=10_000,
                    per_day=10_000,
                    created_at=runtime.clock.now(),
                    updated_at=runtime.clock.now(),
                )
            )
        for index in range(count):
            # a product and a CVSS vector of its own per report, so deduplication leaves each one to validate
            draft = recparse_report(root / f"r{index}", purl=f"pkg:pypi/benchparse{index}", cvss_vector=VECTORS[index])
            ch.intake.submit(reporter, ReportSubmission.model_validate({"client_key": f"k{index}", "report": draft}))
        start = time.perf_counter()
        jobs = ch.worker().run_until_idle()
        elapsed = time.perf_counter() - start
        validated = sum(1 for j in jobs if (j.result or {}).get("outcome") == "validated")
        print(f"reports: {count}; validated: {validated}; jobs: {len(jobs)}")
        print(f"time: {elapsed:.1f} s; throughput: {count / elapsed * 60:.1f} reports/minute (one worker)")


if __name__ == "__main__":
    main()
