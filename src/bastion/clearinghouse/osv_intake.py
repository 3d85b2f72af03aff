"""OSV records as reports: one record, one report draft. Pure.

The product is the record's first affected package (its purl, or one built from ecosystem and name), the range
its first range's events; the CWE comes from ``database_specific.cwe_ids`` where the source gives it (GitHub,
Bitnami); the CVSS vector from ``severity`` when it is 3.1 or 4.0. The record's id and aliases become the
report's aliases, so a record we already know is recognised at once.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from bastion.clearinghouse.errors import invalid
from bastion.clearinghouse.schemas import AffectedRange, ReportDraft

_PURL_TYPE = {
    "PyPI": "pypi", "crates.io": "cargo", "npm": "npm", "Go": "golang", "Maven": "maven", "RubyGems": "gem",
    "NuGet": "nuget", "Packagist": "composer", "Hackage": "hackage", "Bitnami": "bitnami", "Pub": "pub",
    "Hex": "hex", "Debian": "deb", "Alpine": "apk",
}  # fmt: skip


def purl_of(package: dict[str, Any]) -> str:
    if package.get("purl"):
        return str(package["purl"]).split("@", 1)[0]
    ecosystem = str(package.get("ecosystem", "")).split(":", 1)[0]
    name = str(package.get("name", ""))
    kind = _PURL_TYPE.get(ecosystem, "generic")
    if kind == "maven" and ":" in name:
        group, artifact = name.split(":", 1)
        return f"pkg:maven/{group}/{artifact}"
    return f"pkg:{kind}/{name}"


def _range(entry: dict[str, Any]) -> AffectedRange:
    for rng in entry.get("ranges") or []:
        if rng.get("type") == "GIT":
            continue
        introduced, fixed, last = "0", None, None
        for event in rng.get("events") or []:
            if "introduced" in event and introduced == "0":
                introduced = str(event["introduced"])
            fixed = str(event["fixed"]) if "fixed" in event and fixed is None else fixed
            last = str(event["last_affected"]) if "last_affected" in event and last is None else last
        return AffectedRange(introduced=introduced, fixed=fixed, last_affected=None if fixed else last)
    return AffectedRange()


def _vector(record: dict[str, Any], entry: dict[str, Any]) -> str | None:
    for severity in [*(record.get("severity") or []), *(entry.get("severity") or [])]:
        score = str(severity.get("score", ""))
        if score.startswith(("CVSS:3.1/", "CVSS:4.0/")):
            return score
    return None


def _cwe(record: dict[str, Any]) -> str | None:
    specific = record.get("database_specific") or {}
    for key in ("cwe_ids", "cwes"):
        for value in specific.get(key) or []:
            text = value.get("cweId") if isinstance(value, dict) else value
            if isinstance(text, str) and text.upper().startswith("CWE-") and text[4:].isdigit():
                return text.upper()
    return None


def draft_from_osv(record: dict[str, Any], *, keep_ids: bool = True) -> ReportDraft:
    """The report an OSV record makes. ``keep_ids=False`` drops its id and aliases (the dedupe bench)."""
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        raise invalid("an OSV record is a JSON object with an id", hint="see https://ossf.github.io/osv-schema/")
    entries = [a for a in record.get("affected") or [] if isinstance(a, dict) and a.get("package")]
    if not entries:
        raise invalid(f"OSV record {record['id']} names no affected package", field="affected")
    entry = entries[0]
    details = str(record.get("details") or "").strip()
    summary = str(record.get("summary") or "").strip() or (details.splitlines()[0][:200] if details else "")
    aliases = [record["id"], *(record.get("aliases") or [])] if keep_ids else []
    try:
        return ReportDraft(
            title=(summary or record["id"])[:300].ljust(3, "."),
            description=(details or summary or record["id"]).ljust(10, "."),
            purl=purl_of(entry["package"]),
            affected=_range(entry),
            cwe=_cwe(record),
            cvss_vector=_vector(record, entry),
            aliases=[a for a in aliases if isinstance(a, str)],
            references=[str(r["url"]) for r in record.get("references") or [] if isinstance(r, dict)][:20]
            if keep_ids
            else [],
        )
    except ValidationError as e:
        first = e.errors()[0]
        raise invalid(f"OSV record {record['id']}: {first['msg']}", field=".".join(map(str, first["loc"]))) from e
