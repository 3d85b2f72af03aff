"""SARIF 2.1.0 logs as reports: one result, one report draft. Pure.

Scanners and AI tools emit SARIF (bandit ``-f sarif``, semgrep ``--sarif``, CodeQL). SARIF does not name the
package it scanned, so the uploader names the product (purl and/or CPE, and the affected range) once for the
whole log. Each result that is a failure (``kind`` absent or ``fail``), not suppressed, and at or above the
chosen level becomes a report:

- title: the rule's name (or id) and the result's message;
- CWE: the rule's tags (``external/cwe/cwe-78``, ``CWE-78``) or ``properties.cwe``;
- location: the first physical location's file, and the function from its logical location (else the line);
- description: the message, the rule's description, the flagged snippet, and which tool and rule found it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bastion.clearinghouse.errors import invalid
from bastion.clearinghouse.schemas import AffectedRange, LocationIn, ReportDraft

MAX_RESULTS = 1000
_CWE_TAG = re.compile(r"(?:^|/)cwe[-/:]?(\d{1,5})$", re.I)


class Level(IntEnum):
    NONE = 0
    NOTE = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, value: str) -> Level:
        try:
            return cls[value.strip().upper()]
        except KeyError:
            raise invalid(f"unknown SARIF level {value!r}", hint="use none, note, warning or error") from None


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Run(_Loose):
    tool: dict[str, Any]
    results: list[dict[str, Any]] | None = None


class _Log(_Loose):
    version: str
    runs: list[_Run] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class SarifProduct:
    """What the uploader says the log is about."""

    purl: str | None = None
    cpe: str | None = None
    affected: AffectedRange = field(default_factory=AffectedRange)


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("markdown") or value.get("text") or "").strip()
    return ""


def _cwe(rule: dict[str, Any], result: dict[str, Any]) -> str | None:
    props = {**(rule.get("properties") or {}), **(result.get("properties") or {})}
    candidates = [*(props.get("tags") or []), *(props.get("cwe") or [] if isinstance(props.get("cwe"), list) else [])]
    if isinstance(props.get("cwe"), str):
        candidates.append(props["cwe"])
    candidates += [
        f"CWE-{taxon.get('id')}"
        for taxon in result.get("taxa") or []
        if isinstance(taxon, dict) and str((taxon.get("toolComponent") or {}).get("name", "")).upper() == "CWE"
    ]
    for tag in candidates:
        found = _CWE_TAG.search(str(tag).strip())
        if found:
            return f"CWE-{int(found.group(1))}"
    return None


def _location(result: dict[str, Any]) -> tuple[LocationIn | None, str]:
    for location in result.get("locations") or []:
        physical = location.get("physicalLocation") or {}
        uri = str((physical.get("artifactLocation") or {}).get("uri") or "")
        region = physical.get("region") or {}
        line = region.get("startLine")
        snippet = _text(region.get("snippet"))
        logical = (location.get("logicalLocations") or [{}])[0]
        function = logical.get("fullyQualifiedName") or logical.get("name")
        if uri:
            name = str(function) if function else (f"line {line}" if isinstance(line, int) else None)
            where = LocationIn(file=uri[:500], function=name, line=line if isinstance(line, int) and line > 0 else None)
            return where, snippet
    return None, ""


def drafts_from_sarif(
    document: Any, product: SarifProduct, *, min_level: Level = Level.WARNING
) -> list[tuple[str, ReportDraft]]:
    """(result key, draft) for each reportable result; the key (run, result index) makes idempotency keys."""
    try:
        log = _Log.model_validate(document)
    except ValidationError as e:
        first = e.errors()[0]
        raise invalid(f"not a SARIF log: {'.'.join(map(str, first['loc']))}: {first['msg']}") from e
    if log.version != "2.1.0":
        raise invalid(f"SARIF version {log.version!r} is not supported", hint="upload SARIF 2.1.0")
    drafts: list[tuple[str, ReportDraft]] = []
    for run_index, run in enumerate(log.runs):
        driver = run.tool.get("driver") or {}
        tool = f"{driver.get('name', 'unknown tool')} {driver.get('version') or driver.get('semanticVersion') or ''}"
        rules = {str(r.get("id")): r for r in driver.get("rules") or [] if isinstance(r, dict)}
        indexed = [r for r in driver.get("rules") or [] if isinstance(r, dict)]
        for index, result in enumerate(run.results or []):
            if not isinstance(result, dict) or result.get("suppressions") or result.get("kind", "fail") != "fail":
                continue
            rule_id = str(result.get("ruleId") or (result.get("rule") or {}).get("id") or "")
            rule = rules.get(rule_id) or _by_index(indexed, result.get("ruleIndex"))
            level = Level.parse(
                str(result.get("level") or rule.get("defaultConfiguration", {}).get("level") or "warning")
            )
            if level < min_level:
                continue
            drafts.append((f"{run_index}:{index}", _draft(result, rule, rule_id, tool.strip(), product)))
            if len(drafts) > MAX_RESULTS:
                raise invalid(
                    f"the SARIF log has more than {MAX_RESULTS} reportable results",
                    hint="raise --min-level, or split the log",
                )
    return drafts


def _by_index(rules: list[dict[str, Any]], index: Any) -> dict[str, Any]:
    return rules[index] if isinstance(index, int) and 0 <= index < len(rules) else {}


def _draft(result: dict[str, Any], rule: dict[str, Any], rule_id: str, tool: str, product: SarifProduct) -> ReportDraft:
    message = _text(result.get("message")) or _text(rule.get("shortDescription")) or rule_id or "finding"
    name = str(rule.get("name") or rule_id or "finding")
    location, snippet = _location(result)
    parts = [message]
    for key in ("fullDescription", "help"):
        text = _text(rule.get(key))
        if text and text not in parts:
            parts.append(text)
    if location is not None:
        where = f"{location.file}" + (f", {location.function}" if location.function else "")
        parts.append(f"Location: {where}")
    if snippet:
        parts.append(f"```\n{snippet.strip()[:2000]}\n```")
    parts.append(f"Found by {tool}, rule {rule_id}." + (f" {rule['helpUri']}" if rule.get("helpUri") else ""))
    try:
        return ReportDraft(
            title=f"{name}: {message}"[:300].ljust(3, "."),
            description="\n\n".join(parts)[:50_000].ljust(10, "."),
            purl=product.purl,
            cpe=product.cpe,
            affected=product.affected,
            cwe=_cwe(rule, result),
            location=location,
        )
    except ValidationError as e:
        first = e.errors()[0]
        raise invalid(f"SARIF result {rule_id}: {first['msg']}", field=".".join(map(str, first["loc"]))) from e
