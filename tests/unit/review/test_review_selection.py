"""The selection engine (pure) and the policy file loader."""

from __future__ import annotations

import pytest

from bastion.review.errors import PolicyError
from bastion.review.policy import default_policy, load_policy, parse_policy
from bastion.review.selection import (
    AgencyNomination,
    CapabilityTier,
    Combinator,
    ComputeThreshold,
    DeveloperTier,
    EvalMargin,
    Policy,
    SelectionFacts,
    evaluate,
)

RULES = (
    ComputeThreshold("compute", 1e26),
    DeveloperTier("tier", "preparedness", "cyber", frozenset({"High", "Critical"})),
    EvalMargin("margin", "cyber_ctf", 0.05),
    AgencyNomination("nominated", 1),
)


def _facts(**overrides: object) -> SelectionFacts:
    base: dict[str, object] = {"training_compute_flop": 1e24}
    base.update(overrides)
    return SelectionFacts(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("facts", "fired"),
    [
        (_facts(), []),
        (_facts(training_compute_flop=1e26), ["compute"]),
        (_facts(capability_tiers=(CapabilityTier("Preparedness", "CYBER", "high"),)), ["tier"]),
        (_facts(capability_tiers=(CapabilityTier("preparedness", "cyber", "Medium"),)), []),
        (_facts(capability_tiers=(CapabilityTier("preparedness", "bio", "High"),)), []),
        (
            _facts(evaluation_scores={"cyber_ctf": 0.56}, reference_scores={"cyber_ctf": {"a": 0.5, "b": 0.3}}),
            ["margin"],
        ),
        (_facts(evaluation_scores={"cyber_ctf": 0.54}, reference_scores={"cyber_ctf": {"a": 0.5}}), []),
        (_facts(evaluation_scores={"cyber_ctf": 0.9}), []),  # no reference: nothing to beat
        (_facts(nominating_agencies=frozenset({"org_cisa"})), ["nominated"]),
    ],
)
def test_each_rule_fires_exactly_on_its_condition(facts: SelectionFacts, fired: list[str]) -> None:
    outcome = evaluate(Policy("v1", Combinator.ANY, RULES), facts)
    assert outcome.fired_rules == fired
    assert outcome.selected is bool(fired)
    assert outcome.policy_version == "v1"
    assert [r.rule_id for r in outcome.results] == ["compute", "tier", "margin", "nominated"]


def test_all_combinator_needs_every_rule() -> None:
    policy = Policy("v2", Combinator.ALL, RULES[:1] + RULES[3:])
    assert not evaluate(policy, _facts(training_compute_flop=2e26)).selected
    both = _facts(training_compute_flop=2e26, nominating_agencies=frozenset({"a"}))
    assert evaluate(policy, both).selected


def test_explanations_say_why() -> None:
    outcome = evaluate(Policy("v", Combinator.ANY, RULES), _facts(training_compute_flop=2e26))
    assert outcome.results[0].explanation == "training compute 2e+26 FLOP >= 1e+26"
    assert outcome.results[3].explanation == "nominated by 0 agencies (needs 1)"


def test_default_policy_is_shipped_and_versioned() -> None:
    policy = default_policy()
    assert policy.version == "2026.2"
    assert policy.combinator is Combinator.ANY
    assert {type(r) for r in policy.rules} == {ComputeThreshold, DeveloperTier, EvalMargin, AgencyNomination}


GOOD = """
version = "7"
combinator = "all"
[[rules]]
id = "c"
kind = "compute_threshold"
min_flop = 1e25
"""


def test_parse_policy_reads_a_valid_file(tmp_path: object) -> None:
    policy = parse_policy(GOOD)
    assert (policy.version, policy.combinator, policy.rules) == ("7", Combinator.ALL, (ComputeThreshold("c", 1e25),))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("version = ", "not valid TOML"),
        ('combinator = "any"\n[[rules]]\nid="a"\nkind="agency_nomination"', "`version`"),
        ('version = "1"\ncombinator = "most"\n[[rules]]\nid="a"\nkind="agency_nomination"', "combinator"),
        ('version = "1"', "at least one"),
        ('version = "1"\n[[rules]]\nid="a"\nkind="vibes"', "`kind` must be one of"),
        ('version = "1"\n[[rules]]\nid="a"\nkind="compute_threshold"', "missing keys ['min_flop']"),
        ('version = "1"\n[[rules]]\nid="a"\nkind="compute_threshold"\nmin_flop=1\nextra=2', "unknown keys"),
        ('version = "1"\n[[rules]]\nid="a"\nkind="compute_threshold"\nmin_flop="big"', "expected a number"),
        ('version = "1"\n[[rules]]\nid="a"\nkind="compute_threshold"\nmin_flop=-1', "positive"),
        ('version = "1"\n[[rules]]\nid="a"\nkind="developer_tier"\nframework="p"\ndomain="c"\nlevels=[]', "levels"),
        ('version = "1"\n[[rules]]\nid="a"\nkind="agency_nomination"\nmin_agencies=0', "min_agencies"),
        (
            'version = "1"\n[[rules]]\nid="a"\nkind="agency_nomination"\n[[rules]]\nid="a"\nkind="agency_nomination"',
            "duplicate",
        ),
        ('version = "1"\nowner = "x"\n[[rules]]\nid="a"\nkind="agency_nomination"', "unknown top-level"),
    ],
)
def test_bad_policies_are_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, source="p.toml")
    assert problem in caught.value.message
    assert caught.value.message.startswith("p.toml")


def test_missing_policy_file_is_a_clear_error(tmp_path: object) -> None:
    from pathlib import Path

    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(Path(str(tmp_path)) / "nope.toml")
