"""Precision and recall of the clearinghouse's duplicate detection on real data (not a test).

Run: .venv/bin/python bench/bench_dedupe.py [--half dev|test|all] [--errors N] [path/to/shared/data]

The same vulnerabilities are published by several sources in ``../shared/data/osv``: Bitnami, PyPA and RustSec
share CVEs (and PyPA itself files tensorflow, tensorflow-cpu and tensorflow-gpu separately). Every record of
the three is turned into a report by the clearinghouse's own OSV intake with its id, aliases and references
stripped (and the ids scrubbed from its text), then the reports are submitted one after another in a shuffled
order (fixed seed).

Ground truth: two reports are the same vulnerability when their original records are linked by ids and aliases
(transitively: BIT-x aliases CVE-1, PYSEC-y aliases CVE-1 and GHSA-z). A report is a true duplicate when an
earlier report is the same vulnerability.

Held out: the vulnerabilities (the linked groups, whole) are split in two halves by a hash of their smallest id.
The rules and thresholds of ``dedupe.py`` were developed looking only at the ``dev`` half (its errors, printed
with ``--errors``); the ``test`` half is the held-out measure. Each half runs on its own: its reports see only
earlier reports of the same half (so each half has about half the look-alike distractors of the whole corpus;
``all`` runs the whole corpus as one stream).

As the service does (``duplicates.py``), each report is checked against the earlier reports that share a lookup
key (a product word or a wording key) and are still open: a report called a duplicate is no candidate for later
ones (they meet its original instead). For each report the detector names an earlier one or none:

- precision: of the reports it called duplicates, how many named a report of the same vulnerability;
- recall: of the reports that had an earlier report of the same vulnerability, how many it found (naming one
  of the same vulnerability).
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import time
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bastion.clearinghouse.dedupe import Subject, find_duplicate
from bastion.clearinghouse.errors import InvalidReport
from bastion.clearinghouse.osv_intake import draft_from_osv
from bastion.clearinghouse.schemas import ReportDraft
from bastion.clearinghouse.subjects import subject_of

_DIRS = [a for a in sys.argv[1:] if Path(a).is_dir()]
DATA = Path(_DIRS[0]) if _DIRS else Path(__file__).resolve().parents[2] / "shared" / "data"
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


def groups(cases: list[Case]) -> list[str]:
    """Each case's vulnerability: the smallest id of its group of records linked by ids and aliases."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for case in cases:
        first, *rest = sorted(case.ids)
        for other in rest:
            a, b = root(first), root(other)
            parent[max(a, b)] = min(a, b)
    return [root(min(case.ids)) for case in cases]


def half_of(group: str) -> str:
    return "dev" if hashlib.sha256(group.encode()).digest()[0] % 2 == 0 else "test"


@dataclass
class Result:
    reports: int = 0
    positives: int = 0
    cross_positives: int = 0
    tp: int = 0
    fp: int = 0
    cross_tp: int = 0
    errors: list[tuple[str, int, int | None]] = field(default_factory=list)  # (kind, report, named)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.positives if self.positives else 1.0


def run(cases: list[Case], group: list[str]) -> Result:
    """Submit ``cases`` in order, as the service would, and score each verdict against ``group``."""
    by_key: dict[str, list[int]] = defaultdict(list)
    subjects: dict[int, Subject] = {}
    open_: set[int] = set()
    seen: dict[str, list[int]] = defaultdict(list)  # vulnerability -> earlier reports
    result = Result(reports=len(cases))
    for index, case in enumerate(cases):
        subject = subject_of(str(index), case.draft)
        keys = [*subject.product_tokens, *subject.text_keys]
        candidate_ids = sorted({j for k in keys for j in by_key.get(k, []) if j in open_})
        match = find_duplicate(subject, [subjects[j] for j in candidate_ids])
        earlier = seen[group[index]]
        cross = any(cases[j].source != case.source for j in earlier)
        result.positives += bool(earlier)
        result.cross_positives += cross
        named = None if match is None else int(match.key)
        if named is not None and group[named] == group[index]:
            result.tp += 1
            result.cross_tp += cross and cases[named].source != case.source
        elif named is not None:
            result.fp += 1
            result.errors.append(("wrong", index, named))
        if earlier and (named is None or group[named] != group[index]):
            result.errors.append(("missed", index, earlier[0]))
        subjects[index] = subject
        if match is None:
            open_.add(index)
        for k in keys:
            by_key[k].append(index)
        earlier.append(index)
    return result


def _show(case: Case) -> str:
    d = case.draft
    span = f"{d.affected.introduced}..{d.affected.fixed or d.affected.last_affected or ''}"
    return (
        f"  [{case.source}] {min(case.ids)} {d.purl} {span} {d.cwe or ''} {d.cvss_vector or ''}\n"
        f"    {d.title[:140]!r}\n    {d.description[:300]!r}"
    )


def main() -> None:
    args = sys.argv[1:]
    half = args[args.index("--half") + 1] if "--half" in args else "all"
    show = int(args[args.index("--errors") + 1]) if "--errors" in args else 0
    cases = records()
    random.Random(20261127).shuffle(cases)
    group = groups(cases)
    chosen = [i for i in range(len(cases)) if half == "all" or half_of(group[i]) == half]
    cases, group = [cases[i] for i in chosen], [group[i] for i in chosen]
    start = time.perf_counter()
    result = run(cases, group)
    elapsed = time.perf_counter() - start
    print(f"half: {half}")
    print(f"reports: {len(cases)} ({', '.join(f'{s}: {sum(c.source == s for c in cases)}' for s in SOURCES)})")
    print(f"true duplicates: {result.positives} (with an earlier report from another source: {result.cross_positives})")
    print(
        f"called duplicates: {result.tp + result.fp}; correct: {result.tp}; wrong: {result.fp}; "
        f"missed: {result.positives - result.tp}"
    )
    cross = result.cross_tp / result.cross_positives if result.cross_positives else 1.0
    print(f"precision: {result.precision:.3f}  recall: {result.recall:.3f}  cross-source recall: {cross:.3f}")
    print(f"time: {elapsed:.1f} s ({len(cases) / elapsed:.0f} reports/s)")
    for kind, index, other in result.errors[:show]:
        print(f"--- {kind}")
        print(_show(cases[index]))
        if other is not None:
            print(_show(cases[other]))


if __name__ == "__main__":
    main()
