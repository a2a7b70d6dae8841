"""Claims about the differential engine: ranking, red flags, run advice, contract shape, errors.

Pure Python: no database, no Django.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from assessments.differential import (
    FindingsError,
    knowledge_report,
    load_knowledge,
    posterior,
    rank,
    rank_batch,
    rank_contract_input,
    ranking_to_contract,
)
from assessments.differential.engine import log_scores
from assessments.vocabulary import load_vocabulary

CAUSES = load_vocabulary().cause_codes


def top(findings: dict[str, Any]) -> str:
    return rank(findings).causes[0].code


def flag_codes(findings: dict[str, Any]) -> set[str]:
    return {flag.code for flag in rank(findings).red_flags}


def advice(findings: dict[str, Any]) -> str:
    return rank(findings).run_advice.advice


# --- The knowledge file -------------------------------------------------------------------


def test_knowledge_gives_every_cause_a_prior_a_reason_and_a_recovery_time() -> None:
    kb = load_knowledge()
    assert set(kb.base_prior) == set(CAUSES)
    assert math.isclose(sum(kb.base_prior.values()), 1.0)
    assert set(kb.prior_reasons) == set(CAUSES)
    assert set(kb.recovery) == set(CAUSES)


def test_every_weight_names_its_source_and_estimates_say_so() -> None:
    for rule in load_knowledge().weights:
        for weight in rule.weights:
            assert weight.source
            assert (weight.kind == "est") == weight.source.startswith("EST")


def test_every_weight_stays_inside_the_caps_of_evidence_section_4_8() -> None:
    kb = load_knowledge()
    for rule in kb.weights:
        for weight in rule.weights:
            assert kb.policy.lr_min - 1e-9 <= weight.lr <= kb.policy.lr_max + 1e-9


def test_published_likelihood_ratios_are_halved_in_log_space() -> None:
    rule = next(
        r
        for r in load_knowledge().weights
        if r.condition.text == "modified_bent_knee_stretch = positive"
    )
    weight = rule.weight_for("proximal_hamstring_tendinopathy")
    assert weight is not None
    assert weight.figure == 10.2
    assert weight.lr == pytest.approx(math.sqrt(10.2))


def test_prognostic_askling_h_test_does_not_feed_the_differential() -> None:
    kb = load_knowledge()
    assert "askling_h_test" in kb.not_diagnostic
    assert "askling_h_test" not in kb.diagnostic_fields
    base = {"onset": "sudden_sprint", "pain_locations": ["mid_thigh"]}
    assert posterior(base) == posterior({**base, "askling_h_test": "positive"})


# --- Ranking: typical presentations -------------------------------------------------------


def test_sit_bone_pain_with_positive_stretch_tests_ranks_proximal_tendinopathy_first() -> None:
    findings = {
        "onset": "gradual",
        "pain_locations": ["sit_bone"],
        "aggravated_by_sitting": True,
        "sit_bone_tenderness": True,
        "modified_bent_knee_stretch": "positive",
        "puranen_orava": "positive",
    }
    assert top(findings) == "proximal_hamstring_tendinopathy"


def test_sudden_sprint_with_mid_thigh_tenderness_ranks_strain_first() -> None:
    findings = {
        "onset": "sudden_sprint",
        "pain_locations": ["mid_thigh"],
        "pain_qualities": ["sharp"],
        "muscle_belly_tenderness": True,
        "resisted_knee_flexion": "painful",
    }
    assert top(findings) == "hamstring_strain"


def test_posteromedial_knee_pain_with_tendon_tenderness_ranks_distal_tendinopathy_first() -> None:
    findings = {
        "onset": "gradual",
        "pain_locations": ["posterior_knee_medial"],
        "knee_tendon_tenderness": "medial",
        "aggravated_by_hills_or_stairs": True,
    }
    assert top(findings) == "distal_hamstring_tendinopathy"


def test_back_pain_with_tingling_below_the_knee_and_positive_slump_ranks_lumbar_first() -> None:
    findings = {
        "back_pain": True,
        "pain_locations": ["lower_back", "mid_thigh"],
        "pain_below_knee": True,
        "pain_qualities": ["tingling"],
        "slump_test": "positive",
    }
    assert top(findings) == "lumbar_referred_pain"


def test_buttock_pain_with_piriformis_tests_and_no_back_pain_ranks_deep_gluteal_first() -> None:
    findings = {
        "pain_locations": ["deep_buttock"],
        "back_pain": False,
        "aggravated_by_sitting": True,
        "deep_gluteal_tenderness": True,
        "seated_piriformis_stretch": "positive",
        "active_piriformis_test": "positive",
        "lumbar_movement_reproduces_pain": "negative",
    }
    assert top(findings) == "deep_gluteal_syndrome"


def test_groin_and_buttock_pain_with_reduced_internal_rotation_ranks_hip_first() -> None:
    findings = {
        "age": 58,
        "pain_locations": ["groin", "deep_buttock"],
        "hip_internal_rotation_reduced": True,
        "fadir": "positive",
        "hop_test": "pain_free",
    }
    assert top(findings) == "hip_joint_referred_pain"


def test_bony_tenderness_and_a_painful_hop_after_a_mileage_jump_ranks_bone_stress_first() -> None:
    findings = {
        "sex": "female",
        "recent_load_changes": ["volume"],
        "low_energy_availability_signs": True,
        "run_response": "builds",
        "bony_tenderness": True,
        "hop_test": "painful",
    }
    assert top(findings) == "bone_stress_injury"


def test_forced_stretch_with_a_pop_gap_and_no_activation_ranks_avulsion_first() -> None:
    findings = {
        "age": 47,
        "onset": "sudden_stretch",
        "felt_pop": True,
        "pain_locations": ["sit_bone"],
        "palpable_defect": True,
        "unable_to_activate_hamstring": True,
        "bruising": True,
    }
    assert top(findings) == "proximal_hamstring_avulsion"


# --- How findings count -------------------------------------------------------------------


def test_no_findings_gives_the_documented_prior() -> None:
    probs = posterior({})
    for cause, prior in load_knowledge().base_prior.items():
        assert probs[cause] == pytest.approx(prior)


def test_not_tested_is_not_negative() -> None:
    assert rank({"slump_test": None, "back_pain": None}) == rank({})


def test_unknown_onset_changes_nothing() -> None:
    assert posterior({"onset": "unknown"}) == posterior({})


def test_a_negative_test_lowers_the_cause_it_would_support() -> None:
    base = {"back_pain": True, "pain_below_knee": True}
    before = posterior(base)["lumbar_referred_pain"]
    after = posterior({**base, "slump_test": "negative"})["lumbar_referred_pain"]
    assert after < before


def test_sudden_onset_shifts_the_prior_towards_strain_and_is_shown_as_a_reason() -> None:
    ranking = rank({"onset": "sudden_sprint"})
    strain = next(c for c in ranking.causes if c.code == "hamstring_strain")
    assert ranking.causes[0].code == "hamstring_strain"
    assert any(c.field == "onset" and c.weight > 0 for c in strain.for_)


def test_correlated_stretch_tests_count_only_once() -> None:
    one = {"modified_bent_knee_stretch": "positive"}
    two = {**one, "bent_knee_stretch": "positive", "puranen_orava": "positive"}
    assert posterior(one) == pytest.approx(posterior(two))


def test_correlated_tests_with_mixed_results_count_the_strongest_of_each_direction() -> None:
    _, counted = log_scores({"slump_test": "positive", "straight_leg_raise": "negative"})
    lumbar = [c for _, c in counted["lumbar_referred_pain"]]
    assert {(c.field, c.value) for c in lumbar} == {
        ("slump_test", "positive"),
        ("straight_leg_raise", "negative"),
    }


def test_reasons_are_sorted_strongest_first_with_signed_log_weights() -> None:
    ranking = rank(
        {"pain_locations": ["sit_bone"], "sit_bone_tenderness": True, "pain_below_knee": True}
    )
    for cause in ranking.causes:
        assert all(c.weight > 0 for c in cause.for_)
        assert all(c.weight < 0 for c in cause.against)
        assert [c.weight for c in cause.for_] == sorted(
            (c.weight for c in cause.for_), reverse=True
        )
        assert [c.weight for c in cause.against] == sorted(c.weight for c in cause.against)


def test_reason_weight_is_the_natural_log_of_the_likelihood_ratio_used() -> None:
    ranking = rank({"sit_bone_tenderness": True})
    pht = next(c for c in ranking.causes if c.code == "proximal_hamstring_tendinopathy")
    (reason,) = pht.for_
    assert reason.field == "sit_bone_tenderness"
    assert reason.weight == pytest.approx(math.log(3.0), abs=0.005)
    assert reason.source.startswith("EST")


def test_the_ranking_is_immutable_and_stamped_with_the_knowledge_version() -> None:
    import dataclasses

    ranking = rank({})
    assert ranking.knowledge_version == load_knowledge().version
    with pytest.raises(dataclasses.FrozenInstanceError):
        ranking.causes[0].probability = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        load_knowledge().base_prior["hamstring_strain"] = 1.0  # type: ignore[index]


def test_expected_recovery_is_given_for_the_leading_cause() -> None:
    ranking = rank({"onset": "sudden_sprint", "muscle_belly_tenderness": True})
    assert ranking.expected_recovery.cause == ranking.causes[0].code == "hamstring_strain"
    assert "weeks" in ranking.expected_recovery.typical


# --- Red flags (contract table) -----------------------------------------------------------


@pytest.mark.parametrize("field", ["saddle_numbness", "bladder_or_bowel_change"])
def test_saddle_numbness_or_sphincter_change_raises_cauda_equina_as_an_emergency(
    field: str,
) -> None:
    (flag,) = rank({field: True}).red_flags
    assert (flag.code, flag.urgency, flag.because) == ("cauda_equina", "emergency", (field,))
    assert "hospital" in flag.action


def test_calf_or_thigh_swelling_and_warmth_raises_dvt_as_an_emergency() -> None:
    (flag,) = rank(
        {"leg_swelling_warmth": True, "recent_immobility_or_long_travel": True}
    ).red_flags
    assert (flag.code, flag.urgency) == ("dvt_suspected", "emergency")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("unexplained_weight_loss", True),
        ("fever_or_unwell", True),
        ("cancer_history", True),
        ("palpable_mass", True),
        ("night_pain", "constant"),
    ],
)
def test_each_systemic_or_mass_feature_raises_serious_pathology(field: str, value: Any) -> None:
    (flag,) = rank({field: value}).red_flags
    assert (flag.code, flag.urgency, flag.because) == ("serious_pathology", "urgent", (field,))


def test_positional_night_pain_is_not_a_red_flag() -> None:
    assert flag_codes({"night_pain": "positional"}) == set()


@pytest.mark.parametrize("field", ["progressive_weakness", "bilateral_leg_symptoms"])
def test_progressive_weakness_or_bilateral_symptoms_raise_progressive_neuro_deficit(
    field: str,
) -> None:
    assert flag_codes({field: True}) == {"progressive_neuro_deficit"}


@pytest.mark.parametrize(
    "findings",
    [
        {"palpable_defect": True},
        {"unable_to_activate_hamstring": True},
        {"onset": "sudden_stretch", "felt_pop": True},
        {"onset": "sudden_stretch", "bruising": True},
        {"onset": "sudden_stretch", "resisted_knee_flexion": "weak"},
        {"onset": "sudden_stretch", "resisted_knee_flexion": "painful_and_weak"},
        {
            "age": 15,
            "onset": "sudden_sprint",
            "pain_locations": ["sit_bone"],
            "resisted_knee_flexion": "weak",
        },
        {"age": 16, "sit_bone_tenderness": True, "run_response": "cannot_run"},
    ],
)
def test_each_avulsion_rule_raises_suspected_avulsion(findings: dict[str, Any]) -> None:
    assert "suspected_avulsion" in flag_codes(findings)


def test_a_pop_while_sprinting_with_no_other_sign_is_a_strain_not_an_avulsion_flag() -> None:
    findings = {"onset": "sudden_sprint", "felt_pop": True}
    assert flag_codes(findings) == set()
    assert top(findings) == "hamstring_strain"


def test_sit_bone_tenderness_with_inability_to_run_is_an_avulsion_flag_only_under_18() -> None:
    assert (
        flag_codes({"age": 30, "sit_bone_tenderness": True, "run_response": "cannot_run"}) == set()
    )


@pytest.mark.parametrize(
    "findings",
    [
        {"hop_test": "painful"},
        {"hop_test": "unable"},
        {"hop_test": "not_done_unsafe"},
        {"bony_tenderness": True},
        {"fulcrum_test": "positive"},
        {"antalgic_gait": True, "onset": "gradual"},
        {"single_leg_stand_pain": "positive", "onset": "unknown"},
    ],
)
def test_each_bone_stress_rule_raises_suspected_bone_stress_injury(
    findings: dict[str, Any],
) -> None:
    assert flag_codes(findings) == {"suspected_bone_stress_injury"}


def test_a_limp_after_a_sudden_injury_confined_to_the_thigh_is_not_a_bone_stress_flag() -> None:
    findings = {"antalgic_gait": True, "onset": "sudden_sprint", "pain_locations": ["mid_thigh"]}
    assert flag_codes(findings) == set()


def test_red_flags_are_rules_not_probabilities() -> None:
    """A classic tendinopathy picture with a cancer history still raises the flag."""
    findings = {
        "age": 35,
        "pain_locations": ["sit_bone"],
        "sit_bone_tenderness": True,
        "modified_bent_knee_stretch": "positive",
        "cancer_history": True,
    }
    ranking = rank(findings)
    assert ranking.causes[0].code == "proximal_hamstring_tendinopathy"
    assert [f.code for f in ranking.red_flags] == ["serious_pathology"]


def test_emergencies_are_listed_before_urgent_flags() -> None:
    ranking = rank({"progressive_weakness": True, "saddle_numbness": True})
    assert [f.urgency for f in ranking.red_flags] == ["emergency", "urgent"]


# --- Run advice (contract's ordered rules) ------------------------------------------------

SETTLED_MILD = {"run_response": "warms_up", "pain_run_nrs": 3, "next_day_response": "settled"}


def test_pain_travelling_down_the_leg_during_a_run_means_stop_and_seek_care() -> None:
    result = rank({**SETTLED_MILD, "pain_travels_during_run": True}).run_advice
    assert result.advice == "stop_and_seek_care"
    assert result.because == ("pain_travels_during_run",)


def test_any_red_flag_wins_over_otherwise_reassuring_running() -> None:
    result = rank({**SETTLED_MILD, "bony_tenderness": True}).run_advice
    assert result.advice == "stop_and_seek_care"
    assert result.because == ("bony_tenderness",)


@pytest.mark.parametrize(
    ("findings", "because"),
    [
        ({"pain_run_nrs": 5}, ("pain_run_nrs",)),
        ({"run_response": "builds", "pain_run_nrs": 2}, ("run_response",)),
        ({"run_response": "cannot_run"}, ("run_response",)),
        ({"run_response": "builds", "pain_run_nrs": 7}, ("pain_run_nrs", "run_response")),
    ],
)
def test_pain_of_5_or_more_building_pain_or_no_running_means_stop(
    findings: dict[str, Any], because: tuple[str, ...]
) -> None:
    result = rank(findings).run_advice
    assert (result.advice, result.because) == ("stop", because)


def test_pain_that_warms_up_stays_mild_and_settles_overnight_means_continue() -> None:
    result = rank(SETTLED_MILD).run_advice
    assert result.advice == "continue"
    assert set(result.because) == set(SETTLED_MILD)


@pytest.mark.parametrize(
    "findings",
    [
        {**SETTLED_MILD, "pain_run_nrs": 4},
        {**SETTLED_MILD, "next_day_response": "same"},
        {**SETTLED_MILD, "next_day_response": "worse"},
        {"run_response": "warms_up", "pain_run_nrs": 3},
        {"run_response": "steady", "pain_run_nrs": 2, "next_day_response": "settled"},
    ],
)
def test_everything_else_about_running_means_modify(findings: dict[str, Any]) -> None:
    assert advice(findings) == "modify"


def test_when_nothing_about_running_is_known_the_advice_is_modify() -> None:
    result = rank({"age": 35, "pain_locations": ["sit_bone"]}).run_advice
    assert (result.advice, result.because) == ("modify", ())


# --- See a professional (seed triggers) ---------------------------------------------------


@pytest.mark.parametrize(
    ("findings", "because"),
    [
        ({"duration_weeks": 3, "trend": "unchanged"}, ("duration_weeks", "trend")),
        ({"duration_weeks": 6, "trend": "worsening"}, ("duration_weeks", "trend")),
        ({"severe_despite_reduced_activity": True}, ("severe_despite_reduced_activity",)),
        ({"spreading_to_new_areas": True}, ("spreading_to_new_areas",)),
        (
            {"hop_test": "painful", "onset": "sudden_sprint", "pain_locations": ["mid_thigh"]},
            ("hop_test",),
        ),
        ({"unchanged_by_anything": True}, ("unchanged_by_anything",)),
        ({"leg_swelling_warmth": True}, ("leg_swelling_warmth",)),
    ],
)
def test_each_seed_trigger_says_see_a_professional(
    findings: dict[str, Any], because: tuple[str, ...]
) -> None:
    result = rank(findings).see_professional
    assert result.needed
    assert result.because == because


def test_two_weeks_that_are_improving_do_not_need_a_professional() -> None:
    result = rank({"duration_weeks": 3, "trend": "improving", "hop_test": "pain_free"})
    assert not result.see_professional.needed
    assert result.see_professional.because == ()


# --- Next best tests ----------------------------------------------------------------------


def test_next_best_tests_are_untested_examination_findings_that_separate_the_leaders() -> None:
    findings = {"pain_locations": ["sit_bone", "deep_buttock"], "aggravated_by_sitting": True}
    ranking = rank(findings)
    leaders = {c.code for c in ranking.causes[:3]}
    vocabulary = load_vocabulary()
    assert 1 <= len(ranking.next_best_tests) <= 3
    for test in ranking.next_best_tests:
        assert vocabulary.field(test.field).section == "examination"
        assert test.field not in findings
        assert test.field != "askling_h_test"
        assert len(test.separates) >= 2
        assert set(test.separates) <= leaders
        assert test.expected_change > 0
    changes = [t.expected_change for t in ranking.next_best_tests]
    assert changes == sorted(changes, reverse=True)


def test_a_sit_bone_versus_buttock_nerve_question_suggests_tests_that_tell_them_apart() -> None:
    findings = {"pain_locations": ["sit_bone", "deep_buttock"], "aggravated_by_sitting": True}
    suggested = {t.field for t in rank(findings).next_best_tests}
    assert suggested & {
        "sit_bone_tenderness",
        "modified_bent_knee_stretch",
        "bent_knee_stretch",
        "deep_gluteal_tenderness",
        "seated_piriformis_stretch",
        "active_piriformis_test",
        "slump_test",
    }


@pytest.mark.parametrize(
    "findings",
    [
        {"bony_tenderness": True},
        {"pain_locations": ["groin"]},
        {"night_pain": "constant"},
        {"single_leg_stand_pain": "positive"},
        {"run_response": "builds", "sex": "female", "recent_load_changes": ["volume"]},
    ],
)
def test_the_hop_test_is_never_suggested_when_bone_stress_is_a_concern(
    findings: dict[str, Any],
) -> None:
    assert "hop_test" not in {t.field for t in rank(findings).next_best_tests}


# --- Contract shape -----------------------------------------------------------------------


def test_contract_output_has_exactly_the_contract_keys() -> None:
    out = ranking_to_contract(rank({"pain_locations": ["sit_bone"]}), case_id="C1")
    assert list(out) == [
        "id",
        "causes",
        "red_flags",
        "run_advice",
        "see_professional",
        "next_best_tests",
        "expected_recovery",
        "knowledge_version",
    ]
    assert out["knowledge_version"] == load_knowledge().version
    cause = out["causes"][0]
    assert list(cause) == ["code", "name", "probability", "for", "against"]
    assert list(cause["for"][0]) == ["field", "value", "weight", "source"]
    assert list(out["run_advice"]) == ["advice", "because"]
    assert list(out["see_professional"]) == ["needed", "because"]
    assert list(out["expected_recovery"]) == ["cause", "typical"]
    assert set(out["next_best_tests"][0]) == {"field", "separates", "expected_change"}
    json.dumps(out)


def test_contract_output_lists_all_eight_causes_with_probabilities_summing_to_one() -> None:
    out = ranking_to_contract(rank({"back_pain": True}))
    assert "id" not in out
    assert sorted(c["code"] for c in out["causes"]) == sorted(CAUSES)
    probabilities = [c["probability"] for c in out["causes"]]
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-9)
    assert probabilities == sorted(probabilities, reverse=True)


def test_contract_red_flag_shape_matches_the_example() -> None:
    findings = {"onset": "gradual", "hop_test": "painful", "bony_tenderness": True}
    out = ranking_to_contract(rank({**findings, "pain_locations": ["mid_thigh"]}))
    (flag,) = out["red_flags"]
    assert flag["code"] == "suspected_bone_stress_injury"
    assert flag["urgency"] == "urgent"
    assert flag["because"] == ["bony_tenderness", "hop_test", "onset"]
    assert flag["action"].startswith("Stop running; refer for imaging")


def test_set_values_are_written_as_json_lists() -> None:
    out = ranking_to_contract(rank({"pain_locations": ["deep_buttock"]}))
    values = [r["value"] for c in out["causes"] for r in c["for"] + c["against"]]
    assert ["deep_buttock"] in values
    assert all(not isinstance(v, tuple) for v in values)


# --- Errors name the field ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("findings", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"age": 7}, "age"),
        ({"age": "forty"}, "age"),
        ({"back_pain": "yes"}, "back_pain"),
        ({"slump_test": "equivocal"}, "slump_test"),
        ({"pain_locations": ["shin"]}, "pain_locations"),
        ({"pain_locations": "sit_bone"}, "pain_locations"),
        ({"pain_run_nrs": 11}, "pain_run_nrs"),
    ],
)
def test_invalid_findings_raise_an_error_naming_the_field(
    findings: dict[str, Any], field: str
) -> None:
    with pytest.raises(FindingsError) as caught:
        rank(findings)
    assert field in caught.value.errors


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(FindingsError) as caught:
        rank({"age": 200, "onset": "slowly", "sit_bone_tenderness": True})
    assert set(caught.value.errors) == {"age", "onset"}


def test_findings_that_are_not_an_object_are_an_error_about_findings() -> None:
    with pytest.raises(FindingsError) as caught:
        rank(["sit_bone"])  # type: ignore[arg-type]
    assert "findings" in caught.value.errors


# --- Batch input forms --------------------------------------------------------------------


def test_a_batch_ranks_good_cases_and_reports_bad_ones_by_field() -> None:
    data = [
        {"id": "good", "findings": {"pain_locations": ["sit_bone"]}, "narrative": "ignored"},
        {"id": "bad", "findings": {"age": 3}},
        {"sit_bone_tenderness": True},
        "not a case",
    ]
    outcomes = rank_batch(data)
    assert [o.ok for o in outcomes] == [True, False, True, False]
    assert outcomes[0].id == "good"
    assert outcomes[1].errors == {"age": "must be between 10 and 100"}
    assert outcomes[2].id is None
    assert "case" in (outcomes[3].errors or {})


def test_contract_input_returns_a_list_for_a_list_and_an_object_for_an_object() -> None:
    listed, _ = rank_contract_input([{"id": 1, "findings": {}}, {"id": 2, "findings": {"x": 1}}])
    assert isinstance(listed, list)
    assert listed[0]["id"] == 1 and "causes" in listed[0]
    assert listed[1] == {"id": 2, "errors": {"x": "unknown field (not in the findings vocabulary)"}}
    single, outcomes = rank_contract_input({"back_pain": True})
    assert isinstance(single, dict) and "causes" in single and outcomes[0].ok


def test_a_vignette_file_is_valid_input() -> None:
    from pathlib import Path

    import assessments

    path = Path(assessments.__file__).with_name("vignettes") / "dev.json"
    outcomes = rank_batch(json.loads(path.read_text(encoding="utf-8")))
    assert outcomes and all(o.ok for o in outcomes)


# --- Knowledge report ---------------------------------------------------------------------


def test_the_knowledge_report_lists_every_prior_weight_and_rule_with_its_source() -> None:
    kb = load_knowledge()
    text = knowledge_report().as_text()
    assert kb.version in text
    for cause in CAUSES:
        assert kb.prior_reasons[cause] in text
    for rule in kb.weights:
        assert rule.condition.text in text
        for weight in rule.weights:
            assert weight.source in text
    for flag in kb.red_flags:
        assert flag.code in text and flag.action in text
    for info in kb.registry.flags.values():
        assert info.runner in text
    for rule in kb.run_advice:
        assert rule.advice in text
    assert "askling_h_test" in text


def test_the_knowledge_report_is_structured_for_a_web_page() -> None:
    report = knowledge_report()
    titles = [s.title for s in report.sections]
    assert "Priors" in titles and "Red flags" in titles
    for section in report.sections:
        assert all(len(row) == len(section.columns) for row in section.rows)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('when = "sit_bone_tenderness"', 'when = "sit_bone_tendernes"', "unknown field"),
        ('when = "fadir = positive"', 'when = "fadir = maybe"', "not a value of fadir"),
        ("lr.hamstring_strain = { est = 2.0,", "lr.hamstring_strain = { est = 9.0,", "caps"),
        ("lr.hamstring_strain = { est = 2.0,", "lr.hamstring_sprain = { est = 2.0,", "cause"),
        ('when = "sit_bone_tenderness"', 'when = "(sit_bone_tenderness or missing)"', "or missing"),
        ('"bony_tenderness",', '"bony_tenderness or missing",', "cannot read clause"),
        (
            '"fulcrum_test = positive",',
            '"(onset confined_to (gradual) or missing)",',
            "does not apply",
        ),
    ],
)
def test_a_knowledge_file_with_a_mistake_fails_loudly(
    tmp_path: Any, old: str, new: str, message: str
) -> None:
    from assessments.differential.knowledge import KNOWLEDGE_PATH, KnowledgeError

    text = KNOWLEDGE_PATH.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "knowledge.toml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=message):
        load_knowledge(broken)


@pytest.mark.parametrize(
    ("text", "findings", "holds"),
    [
        ("back_pain", {"back_pain": True}, True),
        ("not back_pain", {"back_pain": False}, True),
        ("not back_pain", {}, False),
        ("onset != gradual", {}, False),
        ("onset != gradual", {"onset": "unknown"}, True),
        ("onset not in (sudden_sprint, sudden_stretch)", {}, False),
        ("onset not in (sudden_sprint, sudden_stretch)", {"onset": "gradual"}, True),
        ("pain_locations has sit_bone", {"pain_locations": ["sit_bone"]}, True),
        ("pain_locations lacks groin", {}, False),
        ("pain_locations lacks groin", {"pain_locations": []}, True),
        ("pain_locations lacks_all (groin, sit_bone)", {"pain_locations": ["sit_bone"]}, False),
        ("pain_locations has_any (groin, sit_bone)", {"pain_locations": ["sit_bone"]}, True),
        ("recent_load_changes is_empty", {"recent_load_changes": []}, True),
        ("age >= 40 and sex = female", {"age": 40, "sex": "female"}, True),
        ("age >= 40 and sex = female", {"age": 40}, False),
        ("pain_run_nrs <= 3", {"pain_run_nrs": 4}, False),
        ("(back_pain or missing)", {}, True),
        ("(back_pain or missing)", {"back_pain": False}, False),
        ("(not back_pain or missing)", {"back_pain": True}, False),
        ("(onset not in (sudden_sprint, sudden_stretch) or missing)", {}, True),
        ("(onset not in (sudden_sprint, sudden_stretch) or missing)", {"onset": "unknown"}, True),
        (
            "(onset not in (sudden_sprint, sudden_stretch) or missing)",
            {"onset": "sudden_stretch"},
            False,
        ),
        ("(age < 18 or missing) and sit_bone_tenderness", {"sit_bone_tenderness": True}, True),
        ("(age < 18 or missing) and sit_bone_tenderness", {"age": 13}, False),
        (
            "pain_locations confined_to (sit_bone, mid_thigh)",
            {"pain_locations": ["mid_thigh"]},
            True,
        ),
        ("pain_locations confined_to (sit_bone, mid_thigh)", {"pain_locations": []}, False),
        ("pain_locations confined_to (sit_bone, mid_thigh)", {}, False),
        ("pain_locations not confined_to (sit_bone)", {"pain_locations": ["sit_bone"]}, False),
        (
            "pain_locations not confined_to (sit_bone)",
            {"pain_locations": ["sit_bone", "groin"]},
            True,
        ),
        ("pain_locations not confined_to (sit_bone)", {"pain_locations": []}, True),
        ("pain_locations not confined_to (sit_bone)", {}, False),
        ("(pain_locations not confined_to (sit_bone) or missing)", {}, True),
    ],
)
def test_the_condition_language_reads_an_absent_field_as_true_only_when_told_or_missing(
    text: str, findings: dict[str, Any], holds: bool
) -> None:
    from assessments.differential.conditions import parse_condition

    assert parse_condition(text, load_vocabulary()).holds(findings) is holds
