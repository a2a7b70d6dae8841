"""Honest confidence: the estimated-LR shrink, the probability ceiling, the bands and what the
panel withholds until the findings can carry a ranking (issue 10, item 5)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from assessments.differential import load_knowledge, rank, ranking_to_contract
from assessments.differential.engine import (
    capped,
    next_best_tests,
    probabilities,
    rank_validated,
    tally,
)
from assessments.differential.knowledge import (
    KNOWLEDGE_PATH,
    KnowledgeError,
    Policy,
    read_knowledge,
)
from assessments.differential.knowledge import TestGate as Gate
from assessments.differential.panel import panel_view
from assessments.vocabulary import validate_findings
from tests.unit.test_differential_properties import valid_findings

KB = load_knowledge()
CEILING = KB.policy.probability_ceiling
ENOUGH = {"onset": "gradual", "pain_locations": ["sit_bone"]}


def _policy(**changes: float) -> Policy:
    return dataclasses.replace(KB.policy, **changes)


def _knowledge_with(**changes: float) -> str:
    """The knowledge file's text with other calibration numbers."""
    text = KNOWLEDGE_PATH.read_text(encoding="utf-8")
    for key, value in changes.items():
        start = text.index(f"\n{key} = ") + 1
        end = text.index("\n", start)
        text = text[:start] + f"{key} = {value}" + text[end:]
    return text


def _load_text(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "knowledge.toml"
    path.write_text(text, encoding="utf-8")
    return read_knowledge(path)


# --- The shrink rule ----------------------------------------------------------------------


def test_an_estimated_lr_is_shrunk_in_log_space_by_its_own_factor() -> None:
    policy = _policy(estimated_log_shrink=0.5, published_log_shrink=0.8)
    assert policy.used_lr(4.0, "est") == pytest.approx(2.0)  # exp(0.5 * ln 4)
    assert policy.used_lr(0.25, "est") == pytest.approx(0.5)
    assert policy.used_lr(4.0, "published") == pytest.approx(4.0**0.8)


def test_the_caps_apply_after_the_shrink() -> None:
    policy = _policy(estimated_log_shrink=1.0, lr_max=3.0, lr_min=0.5)
    assert policy.used_lr(5.0, "est") == pytest.approx(3.0)
    assert policy.used_lr(0.2, "est") == pytest.approx(0.5)
    assert _policy(estimated_log_shrink=0.5, lr_max=3.0).used_lr(5.0, "est") == pytest.approx(
        math.sqrt(5.0)
    )


def test_every_weight_in_the_file_follows_the_rule_for_its_kind() -> None:
    policy = KB.policy
    for rule in KB.weights:
        for weight in rule.weights:
            factor = (
                policy.estimated_log_shrink if weight.kind == "est" else policy.published_log_shrink
            )
            expected = math.exp(
                min(
                    max(math.log(weight.figure) * factor, math.log(policy.lr_min)),
                    math.log(policy.lr_max),
                )
            )
            assert weight.lr == pytest.approx(expected), (rule.condition.text, weight.cause)


def test_a_smaller_estimated_shrink_weakens_the_ranking(tmp_path: Path) -> None:
    """The setting is live: halving every estimated log-LR lowers a dense case's top figure."""
    text = _knowledge_with(estimated_log_shrink=0.5, probability_ceiling=1.0)
    halved = _load_text(tmp_path, text)
    findings = validate_findings(
        {**ENOUGH, "sit_bone_tenderness": True, "aggravated_by_sitting": True, "back_pain": False}
    )
    full = rank_validated(findings, _load_text(tmp_path, _knowledge_with(probability_ceiling=1.0)))
    weak = rank_validated(findings, halved)
    assert weak.leading.code == full.leading.code
    assert weak.leading.probability < full.leading.probability


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"estimated_log_shrink": 1.2}, "a log shrink is a factor in"),
        ({"estimated_log_shrink": 0}, "a log shrink is a factor in"),
        ({"probability_ceiling": 0.5}, "probability_ceiling must be above 0.5"),
        ({"probability_ceiling": 1.01}, "probability_ceiling must be above 0.5"),
        ({"possible_at_least": 0.6}, "needs 0 < possible < likely < 1"),
    ],
)
def test_calibration_settings_outside_their_range_fail_loudly(
    tmp_path: Path, changes: dict[str, float], message: str
) -> None:
    with pytest.raises(KnowledgeError, match=message):
        _load_text(tmp_path, _knowledge_with(**changes))


def test_the_knowledge_file_states_the_rules_and_their_reasons() -> None:
    policy, panel = KB.policy, KB.panel
    assert "leave-one-out" in policy.estimated_shrink_reason
    assert "0.95" in policy.ceiling_reason or f"{CEILING:g}" in policy.ceiling_reason
    assert panel.bands_reason and panel.needs_recorded_reason
    assert panel.needs_recorded == ("onset", "pain_locations")


# --- The ceiling --------------------------------------------------------------------------


def test_capping_holds_the_leader_and_shares_the_excess_in_proportion() -> None:
    probs = {"a": 0.99, "b": 0.006, "c": 0.004}
    shown = capped(probs, 0.9)
    assert shown["a"] == pytest.approx(0.9)
    assert shown["b"] == pytest.approx(0.06) and shown["c"] == pytest.approx(0.04)
    assert sum(shown.values()) == pytest.approx(1.0)
    assert capped({"a": 0.6, "b": 0.4}, 0.9) == {"a": 0.6, "b": 0.4}


def test_capping_a_certain_leader_shares_the_excess_evenly() -> None:
    shown = capped({"a": 1.0, "b": 0.0, "c": 0.0}, 0.9)
    assert shown == pytest.approx({"a": 0.9, "b": 0.05, "c": 0.05})


def test_a_dozen_agreeing_findings_stop_at_the_ceiling() -> None:
    findings = {
        **ENOUGH,
        "duration_weeks": 20,
        "sit_bone_tenderness": True,
        "aggravated_by_sitting": True,
        "aggravated_by_hills_or_stairs": True,
        "run_response": "warms_up",
        "modified_bent_knee_stretch": "positive",
        "puranen_orava": "positive",
        "back_pain": False,
        "pain_below_knee": False,
        "muscle_belly_tenderness": False,
        "slump_test": "negative",
    }
    ranking = rank(findings)
    assert ranking.leading.code == "proximal_hamstring_tendinopathy"
    assert ranking.leading.probability == pytest.approx(CEILING)
    assert ranking_to_contract(ranking)["causes"][0]["probability"] == pytest.approx(CEILING)


@settings(max_examples=300, deadline=None)
@given(valid_findings)
def test_no_probability_is_ever_shown_above_the_ceiling(findings: dict[str, Any]) -> None:
    ranking = rank(findings)
    probabilities = [c.probability for c in ranking.causes]
    assert max(probabilities) <= CEILING + 1e-12
    assert sum(probabilities) == pytest.approx(1.0)
    assert probabilities == sorted(probabilities, reverse=True)
    contract = ranking_to_contract(ranking)["causes"]
    assert max(c["probability"] for c in contract) <= CEILING


# --- Bands --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("probability", "band"),
    [
        (0.95, "likely"),
        (KB.panel.likely_at_least, "likely"),
        (KB.panel.likely_at_least - 1e-6, "possible"),
        (KB.panel.possible_at_least, "possible"),
        (KB.panel.possible_at_least - 1e-6, "unlikely"),
        (0.0, "unlikely"),
    ],
)
def test_each_probability_gets_its_band(probability: float, band: str) -> None:
    assert KB.panel.band(probability) == band


def test_the_panel_bands_every_cause_in_ranking_order() -> None:
    ranking = ranking_to_contract(rank({**ENOUGH, "sit_bone_tenderness": True}))
    view = panel_view(ENOUGH, ranking)
    assert [s.cause["code"] for s in view.causes] == [c["code"] for c in ranking["causes"]]
    assert [s.band for s in view.causes] == [
        KB.panel.band(c["probability"]) for c in ranking["causes"]
    ]
    assert view.causes[0].band == "likely" and view.causes[-1].band == "unlikely"


# --- Not enough information; no run advice without running --------------------------------


@pytest.mark.parametrize(
    ("findings", "missing"),
    [
        ({}, ("onset", "pain_locations")),
        ({"age": 34, "sex": "female"}, ("onset", "pain_locations")),  # what a new form holds
        ({"pain_locations": ["sit_bone"], "sit_bone_tenderness": True}, ("onset",)),
        ({"onset": "gradual", "back_pain": True}, ("pain_locations",)),
        ({"onset": None, "pain_locations": None}, ("onset", "pain_locations")),
    ],
)
def test_not_enough_information_until_onset_and_location_are_recorded(
    findings: dict[str, Any], missing: tuple[str, ...]
) -> None:
    clean = {k: v for k, v in findings.items() if v is not None}
    view = panel_view(findings, ranking_to_contract(rank(clean)))
    assert not view.enough_information
    assert view.missing == missing


def test_onset_and_location_recorded_are_enough() -> None:
    assert panel_view(ENOUGH, ranking_to_contract(rank(ENOUGH))).enough_information


@pytest.mark.parametrize("findings", [{}, ENOUGH, {**ENOUGH, "does_speedwork": True}])
def test_no_run_advice_while_nothing_about_running_is_known(findings: dict[str, Any]) -> None:
    ranking = ranking_to_contract(rank(findings))
    assert ranking["run_advice"]["advice"] == "modify"  # the contract's value, still computed
    assert not panel_view(findings, ranking).show_run_advice


@pytest.mark.parametrize(
    "running",
    [
        {"run_response": "steady"},
        {"pain_run_nrs": 2},
        {"next_day_response": "worse"},
        {"pain_travels_during_run": False},
    ],
)
def test_run_advice_shows_once_something_about_running_is_known(running: dict[str, Any]) -> None:
    findings = {**ENOUGH, **running}
    assert panel_view(findings, ranking_to_contract(rank(findings))).show_run_advice


def test_a_red_flag_shows_its_stop_and_seek_care_without_running_findings() -> None:
    findings = {"saddle_numbness": True}
    ranking = ranking_to_contract(rank(findings))
    assert ranking["run_advice"]["advice"] == "stop_and_seek_care"
    assert panel_view(findings, ranking).show_run_advice


def test_a_probability_gate_reads_the_capped_figure_the_pt_sees_when_it_is_higher() -> None:
    """Capping raises every cause but the leader: a gate must not offer a test on a cause the
    panel shows at or above the gate, though its uncapped figure is below it."""
    gate = Gate("hop_test", "test", (), (("bone_stress_injury", 0.5),), ())
    kb = dataclasses.replace(KB, test_gates=(gate,))
    findings = validate_findings(
        {"onset": "gradual", "pain_locations": ["groin"], "run_response": "builds"}
    )
    tallied = tally(findings, kb)
    probs = probabilities(tallied.scores)
    assert probs["bone_stress_injury"] < 0.5
    offered = next_best_tests(findings, tallied, probs, (), kb)
    assert "hop_test" in {t.field for t in offered}
    shown = {**probs, "bone_stress_injury": 0.6}
    gated = next_best_tests(findings, tallied, probs, (), kb, shown)
    assert "hop_test" not in {t.field for t in gated}
