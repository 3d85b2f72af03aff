"""Loading the declarative selection policy (TOML). Parsing is strict: an unknown key, a missing field or a
duplicate rule id is an error that names the rule and says how to fix it."""

from __future__ import annotations

import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from bastion.review.errors import PolicyError
from bastion.review.selection import (
    AgencyNomination,
    Combinator,
    ComputeThreshold,
    DeveloperTier,
    EvalMargin,
    Policy,
    Rule,
    RuleID,
)

DEFAULT_POLICY = "default.toml"
_FIELDS: dict[str, set[str]] = {
    "compute_threshold": {"min_flop"},
    "developer_tier": {"framework", "domain", "levels"},
    "eval_margin": {"task", "margin"},
    "agency_nomination": {"min_agencies"},
}
_OPTIONAL = {"min_agencies"}


def default_policy() -> Policy:
    """The policy shipped with Bastion (``bastion/review/policies/default.toml``)."""
    text = resources.files("bastion.review").joinpath("policies", DEFAULT_POLICY).read_text("utf-8")
    return parse_policy(text, source=f"built-in {DEFAULT_POLICY}")


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text("utf-8")
    except OSError as e:
        raise PolicyError(f"cannot read policy file {path}: {e.strerror}", code="policy_unreadable") from e
    return parse_policy(text, source=str(path))


def parse_policy(text: str, *, source: str = "policy") -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(f"{source} is not valid TOML: {e}") from e
    unknown = set(data) - {"name", "version", "combinator", "rules"}
    if unknown:
        raise _error(source, f"unknown top-level keys: {', '.join(sorted(unknown))}")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise _error(source, '`version` must be a non-empty string, e.g. version = "2026.1"')
    try:
        combinator = Combinator(data.get("combinator", "any"))
    except ValueError:
        raise _error(source, '`combinator` must be "any" or "all"') from None
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise _error(source, "the policy needs at least one [[rules]] table")
    rules = tuple(_rule(source, index, raw) for index, raw in enumerate(raw_rules))
    ids = [rule.id for rule in rules]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise _error(source, f"duplicate rule ids: {', '.join(duplicates)}")
    return Policy(version=version.strip(), combinator=combinator, rules=rules, name=str(data.get("name", "")))


def _rule(source: str, index: int, raw: Any) -> Rule:
    where = f"rule #{index + 1}"
    if not isinstance(raw, dict):
        raise _error(source, f"{where} must be a table")
    rule_id, kind = raw.get("id"), raw.get("kind")
    if not isinstance(rule_id, str) or not rule_id:
        raise _error(source, f"{where} needs an `id` string")
    rule_id = RuleID(rule_id)
    where = f"rule {rule_id!r}"
    if kind not in _FIELDS:
        raise _error(source, f"{where}: `kind` must be one of {', '.join(_FIELDS)}")
    allowed = _FIELDS[kind] | {"id", "kind"}
    extra = set(raw) - allowed
    missing = _FIELDS[kind] - _OPTIONAL - set(raw)
    if extra or missing:
        problem = f"unknown keys {sorted(extra)}" if extra else f"missing keys {sorted(missing)}"
        raise _error(source, f"{where} ({kind}): {problem}")
    if kind == "compute_threshold":
        return ComputeThreshold(rule_id, _number(source, where, raw["min_flop"], positive=True))
    if kind == "developer_tier":
        levels = raw["levels"]
        if not isinstance(levels, list) or not levels or not all(isinstance(x, str) for x in levels):
            raise _error(source, f"{where}: `levels` must be a non-empty list of strings")
        return DeveloperTier(
            rule_id,
            _text(source, where, raw["framework"]),
            _text(source, where, raw["domain"]),
            frozenset(levels),
        )
    if kind == "eval_margin":
        margin = _number(source, where, raw["margin"], positive=False)
        return EvalMargin(rule_id, _text(source, where, raw["task"]), margin)
    count = raw.get("min_agencies", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise _error(source, f"{where}: `min_agencies` must be a whole number >= 1")
    return AgencyNomination(rule_id, count)


def _number(source: str, where: str, value: Any, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _error(source, f"{where}: expected a number, got {value!r}")
    if positive and value <= 0:
        raise _error(source, f"{where}: expected a positive number, got {value!r}")
    return float(value)


def _text(source: str, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _error(source, f"{where}: expected a non-empty string, got {value!r}")
    return value.strip()


def _error(source: str, problem: str) -> PolicyError:
    return PolicyError(
        f"{source}: {problem}",
        hint="see bastion/review/policies/default.toml for a complete example",
        details={"source": source},
    )
