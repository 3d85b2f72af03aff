"""Precision and recall of the clearinghouse's duplicate detection on real data (not a test).

Run: .venv/bin/python bench/bench_dedupe.py [path/to/shared/data]

The same vulnerabilities are published by several sources in ``../shared/data/osv``: Bitnami, PyPA and RustSec
share CVEs (and PyPA itself files tensorflow, tensorflow-cpu and tensorflow-gpu separately). Every record of
the three is turned into a report by the clearinghouse's own OSV intake with its id, aliases and references
stripped (and the ids scrubbed from its text), then the reports are submitted one after another in a shuffled
order (fixed seed). A report is a true duplicate when an earlier report's original record shares an id or
alias with its own. For each report the detector names an earlier one or none:

- precision: of the reports it called duplicates, how many matched a report of the same vulnerability;
- recall: of the reports that had an earlier report of the same vulnerability, how many it found.

The pure detector runs over the whole corpus; the service runs the very same function over the candidates it
reads by the same keys (``duplicates.py``).
"""

from __future__ import annotations

import json
import random
import sys
import time
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bastion.clearinghouse.dedupe import Subject, find_duplicate
from bastion.clearinghouse.errors import InvalidReport
from bastion.clearinghouse.osv_intake import draft_from_osv
from bastion.clearinghouse.schemas import ReportDraft
from bastion.clearinghouse.subjects import subject_of

DATA = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data"
SOURCES = {
    "bitnami": "bitnami-vulndb.zip",
    "pypa": "pypa-advisory-database.zip",
    "rustsec": "rustsec-advisory-db-osv.zip",
}
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Case:
    source: str
    ids: frozenset[str]  # the original id and aliases: the ground truth
    draft: ReportDraft


def records() -> list[Case]:
    cases = []
    for source, file in SOURCES.items():
        with zipfile.ZipFile(DATA / "osv" / file) as zf:
            for name in sorted(zf.namelist()):
                if name.endswith(".json"):
                    record: Any = json.loads(zf.read(name))
                elif name.endswith((".yaml", ".yml")):
                    record = yaml.load(zf.read(name), Loader=Loader)
                else:
                    continue
                if not isinstance(record, dict) or record.get("withdrawn"):
                    continue
                try:
                    draft = draft_from_osv(record, keep_ids=False)
                except InvalidReport:
                    continue  # no affected package (e.g. GIT-only records)
                ids = frozenset([record["id"], *(record.get("aliases") or [])])
                cases.append(Case(source, ids, draft))
    return cases


def main() -> None:
    cases = records()
    random.Random(20261127).shuffle(cases)
    by_token: dict[str, list[int]] = defaultdict(list)
    by_id: dict[str, list[int]] = defaultdict(list)
    subjects: list[Subject] = []
    tp = fp = fn = positives = cross_positives = cross_tp = 0
    start = time.perf_counter()
    for index, case in enumerate(cases):
        subject = subject_of(str(index), case.draft)
        earlier = {j for i in case.ids for j in by_id.get(i, [])}
        keys = [*subject.product_tokens, *subject.text_keys]
        candidate_ids = sorted({j for t in keys for j in by_token.get(t, [])})
        match = find_duplicate(subject, [subjects[j] for j in candidate_ids])
        cross = any(cases[j].source != case.source for j in earlier)
        if earlier:
            positives += 1
            cross_positives += cross
        if match is not None:
            if int(match.key) in earlier:
                tp += 1
                cross_tp += cross and cases[int(match.key)].source != case.source
            else:
                fp += 1
        if earlier and (match is None or int(match.key) not in earlier):
            fn += 1
        subjects.append(subject)
        for token in [*subject.product_tokens, *subject.text_keys]:
            by_token[token].append(index)
        for i in case.ids:
            by_id[i].append(index)
    elapsed = time.perf_counter() - start
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / positives if positives else 1.0
    print(f"reports: {len(cases)} ({', '.join(f'{s}: {sum(c.source == s for c in cases)}' for s in SOURCES)})")
    print(
        f"true duplicates (an earlier report of the same vulnerability): {positives} (cross-source: {cross_positives})"
    )
    print(f"called duplicates: {tp + fp}; correct: {tp}; wrong: {fp}; missed: {fn}")
    print(f"precision: {precision:.3f}  recall: {recall:.3f}  cross-source recall: {cross_tp / cross_positives:.3f}")
    print(f"time: {elapsed:.1f} s ({len(cases) / elapsed:.0f} reports/s)")


if __name__ == "__main__":
    main()
