"""Micro benchmark: CompiledAffected.matches over the real OSV data (not a test).

Run: .venv/bin/python bench/bench_matching.py [path/to/shared/data]
Compiles every non-GIT affected entry of the five zips (read as the query reads stored entries), then asks
each entry about the versions its own record mentions (listed and event versions), reporting compile time
(wall and CPU: the machine is shared) and matches per second.
"""

from __future__ import annotations

import json
import os
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import yaml

from bastion.advisories.ecosystems import parse_ecosystem
from bastion.advisories.errors import InvalidVersion
from bastion.advisories.matching import CompiledAffected, compile_affected
from bastion.advisories.record import StoredAffected

DATA = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data"
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def entries() -> list[dict[str, Any]]:
    found = []
    for zip_path in sorted((DATA / "osv").glob("*.zip")):
        with zipfile.ZipFile(zip_path) as zf:
            for name in zf.namelist():
                if name.endswith(".json"):
                    record = json.loads(zf.read(name))
                elif name.endswith(".yaml"):
                    record = yaml.load(zf.read(name), Loader=Loader)
                else:
                    continue
                found += [a for a in record.get("affected", []) if "package" in a]
    return found


def main() -> None:
    raw = entries()
    start = time.perf_counter()
    for affected in raw:  # what the query adds before compiling: the stored JSON read as matching's typed input
        StoredAffected.from_stored(affected)
    rebuild_s = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    compiled: list[tuple[CompiledAffected, list[str]]] = []
    for affected in raw:
        queries = list(affected.get("versions", []))[:20]
        queries += [v for r in affected.get("ranges", []) if r["type"] != "GIT" for e in r["events"]
                    for v in e.values() if v != "0"]  # fmt: skip
        record = StoredAffected.from_stored(affected)  # as the query does; the record is not kept
        compiled.append((compile_affected(parse_ecosystem(affected["package"]["ecosystem"]), record), queries))
    compile_s, compile_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"reading {len(raw)} stored entries as StoredAffected alone: {rebuild_s * 1000:.0f} ms")
    print(
        f"read and compiled {len(compiled)} affected entries in {compile_s * 1000:.0f} ms "
        f"(CPU {compile_cpu * 1000:.0f} ms; load average {os.getloadavg()[0]:.1f})"
    )
    for label in ("cold", "warm"):
        calls = hits = 0
        start = time.perf_counter()
        for entry, queries in compiled:
            for version in queries:
                try:
                    hits += entry.matches(version, as_recorded=True)
                except InvalidVersion:  # an event the record got wrong (reported in .problems)
                    continue
                calls += 1
        elapsed = time.perf_counter() - start
        print(f"{label}: {calls} matches in {elapsed * 1000:.0f} ms = {calls / elapsed:,.0f} matches/s "
              f"({elapsed / calls * 1e6:.2f} us each; {hits} affected)")  # fmt: skip


if __name__ == "__main__":
    main()
