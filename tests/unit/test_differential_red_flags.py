"""Contract 1.1 red flags, trigger by trigger and field by field, and the next-test limits.

Written from the contract's red-flag table and its "Changes" (1.1), not from any vignette. For
every field a trigger reads: the value that raises it, the values that do not, and the "not
recorded" case as the knowledge file decides it (``(clause or missing)``). Pure Python.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from typing import Any

import pytest

from assessments.differential import load_knowledge, rank
from assessments.differential.engine import rank_validated
from assessments.differential.knowledge import KNOWLEDGE_PATH

BONE = "suspected_bone_stress_injury"
AVULSION = "suspected_avulsion"
SUDDEN = ("sudden_sprint", "sudden_stretch")
NOT_SUDDEN = ("gradual", "unknown", None)  # None: onset not recorded counts as not sudden
BACK_OF_THIGH = ("sit_bone", "mid_thigh", "posterior_knee_medial", "posterior_knee_lateral")
# A painful, impossible or withheld hop, a limp, or pain standing on the leg.
LOADING_SIGNS = [
    {"hop_test": "painful"},
    {"hop_test": "unable"},
    {"hop_test": "not_done_unsafe"},
    {"antalgic_gait": True},
    {"single_leg_stand_pain": "positive"},
]
NO_LOADING_SIGN = [
    {"hop_test": "pain_free"},
    {"hop_test": None},
    {"antalgic_gait": False},
    {"antalgic_gait": None},
    {"single_leg_stand_pain": "negative"},
    {"single_leg_stand_pain": None},
]
# The contract's tests that load a suspected bone or avulsion.
CONTRACT_LOADING_TESTS = (
    "hop_test",
    "single_leg_stand_pain",
    "fulcrum_test",
    "resisted_knee_flexion",
)


def codes(findings: dict[str, Any]) -> set[str]:
    return {flag.code for flag in rank(findings).red_flags}


def suggested(findings: dict[str, Any]) -> set[str]:
    return {test.field for test in rank(findings).next_best_tests}


def sign_id(sign: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in sign.items())


# --- Knowledge file: version, contract marker, one urgency per code ----------------------


def test_the_knowledge_is_stamped_for_contract_1_1_with_a_new_version() -> None:
    with KNOWLEDGE_PATH.open("rb") as handle:
        meta = tomllib.load(handle)["meta"]
    assert meta["contract_version"] == "1.1"
    assert load_knowledge().version == meta["version"] != "2025.11-1"
    assert rank({}).knowledge_version == meta["version"]


def test_every_rule_of_a_flag_has_the_same_urgency_and_a_contract_source() -> None:
    urgencies: dict[str, set[str]] = {}
    for rule in load_knowledge().red_flags:
        urgencies.setdefault(rule.code, set()).add(rule.urgency)
        assert rule.source.startswith("Contract")
    assert all(len(found) == 1 for found in urgencies.values())


def test_the_fields_counted_when_not_recorded_are_the_documented_ones() -> None:
    """Onset (contract 1.1), the "confined to the back of the thigh" exemption and the three
    bone-stress risk factors; every other field must be recorded to count."""
    counted = {
        clause.field
        for rule in load_knowledge().red_flags
        for condition in rule.conditions
        for clause in condition.clauses
        if clause.missing_counts
    }
    assert counted == {
        "onset",
        "pain_locations",
        "low_energy_availability_signs",
        "previous_bone_stress_injury",
        "recent_load_changes",
    }


# --- Bone stress: focal bony tenderness, fulcrum -----------------------------------------


@pytest.mark.parametrize(
    ("findings", "raised"),
    [
        ({"bony_tenderness": True}, True),
        ({"bony_tenderness": False}, False),
        ({"bony_tenderness": None}, False),
        ({"fulcrum_test": "positive"}, True),
        ({"fulcrum_test": "negative"}, False),
        ({"fulcrum_test": None}, False),
    ],
)
def test_bony_tenderness_or_a_positive_fulcrum_test_flags_bone_stress_on_its_own(
    findings: dict[str, Any], raised: bool
) -> None:
    # A sudden onset with pain confined to the thigh: no other bone rule can hold.
    base = {"onset": "sudden_sprint", "pain_locations": ["mid_thigh"]}
    assert (BONE in codes({**base, **findings})) is raised


# --- Bone stress: groin pain with a loading sign, whatever the onset ---------------------


@pytest.mark.parametrize("sign", LOADING_SIGNS, ids=sign_id)
@pytest.mark.parametrize("onset", [*SUDDEN, *NOT_SUDDEN])
@pytest.mark.parametrize("locations", [["groin"], ["groin", "mid_thigh"], ["groin", "sit_bone"]])
def test_groin_pain_with_a_loading_sign_flags_bone_stress_whatever_the_onset(
    sign: dict[str, Any], onset: str | None, locations: list[str]
) -> None:
    assert BONE in codes({"onset": onset, "pain_locations": locations, **sign})


@pytest.mark.parametrize("sign", NO_LOADING_SIGN, ids=sign_id)
@pytest.mark.parametrize("onset", SUDDEN)
def test_groin_pain_after_a_sudden_onset_without_a_loading_sign_does_not_flag(
    sign: dict[str, Any], onset: str
) -> None:
    assert BONE not in codes({"onset": onset, "pain_locations": ["groin"], **sign})


# --- Bone stress: a loading sign when the onset was not sudden ---------------------------


@pytest.mark.parametrize("sign", LOADING_SIGNS, ids=sign_id)
@pytest.mark.parametrize("onset", NOT_SUDDEN)
def test_a_loading_sign_flags_bone_stress_when_the_onset_was_not_sudden_or_not_recorded(
    sign: dict[str, Any], onset: str | None
) -> None:
    assert BONE in codes({"onset": onset, "pain_locations": ["mid_thigh"], **sign})


@pytest.mark.parametrize("sign", NO_LOADING_SIGN, ids=sign_id)
@pytest.mark.parametrize("onset", NOT_SUDDEN)
def test_without_a_loading_sign_a_gradual_or_unrecorded_onset_does_not_flag(
    sign: dict[str, Any], onset: str | None
) -> None:
    assert BONE not in codes({"onset": onset, "pain_locations": ["mid_thigh"], **sign})


# --- Bone stress: after a sudden onset, only pain confined to the back of the thigh clears --


@pytest.mark.parametrize("sign", LOADING_SIGNS, ids=sign_id)
@pytest.mark.parametrize("onset", SUDDEN)
@pytest.mark.parametrize(
    "locations", [[place] for place in BACK_OF_THIGH] + [list(BACK_OF_THIGH)], ids=str
)
def test_after_a_sudden_onset_with_pain_confined_to_the_back_of_the_thigh_it_is_the_strain(
    sign: dict[str, Any], onset: str, locations: list[str]
) -> None:
    assert BONE not in codes({"onset": onset, "pain_locations": locations, **sign})


@pytest.mark.parametrize("sign", LOADING_SIGNS, ids=sign_id)
@pytest.mark.parametrize("onset", SUDDEN)
@pytest.mark.parametrize(
    "locations",
    [
        ["deep_buttock"],
        ["lower_back"],
        ["mid_thigh", "deep_buttock"],
        ["sit_bone", "lower_back"],
        [],  # asked, no location: not shown to be confined
        None,  # not recorded: not shown to be confined
    ],
    ids=str,
)
def test_after_a_sudden_onset_pain_beyond_the_back_of_the_thigh_keeps_the_flag(
    sign: dict[str, Any], onset: str, locations: list[str] | None
) -> None:
    assert BONE in codes({"onset": onset, "pain_locations": locations, **sign})


# --- Bone stress: groin pain that builds, with a risk factor, from history alone ---------

CLEAR_OF_RISK = {
    "low_energy_availability_signs": False,
    "previous_bone_stress_injury": False,
    "recent_load_changes": [],
}
GROIN_BUILDS = {"pain_locations": ["groin"], "run_response": "builds", **CLEAR_OF_RISK}


def test_groin_pain_that_builds_in_a_runner_clear_of_every_risk_factor_does_not_flag() -> None:
    assert codes(GROIN_BUILDS) == set()


@pytest.mark.parametrize(
    "risk",
    [
        {"low_energy_availability_signs": True},
        {"previous_bone_stress_injury": True},
        {"recent_load_changes": ["volume"]},
        {"recent_load_changes": ["speed"]},
        {"recent_load_changes": ["hills"]},
        {"recent_load_changes": ["return_from_break"]},
        {"recent_load_changes": ["new_surface_or_shoes", "volume"]},
    ],
    ids=sign_id,
)
@pytest.mark.parametrize("run_response", ["builds", "cannot_run"])
def test_groin_pain_that_builds_or_stops_running_with_a_risk_factor_flags_from_history(
    risk: dict[str, Any], run_response: str
) -> None:
    flags = rank({**GROIN_BUILDS, "run_response": run_response, **risk}).red_flags
    (flag,) = flags
    assert flag.code == BONE
    assert set(risk) <= set(flag.because)


@pytest.mark.parametrize(
    "risk",
    [
        {"low_energy_availability_signs": None},
        {"previous_bone_stress_injury": None},
        {"recent_load_changes": None},
    ],
    ids=sign_id,
)
def test_a_risk_factor_not_recorded_counts_as_present(risk: dict[str, Any]) -> None:
    (flag,) = rank({**GROIN_BUILDS, **risk}).red_flags
    assert flag.code == BONE
    assert not set(risk) & set(flag.because)  # a blank answer is not shown as a finding


def test_new_surface_or_shoes_is_not_a_jump_in_training() -> None:
    assert codes({**GROIN_BUILDS, "recent_load_changes": ["new_surface_or_shoes"]}) == set()


@pytest.mark.parametrize(
    "change",
    [
        {"run_response": "warms_up"},
        {"run_response": "steady"},
        {"run_response": None},
        {"pain_locations": ["mid_thigh"]},
        {"pain_locations": ["deep_buttock", "lower_back"]},
        {"pain_locations": None},
    ],
    ids=sign_id,
)
def test_the_history_rule_needs_recorded_groin_pain_that_builds_or_stops_running(
    change: dict[str, Any],
) -> None:
    assert BONE not in codes({**GROIN_BUILDS, "low_energy_availability_signs": True, **change})


# --- Avulsion ----------------------------------------------------------------------------

ADULT = {"age": 30}


@pytest.mark.parametrize(
    ("findings", "raised"),
    [
        ({"palpable_defect": True}, True),
        ({"palpable_defect": False}, False),
        ({"palpable_defect": None}, False),
        ({"unable_to_activate_hamstring": True}, True),
        ({"unable_to_activate_hamstring": False}, False),
        ({"unable_to_activate_hamstring": None}, False),
    ],
)
def test_a_gap_or_no_hamstring_activation_flags_avulsion_on_its_own(
    findings: dict[str, Any], raised: bool
) -> None:
    assert (AVULSION in codes({**ADULT, **findings})) is raised


STRETCH_SIGNS = [
    {"felt_pop": True},
    {"bruising": True},
    {"resisted_knee_flexion": "weak"},
    {"resisted_knee_flexion": "painful_and_weak"},
]


@pytest.mark.parametrize("sign", STRETCH_SIGNS, ids=sign_id)
def test_a_forced_stretch_with_a_pop_bruising_or_weakness_flags_avulsion(
    sign: dict[str, Any],
) -> None:
    assert AVULSION in codes({**ADULT, "onset": "sudden_stretch", **sign})


@pytest.mark.parametrize("sign", STRETCH_SIGNS, ids=sign_id)
@pytest.mark.parametrize("onset", ["sudden_sprint", *NOT_SUDDEN])
def test_the_same_signs_without_a_forced_stretch_do_not_flag_avulsion(
    sign: dict[str, Any], onset: str | None
) -> None:
    assert AVULSION not in codes({**ADULT, "onset": onset, **sign})


@pytest.mark.parametrize(
    "sign",
    [
        {"felt_pop": False},
        {"felt_pop": None},
        {"bruising": False},
        {"bruising": None},
        {"resisted_knee_flexion": "pain_free"},
        {"resisted_knee_flexion": "painful"},
        {"resisted_knee_flexion": None},
    ],
    ids=sign_id,
)
def test_a_forced_stretch_without_a_pop_bruising_or_weakness_does_not_flag_avulsion(
    sign: dict[str, Any],
) -> None:
    assert AVULSION not in codes({**ADULT, "onset": "sudden_stretch", **sign})


SIT_BONE_SIGNS = [
    {"pain_locations": ["sit_bone"]},
    {"pain_locations": ["sit_bone", "mid_thigh"]},
    {"sit_bone_tenderness": True},
]


@pytest.mark.parametrize("sign", SIT_BONE_SIGNS, ids=sign_id)
@pytest.mark.parametrize("age", [10, 13, 17])
@pytest.mark.parametrize("onset", [*SUDDEN, *NOT_SUDDEN])
def test_sit_bone_pain_or_tenderness_under_18_flags_avulsion_whatever_the_onset(
    sign: dict[str, Any], age: int | None, onset: str | None
) -> None:
    ranking = rank({"age": age, "onset": onset, **sign})
    flag = next(f for f in ranking.red_flags if f.code == AVULSION)
    assert "X-ray" in flag.action
    assert set(sign) <= set(flag.because)


@pytest.mark.parametrize("sign", SIT_BONE_SIGNS, ids=sign_id)
@pytest.mark.parametrize("age", [18, 30, 70, None])  # None: see the rule's "missing" note
def test_sit_bone_pain_or_tenderness_from_18_or_age_not_recorded_does_not_flag_avulsion(
    sign: dict[str, Any], age: int
) -> None:
    assert AVULSION not in codes({"age": age, "onset": "gradual", **sign})


@pytest.mark.parametrize(
    "findings",
    [
        {"pain_locations": ["mid_thigh"]},
        {"pain_locations": []},
        {"pain_locations": None},
        {"sit_bone_tenderness": False},
        {"sit_bone_tenderness": None},
        {"pain_locations": ["mid_thigh"], "sit_bone_tenderness": False},
    ],
    ids=sign_id,
)
def test_under_18_without_recorded_sit_bone_pain_or_tenderness_does_not_flag(
    findings: dict[str, Any],
) -> None:
    assert AVULSION not in codes({"age": 13, "onset": "gradual", **findings})


# --- The review's four situations (regression) -------------------------------------------


def test_groin_pain_a_limp_and_low_energy_with_onset_left_blank_is_a_bone_stress_flag() -> None:
    """The femoral-neck stress fracture the review found advised to keep running."""
    findings = {
        "sex": "female",
        "pain_locations": ["groin"],
        "antalgic_gait": True,
        "low_energy_availability_signs": True,
    }
    ranking = rank(findings)
    assert [f.code for f in ranking.red_flags] == [BONE]
    assert ranking.run_advice.advice == "stop_and_seek_care"
    assert "hop_test" not in {t.field for t in ranking.next_best_tests}


def test_a_painful_hop_after_an_acute_sprint_strain_is_not_a_false_bone_alarm() -> None:
    findings = {
        "onset": "sudden_sprint",
        "felt_pop": True,
        "bruising": True,
        "muscle_belly_tenderness": True,
        "pain_locations": ["mid_thigh"],
        "hop_test": "painful",
    }
    ranking = rank(findings)
    assert ranking.red_flags == ()
    assert ranking.causes[0].code == "hamstring_strain"


def test_a_13_year_old_with_gradual_sit_bone_pain_is_an_avulsion_flag_before_loading() -> None:
    ranking = rank({"age": 13, "onset": "gradual", "pain_locations": ["sit_bone"]})
    assert [f.code for f in ranking.red_flags] == [AVULSION]
    assert ranking.run_advice.advice == "stop_and_seek_care"
    assert not {t.field for t in ranking.next_best_tests} & set(CONTRACT_LOADING_TESTS)


def test_a_suspected_dvt_is_offered_no_further_tests() -> None:
    findings = {
        "leg_swelling_warmth": True,
        "recent_immobility_or_long_travel": True,
        "pain_locations": ["mid_thigh", "posterior_knee_medial"],
    }
    assert suggested({**findings, "leg_swelling_warmth": False})  # not vacuous
    ranking = rank(findings)
    assert [f.code for f in ranking.red_flags] == ["dvt_suspected"]
    assert ranking.next_best_tests == ()


# --- Next best tests ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "emergency", ["saddle_numbness", "bladder_or_bowel_change", "leg_swelling_warmth"]
)
@pytest.mark.parametrize(
    "findings",
    [
        {"pain_locations": ["sit_bone", "deep_buttock"], "aggravated_by_sitting": True},
        {"back_pain": True, "pain_below_knee": True, "pain_qualities": ["tingling"]},
        {"onset": "sudden_sprint", "pain_locations": ["mid_thigh"]},
    ],
    ids=["buttock", "back", "sprint"],
)
def test_no_next_test_is_offered_during_an_emergency_flag(
    emergency: str, findings: dict[str, Any]
) -> None:
    assert suggested({"age": 35, **findings})  # these findings do suggest tests ...
    assert suggested({"age": 35, **findings, emergency: True}) == set()  # ... but not now


def test_the_contract_loading_tests_are_gated_for_both_bone_and_avulsion_flags() -> None:
    gates = {gate.field: set(gate.red_flags) for gate in load_knowledge().test_gates}
    for field in CONTRACT_LOADING_TESTS:
        assert {BONE, AVULSION} <= gates[field], field


FLAGGED_CASES = [
    ({"age": 35, "onset": "gradual", "pain_locations": ["mid_thigh"], "hop_test": "painful"}, BONE),
    ({"age": 35, "pain_locations": ["deep_buttock"], "bony_tenderness": True}, BONE),
    ({"age": 35, "pain_locations": ["mid_thigh"], "bony_tenderness": True}, BONE),
    ({"sex": "female", "pain_locations": ["groin"], "antalgic_gait": True}, BONE),
    ({"age": 35, "onset": "sudden_stretch", "felt_pop": True}, AVULSION),
    ({"age": 35, "pain_locations": ["sit_bone"], "palpable_defect": True}, AVULSION),
    ({"age": 14, "onset": "gradual", "pain_locations": ["sit_bone"]}, AVULSION),
]


def gated_for(flag: str) -> set[str]:
    return {gate.field for gate in load_knowledge().test_gates if flag in gate.red_flags}


@pytest.mark.parametrize(("findings", "flag"), FLAGGED_CASES)
def test_no_test_that_loads_the_flagged_structure_is_offered(
    findings: dict[str, Any], flag: str
) -> None:
    ranking = rank(findings)
    assert flag in {f.code for f in ranking.red_flags}
    assert ranking.next_best_tests
    assert not {t.field for t in ranking.next_best_tests} & gated_for(flag)


@pytest.mark.parametrize(
    ("findings", "flag"), [FLAGGED_CASES[1], FLAGGED_CASES[2], FLAGGED_CASES[3], FLAGGED_CASES[6]]
)
def test_the_gates_in_the_knowledge_file_are_what_keeps_loading_tests_out(
    findings: dict[str, Any], flag: str
) -> None:
    """Without the gates the search would offer a loading test here: the data does the work."""
    ungated = rank_validated(findings, replace(load_knowledge(), test_gates=()))
    assert {t.field for t in ungated.next_best_tests} & gated_for(flag)
