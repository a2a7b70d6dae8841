"""Properties of the differential that must hold for any valid findings (hypothesis).

On "a supporting finding never lowers its cause": with normalisation over eight causes, a
finding with LR > 1 for cause C can still *lower* P(C) when it has an even larger LR for
another cause (see the first test below). What the engine can guarantee is weaker and
exact: a finding outside any correlated group whose LR for C is at least its LR for every
other cause never lowers P(C). Inside a correlated group only the strongest weight per cause
counts, so a new member can raise another cause more than C; such findings are excluded.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.differential import (
    FindingsError,
    load_knowledge,
    posterior,
    rank,
    ranking_to_contract,
)
from assessments.vocabulary import FindingField, load_vocabulary

VOCABULARY = load_vocabulary()
KNOWLEDGE = load_knowledge()
FIELDS = VOCABULARY.fields_by_name


def value_strategy(field: FindingField) -> st.SearchStrategy[Any]:
    if field.type == "boolean":
        return st.booleans()
    if field.type == "integer":
        return st.integers(int(field.min or 0), int(field.max or 100))
    if field.type == "number":
        return st.floats(field.min, field.max, allow_nan=False) | st.integers(
            int(field.min or 0), int(field.max or 100)
        )
    if field.type in ("enum", "result"):
        return st.sampled_from(field.allowed_values)
    if field.type == "set":
        return st.lists(st.sampled_from(field.values), unique=True)
    raise AssertionError(field.type)


valid_findings = st.fixed_dictionaries(
    {}, optional={name: value_strategy(field) for name, field in FIELDS.items()}
)


def _ungrouped_single_field_candidates() -> list[str]:
    grouped = {rule.field for rule in KNOWLEDGE.weights if rule.group}
    return [name for name in KNOWLEDGE.diagnostic_fields if name not in grouped and name != "onset"]


UNGROUPED = _ungrouped_single_field_candidates()


def field_log_lrs(name: str, value: Any) -> dict[str, float]:
    """Per-cause sum of the log-LRs that recording ``name = value`` adds (ungrouped fields)."""
    probe = {name: value}
    sums = dict.fromkeys(KNOWLEDGE.causes, 0.0)
    for rule in KNOWLEDGE.rules_for_field(name):
        if rule.condition.holds(probe):
            for weight in rule.weights:
                sums[weight.cause] += weight.log_lr
    return sums


def test_a_finding_with_lr_above_one_for_a_cause_can_still_lower_it() -> None:
    """Why the property below is stated as it is: sit-bone tenderness has LR 1.3 for a strain
    but 3.0 for tendinopathy and 2.5 for avulsion, so P(strain) falls."""
    lrs = field_log_lrs("sit_bone_tenderness", True)
    assert lrs["hamstring_strain"] > 0
    assert lrs["proximal_hamstring_tendinopathy"] > lrs["hamstring_strain"]
    before = posterior({})["hamstring_strain"]
    after = posterior({"sit_bone_tenderness": True})["hamstring_strain"]
    assert after < before


@settings(max_examples=150, deadline=None)
@given(findings=valid_findings)
def test_probabilities_are_finite_cover_all_causes_and_sum_to_one(
    findings: dict[str, Any],
) -> None:
    ranking = rank(findings)
    probabilities = [c.probability for c in ranking.causes]
    assert sorted(c.code for c in ranking.causes) == sorted(VOCABULARY.cause_codes)
    assert all(math.isfinite(p) and 0 <= p <= 1 for p in probabilities)
    assert math.isclose(sum(probabilities), 1.0, abs_tol=1e-9)
    assert probabilities == sorted(probabilities, reverse=True)
    contract = ranking_to_contract(ranking)
    assert math.isclose(sum(c["probability"] for c in contract["causes"]), 1.0, abs_tol=1e-9)


@settings(max_examples=100, deadline=None)
@given(findings=valid_findings, extra=st.sets(st.sampled_from(sorted(FIELDS))))
def test_adding_not_tested_fields_changes_nothing(
    findings: dict[str, Any], extra: set[str]
) -> None:
    with_nones = {**dict.fromkeys(extra), **findings}
    assert rank(with_nones) == rank(findings)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), findings=valid_findings)
def test_a_finding_favouring_a_cause_over_every_other_never_lowers_that_cause(
    data: st.DataObject, findings: dict[str, Any]
) -> None:
    name = data.draw(st.sampled_from([n for n in UNGROUPED if n not in findings] or UNGROUPED))
    findings.pop(name, None)
    value = data.draw(value_strategy(FIELDS[name]))
    lrs = field_log_lrs(name, value)
    favoured = max(lrs, key=lambda cause: lrs[cause])
    before = posterior(findings)[favoured]
    after = posterior({**findings, name: value})[favoured]
    assert after >= before - 1e-12


@settings(max_examples=150, deadline=None)
@given(findings=valid_findings)
def test_ranking_never_crashes_and_its_contract_form_is_json(findings: dict[str, Any]) -> None:
    ranking = rank(findings)
    assert ranking.run_advice.advice in ("stop_and_seek_care", "stop", "continue", "modify")
    if ranking.red_flags:
        assert ranking.run_advice.advice == "stop_and_seek_care"
        assert ranking.see_professional.needed
    assert len(ranking.next_best_tests) <= 3
    assert all(t.field not in findings for t in ranking.next_best_tests)
    assert ranking.expected_recovery.cause == ranking.causes[0].code
    json.dumps(ranking_to_contract(ranking, case_id="x"))


def bad_value_strategy(field: FindingField) -> st.SearchStrategy[Any]:
    strings = st.text(max_size=8).filter(lambda s: s not in field.allowed_values)
    if field.type == "boolean":
        return st.sampled_from(["yes", 1, 0, 0.5, [], {}]) | strings
    if field.type in ("integer", "number"):
        low, high = field.min or 0, field.max or 100
        out_of_range = st.integers(int(high) + 1, int(high) + 1000) | st.integers(
            int(low) - 1000, int(low) - 1
        )
        extra = st.sampled_from([math.inf, -math.inf, math.nan, "5", True, []])
        if field.type == "integer":
            extra = extra | st.just(low + 0.5)
        return out_of_range | extra | strings
    if field.type in ("enum", "result"):
        return strings | st.integers() | st.booleans()
    return (
        strings
        | st.lists(strings, min_size=1)
        | st.sampled_from(field.values).map(lambda v: [v, v])
    )


unknown_names = st.text(min_size=1, max_size=12).filter(lambda s: s not in FIELDS)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), findings=valid_findings)
def test_invalid_input_always_yields_an_error_naming_the_field(
    data: st.DataObject, findings: dict[str, Any]
) -> None:
    if data.draw(st.booleans()):
        name = data.draw(unknown_names)
        bad: Any = data.draw(value_strategy(FIELDS["age"]))
    else:
        name = data.draw(st.sampled_from(sorted(FIELDS)))
        bad = data.draw(bad_value_strategy(FIELDS[name]))
    findings[name] = bad
    with pytest.raises(FindingsError) as caught:
        rank(findings)
    assert name in caught.value.errors


# --- Red flags and next tests (contract 1.1) ----------------------------------------------
#
# "Removing a finding never raises a red flag" cannot hold as it stands under contract 1.1:
# an onset not recorded counts as not sudden, so removing a recorded sudden onset can raise
# the bone-stress flag, as the contract intends. The knowledge file marks every clause that
# counts a field when it is missing "(... or missing)" (onset, the "confined to the back of
# the thigh" exemption, the bone-stress risk factors). What holds exactly:
#
# 1. Removing a finding raises no new flag, except a flag with a rule that counts that very
#    field when missing; removing any other field raises no flag at all.
# 2. A flag not raised because of the removed finding stays raised, at the same urgency: no
#    finding suppresses a flag, so an emergency is never lost or lowered by dropping a
#    finding it was not raised because of.

COUNTED_WHEN_MISSING: dict[str, set[str]] = {}  # field -> flags with a rule counting it missing
for _rule in KNOWLEDGE.red_flags:
    for _condition in _rule.conditions:
        for _clause in _condition.clauses:
            if _clause.missing_counts:
                COUNTED_WHEN_MISSING.setdefault(_clause.field, set()).add(_rule.code)
FLAG_FIELDS = sorted(
    {name for rule in KNOWLEDGE.red_flags for c in rule.conditions for name in c.fields}
)
BONE_OR_AVULSION = ("suspected_bone_stress_injury", "suspected_avulsion")
LOADING_TESTS = {
    code: {gate.field for gate in KNOWLEDGE.test_gates if code in gate.red_flags}
    for code in BONE_OR_AVULSION
}


def _findings_of(names: set[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({name: value_strategy(FIELDS[name]) for name in sorted(names)})


# Sparse findings, mostly about the fields the red-flag rules read: dense random findings
# raise nearly every flag at once and leave no test to suggest.
sparse_findings = (
    st.sets(st.sampled_from(FLAG_FIELDS), max_size=6)
    .flatmap(
        lambda flagged: st.sets(st.sampled_from(sorted(FIELDS)), max_size=4).map(
            lambda other: flagged | other
        )
    )
    .flatmap(_findings_of)
)
any_findings = sparse_findings | valid_findings


def _without(findings: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in findings.items() if key != name}


def test_removing_a_sudden_onset_can_raise_the_bone_flag_as_contract_1_1_intends() -> None:
    findings = {"onset": "sudden_sprint", "pain_locations": ["mid_thigh"], "hop_test": "painful"}
    assert rank(findings).red_flags == ()
    assert [f.code for f in rank(_without(findings, "onset")).red_flags] == [
        "suspected_bone_stress_injury"
    ]
    assert COUNTED_WHEN_MISSING["onset"] == {"suspected_bone_stress_injury"}


@settings(max_examples=300, deadline=None)
@given(data=st.data(), findings=any_findings.filter(bool))
def test_removing_a_finding_raises_no_flag_unless_a_rule_counts_it_when_missing(
    data: st.DataObject, findings: dict[str, Any]
) -> None:
    name = data.draw(st.sampled_from(sorted(findings)))
    before = {flag.code: flag for flag in rank(findings).red_flags}
    after = {flag.code: flag for flag in rank(_without(findings, name)).red_flags}
    assert set(after) - set(before) <= COUNTED_WHEN_MISSING.get(name, set())
    for code, flag in before.items():
        if name not in flag.because:
            assert code in after
            assert after[code].urgency == flag.urgency


@settings(max_examples=200, deadline=None)
@given(findings=any_findings)
def test_every_flag_is_raised_because_of_recorded_findings(findings: dict[str, Any]) -> None:
    for flag in rank(findings).red_flags:
        assert flag.because
        assert set(flag.because) <= set(findings)


@settings(max_examples=300, deadline=None)
@given(findings=any_findings)
def test_no_next_test_during_an_emergency_and_no_loading_test_on_a_flagged_structure(
    findings: dict[str, Any],
) -> None:
    ranking = rank(findings)
    raised = {flag.code for flag in ranking.red_flags}
    offered = {test.field for test in ranking.next_best_tests}
    if any(flag.urgency == "emergency" for flag in ranking.red_flags):
        assert offered == set()
    for code in BONE_OR_AVULSION:
        if code in raised:
            assert not offered & LOADING_TESTS[code]
            assert not offered & {"hop_test", "single_leg_stand_pain", "fulcrum_test"}
            assert not offered & {"resisted_knee_flexion"}
