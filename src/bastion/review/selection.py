"""The selection engine: pure. A policy and the facts of a submission in; a decision with the rules that
fired and the policy version out. Loading the policy file lives in ``policy.py``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NewType

RuleID = NewType("RuleID", str)  # a rule's name in the policy file: unique within one policy


class Combinator(StrEnum):
    ANY = "any"  # selected when at least one rule fires
    ALL = "all"  # selected only when every rule fires


@dataclass(frozen=True, slots=True)
class CapabilityTier:
    """The developer's own assessment, e.g. framework "preparedness", domain "cyber", level "High"."""

    framework: str
    domain: str
    level: str


@dataclass(frozen=True, slots=True)
class ComputeThreshold:
    id: RuleID
    min_flop: float

    def check(self, facts: SelectionFacts) -> tuple[bool, str]:
        fired = facts.training_compute_flop >= self.min_flop
        op = ">=" if fired else "<"
        return fired, f"training compute {facts.training_compute_flop:.3g} FLOP {op} {self.min_flop:.3g}"


@dataclass(frozen=True, slots=True)
class DeveloperTier:
    id: RuleID
    framework: str
    domain: str
    levels: frozenset[str]

    def check(self, facts: SelectionFacts) -> tuple[bool, str]:
        wanted = {level.casefold() for level in self.levels}
        for tier in facts.capability_tiers:
            same = tier.framework.casefold() == self.framework.casefold()
            if same and tier.domain.casefold() == self.domain.casefold() and tier.level.casefold() in wanted:
                return True, f"developer rates {tier.domain} as {tier.level!r} under {tier.framework}"
        levels = ", ".join(sorted(self.levels))
        return False, f"no {self.domain} tier in {{{levels}}} under {self.framework}"


@dataclass(frozen=True, slots=True)
class EvalMargin:
    id: RuleID
    task: str
    margin: float

    def check(self, facts: SelectionFacts) -> tuple[bool, str]:
        score = facts.evaluation_scores.get(self.task)
        references = facts.reference_scores.get(self.task, {})
        if score is None:
            return False, f"no score for task {self.task!r}"
        if not references:
            return False, f"no reference model scores for task {self.task!r}"
        best_name, best = max(references.items(), key=lambda item: item[1])
        fired = score >= best + self.margin
        op = ">=" if fired else "<"
        return fired, (f"{self.task}: {score:g} {op} best reference {best_name} {best:g} + margin {self.margin:g}")


@dataclass(frozen=True, slots=True)
class AgencyNomination:
    id: RuleID
    min_agencies: int = 1

    def check(self, facts: SelectionFacts) -> tuple[bool, str]:
        count = len(facts.nominating_agencies)
        fired = count >= self.min_agencies
        return fired, f"nominated by {count} agenc{'y' if count == 1 else 'ies'} (needs {self.min_agencies})"


Rule = ComputeThreshold | DeveloperTier | EvalMargin | AgencyNomination
RULE_KINDS: dict[type[Rule], str] = {
    ComputeThreshold: "compute_threshold",
    DeveloperTier: "developer_tier",
    EvalMargin: "eval_margin",
    AgencyNomination: "agency_nomination",
}


@dataclass(frozen=True, slots=True)
class Policy:
    version: str
    combinator: Combinator
    rules: tuple[Rule, ...]
    name: str = "selection policy"


@dataclass(frozen=True, slots=True)
class SelectionFacts:
    training_compute_flop: float
    capability_tiers: tuple[CapabilityTier, ...] = ()
    evaluation_scores: Mapping[str, float] = field(default_factory=dict)
    reference_scores: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    nominating_agencies: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule_id: RuleID
    kind: str
    fired: bool
    explanation: str


@dataclass(frozen=True, slots=True)
class SelectionOutcome:
    selected: bool
    policy_version: str
    combinator: Combinator
    results: tuple[RuleResult, ...]

    @property
    def fired_rules(self) -> list[RuleID]:
        return [r.rule_id for r in self.results if r.fired]


def evaluate(policy: Policy, facts: SelectionFacts) -> SelectionOutcome:
    """Apply every rule to the facts and combine them."""
    results = []
    for rule in policy.rules:
        fired, explanation = rule.check(facts)
        results.append(RuleResult(rule.id, RULE_KINDS[type(rule)], fired, explanation))
    fired_flags = [r.fired for r in results]
    selected = any(fired_flags) if policy.combinator is Combinator.ANY else bool(results) and all(fired_flags)
    return SelectionOutcome(selected, policy.version, policy.combinator, tuple(results))
