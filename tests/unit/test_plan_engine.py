"""build_plan(): what each protocol prescribes, refer-first gates and the plan's contents.

No database, no Django: the engine is plain Python.
"""

from __future__ import annotations

import json

import pytest

from rehab.engine import (
    PlanDraft,
    ReferFirst,
    build_plan,
    knowledge,
    ladder,
    ladder_steps,
    protocol,
    protocols,
    step,
)

PLANNED = [p.diagnosis for p in protocols() if not p.refer_first]


def plan(diagnosis: str) -> PlanDraft:
    result = build_plan(diagnosis=diagnosis)
    assert isinstance(result, PlanDraft)
    return result


def phase1_steps(diagnosis: str) -> dict[str, str]:
    return {e.ladder: e.code for e in plan(diagnosis).exercises}


def position(code: str) -> int:
    return step(code).position


# --- Refer-first gates ------------------------------------------------------------------------


def test_avulsion_is_refer_first_with_mri_and_surgical_opinion_and_no_exercises():
    result = build_plan(diagnosis="proximal_hamstring_avulsion")
    assert isinstance(result, ReferFirst)
    assert "MRI" in result.reason
    assert "orthopaedic" in result.reason
    assert result.urgency == "within_days"
    assert not hasattr(result, "exercises")
    assert {"Subbu2015", "BJO-2022"} <= set(result.sources)


@pytest.mark.parametrize("diagnosis", PLANNED)
def test_any_red_flag_turns_every_diagnosis_into_refer_first(diagnosis):
    result = build_plan(diagnosis=diagnosis, red_flags=["dvt_suspected"])
    assert isinstance(result, ReferFirst)
    assert result.red_flags[0].code == "dvt_suspected"
    assert "thrombosis" in result.red_flags[0].condition
    assert result.urgency == "emergency"


def test_cauda_equina_red_flag_is_an_emergency_that_outranks_other_flags():
    result = build_plan(
        diagnosis="lumbar_referred_pain", red_flags=["serious_pathology", "cauda_equina"]
    )
    assert isinstance(result, ReferFirst)
    assert result.urgency == "emergency"
    assert [f.code for f in result.red_flags] == ["serious_pathology", "cauda_equina"]
    assert "cauda equina" in result.reason.lower()


def test_unknown_red_flag_code_still_refers_with_the_generic_action():
    result = build_plan(diagnosis="hamstring_strain", red_flags=["something_new"])
    assert isinstance(result, ReferFirst)
    flag = result.red_flags[0]
    assert flag.known is False
    assert flag.urgency == "urgent"
    assert "something_new" in result.reason


def test_blank_red_flag_codes_are_ignored_and_duplicates_merged():
    assert isinstance(build_plan(diagnosis="hamstring_strain", red_flags=["", "  "]), PlanDraft)
    result = build_plan(diagnosis="hamstring_strain", red_flags=["serious_pathology"] * 2)
    assert isinstance(result, ReferFirst)
    assert len(result.red_flags) == 1


def test_red_flags_given_as_a_single_string_are_rejected():
    with pytest.raises(TypeError):
        build_plan(diagnosis="hamstring_strain", red_flags="cauda_equina")


def test_avulsion_with_a_red_flag_keeps_both_reasons_and_the_more_urgent_level():
    result = build_plan(diagnosis="proximal_hamstring_avulsion", red_flags=["cauda_equina"])
    assert isinstance(result, ReferFirst)
    assert result.urgency == "emergency"
    assert "MRI" in result.reason
    assert "cauda equina syndrome" in result.reason
    assert "cauda_equina" not in result.reason  # the PT reads the registry's name, not the code


def test_unknown_diagnosis_raises_key_error_naming_the_known_codes():
    with pytest.raises(KeyError, match="hamstring_strain"):
        build_plan(diagnosis="shin_splints")


# --- Proximal hamstring tendinopathy ----------------------------------------------------------


def test_tendinopathy_phase1_starts_with_isometric_bridge_holds_and_no_rdl():
    steps = phase1_steps("proximal_hamstring_tendinopathy")
    assert steps["bridge"] == "bridge_isometric_double"
    assert "rdl" not in steps


def test_tendinopathy_phase1_has_only_low_hip_flexion_exercises():
    for exercise in plan("proximal_hamstring_tendinopathy").exercises:
        assert exercise.step.hip_flexion.level == "low", exercise.code
        assert exercise.step.hip_flexion.degrees <= 30


def test_tendinopathy_adds_hip_flexion_gradually_no_rdl_before_phase3_and_full_rdl_later():
    phases = protocol("proximal_hamstring_tendinopathy").phases
    assert len(phases) == 4  # Goom's four stages
    assert phases[0].start_step("rdl") is None
    assert phases[1].start_step("rdl") is None
    assert phases[2].start_step("rdl").code == "rdl_hinge_dowel"
    assert position(phases[3].start_step("rdl").code) > position("rdl_full_range")


def test_tendinopathy_avoids_static_stretching_and_loaded_deep_hip_flexion_citing_goom():
    avoid = plan("proximal_hamstring_tendinopathy").avoid
    stretching = [a for a in avoid if "stretch" in a.what.lower()]
    deep_flexion = [a for a in avoid if "deep" in a.what.lower()]
    assert stretching and "Goom2016" in stretching[0].source
    assert deep_flexion and "Goom2016" in deep_flexion[0].source


def test_tendinopathy_keeps_running_easy_and_flat_with_speed_and_hills_last():
    draft = plan("proximal_hamstring_tendinopathy")
    assert draft.running.step.code == "run_continuous_easy"
    first_phase_with_hills = next(
        p.number for p in draft.phases if position(p.running.code) >= position("run_hills")
    )
    assert first_phase_with_hills == 4


def test_tendinopathy_uses_the_tendon_threshold_of_3():
    draft = plan("proximal_hamstring_tendinopathy")
    assert draft.tissue.code == "tendon"
    assert draft.pain_limit == 3


def test_tendinopathy_timeline_is_months_not_weeks():
    timeline = plan("proximal_hamstring_tendinopathy").timeline
    assert timeline.weeks == (12, 26)
    assert timeline.upper_weeks == 52  # seed: up to a year


# --- Other causes -----------------------------------------------------------------------------


def test_distal_tendinopathy_starts_with_isometric_bridges_and_no_rdl():
    steps = phase1_steps("distal_hamstring_tendinopathy")
    assert steps == {"bridge": "bridge_isometric_double"}
    assert plan("distal_hamstring_tendinopathy").pain_limit == 3


def test_strain_starts_loading_and_lengthening_early_with_pain_up_to_4():
    draft = plan("hamstring_strain")
    steps = phase1_steps("hamstring_strain")
    assert draft.pain_limit == 4
    assert steps["bridge"] == "bridge_double"
    assert steps["rdl"] == "rdl_hinge_dowel"  # early lengthening (Askling)
    # Askling's extender is a prescribed item of phase 1, not a line of text (issue 11).
    extender = next(a for a in draft.activities if a.code == "askling_extender_slow")
    assert "Askling2013" in extender.source
    assert draft.running.step.code == "run_brisk_walk"


def test_strain_phase1_bridge_dose_is_4_sets_of_15():
    bridge = next(e for e in plan("hamstring_strain").exercises if e.ladder == "bridge")
    assert bridge.dose.sets == 4
    assert bridge.dose.reps == "15"
    assert step("bridge_double").dose.sets == 3  # the ladder's own dose is unchanged


def test_strain_avoids_aggressive_stretching_and_calendar_progression():
    whats = " ".join(a.what.lower() for a in plan("hamstring_strain").avoid)
    assert "stretch" in whats
    assert "by the date" in whats


@pytest.mark.parametrize("diagnosis", ["lumbar_referred_pain", "deep_gluteal_syndrome"])
def test_nerve_causes_avoid_stretching_and_start_without_a_hinge(diagnosis):
    draft = plan(diagnosis)
    assert draft.tissue.code == "nerve"
    assert draft.pain_limit == 3
    assert "rdl" not in phase1_steps(diagnosis)
    assert any("stretch" in a.what.lower() for a in draft.avoid)
    assert draft.running.step.code == "run_walk_run_short"


@pytest.mark.parametrize("diagnosis", ["lumbar_referred_pain", "deep_gluteal_syndrome"])
def test_nerve_causes_safety_net_for_cauda_equina(diagnosis):
    assert any("saddle" in line for line in plan(diagnosis).safety_net)


def test_deep_gluteal_avoids_flexion_adduction_rotation_and_long_sitting():
    whats = " ".join(a.what.lower() for a in plan("deep_gluteal_syndrome").avoid)
    assert "turned in" in whats
    assert "sitting" in whats


def test_hip_joint_avoids_loaded_deep_flexion_with_rotation_and_starts_without_rdl():
    draft = plan("hip_joint_referred_pain")
    assert "rdl" not in phase1_steps("hip_joint_referred_pain")
    pinch = [a for a in draft.avoid if "knee turns in" in a.what]
    assert pinch and {"Wong2022", "Kemp2020-consensus"} <= set(pinch[0].source)


def test_bone_stress_injury_has_no_running_in_phase1_and_a_zero_pain_limit():
    draft = plan("bone_stress_injury")
    assert draft.running.step.code == "run_none_cross_train"
    assert draft.running.step.activity == "none"
    assert draft.running.requires_clearance is True
    assert draft.pain_limit == 0


def test_bone_stress_injury_running_only_returns_in_the_last_phase():
    phases = protocol("bone_stress_injury").phases
    running_phases = [p.number for p in phases if p.running.involves_running]
    assert running_phases == [len(phases)]


def test_bone_stress_injury_plan_says_a_doctor_is_needed_alongside():
    draft = plan("bone_stress_injury")
    assert draft.referral_note and "scan" in draft.referral_note
    assert any("hop" in line.lower() for line in draft.safety_net)


def test_bone_stress_running_rules_print_only_the_pain_free_rule_not_pain_scores():
    actions = {r.when: r.action for r in plan("bone_stress_injury").running.rules}
    assert "You feel any pain while running." in actions
    assert not any("5 out of 10" in when for when in actions)
    assert "continue" not in actions.values()


# --- Every plan -------------------------------------------------------------------------------


@pytest.mark.parametrize("diagnosis", PLANNED)
def test_every_plan_has_phases_exercises_running_avoid_timeline_and_version(diagnosis):
    draft = plan(diagnosis)
    assert len(draft.phases) >= 3
    assert draft.exercises == draft.phases[0].exercises
    assert draft.exercises
    assert draft.running.step.ladder == "running"
    assert draft.avoid
    assert draft.timeline.weeks[0] <= draft.timeline.weeks[1] <= draft.timeline.upper_weeks
    assert draft.knowledge_version == knowledge().version
    assert draft.what_is_going_on and "\n" not in draft.what_is_going_on


@pytest.mark.parametrize("diagnosis", PLANNED)
def test_every_plan_starts_each_ladder_at_the_bottom_half_and_never_at_the_top(diagnosis):
    for exercise in plan(diagnosis).exercises:
        steps = ladder_steps(exercise.ladder)
        assert exercise.step.position <= len(steps) // 2, exercise.code


@pytest.mark.parametrize("diagnosis", PLANNED)
def test_every_plan_running_rules_include_stop_and_call_when_pain_travels(diagnosis):
    rules = plan(diagnosis).running.rules
    assert any(r.action == "stop_and_call" and "travel" in r.when for r in rules)


@pytest.mark.parametrize("diagnosis", PLANNED)
def test_every_plan_lists_its_sources_and_they_include_the_protocol_sources(diagnosis):
    draft = plan(diagnosis)
    assert set(protocol(diagnosis).source) <= set(draft.sources)


def test_plan_as_dict_is_json_serialisable():
    data = plan("proximal_hamstring_tendinopathy").as_dict()
    text = json.dumps(data)
    assert "bridge_isometric_double" in text
    assert data["exercises"][0]["step"]["illustration"] == "bridge_isometric_double.svg"


def test_dose_summary_reads_as_a_plan_line():
    assert step("bridge_isometric_double").dose.summary() == (
        "5 × 45 s hold · rest 2 min · 7× a week"
    )
    assert step("bridge_double").dose.summary().startswith("3 × 15 · 3 s up, 3 s down")
    assert "2 min walk / 3 min run" in step("run_walk_run_short").dose.summary()


def test_lookup_helpers_return_ladders_steps_and_protocols():
    assert ladder_steps("bridge")[0].code == "bridge_isometric_double"
    assert ladder("rdl").last.code == "rdl_heavy"
    assert step("hip_thrust_barbell").static_path == "rehab/illustrations/hip_thrust_barbell.svg"
    assert protocol("hamstring_strain").tissue == "strain"
    with pytest.raises(KeyError):
        step("nordic_curl")
