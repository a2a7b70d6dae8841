"""propose_progression() and running_advice(): each rule of the pain-monitoring model."""

from __future__ import annotations

import datetime as dt

import pytest

from rehab.engine import (
    SessionLog,
    propose_progression,
    running_advice,
    running_advice_from_log,
)
from rehab.engine import knowledge as kb

DAY0 = dt.date(2025, 3, 3)


def log(day: int = 0, *, pain: int = 1, morning: str | None = "same", **kw) -> SessionLog:
    return SessionLog(
        date=DAY0 + dt.timedelta(days=day), exercise_pain=pain, next_morning=morning, **kw
    )


def propose(
    logs, *, who="proximal_hamstring_tendinopathy", ladder="bridge", at="bridge_double", **kw
):
    if who in kb().protocols:  # the pain model itself: the last phase has no ceiling
        kw.setdefault("phase", len(kb().protocol(who).phases))
    return propose_progression(
        tissue_or_diagnosis=who, ladder=ladder, current_step=at, logs=logs, **kw
    )


# --- Progress ---------------------------------------------------------------------------------


def test_progress_one_step_after_two_sessions_within_threshold_and_next_morning_no_worse():
    result = propose([log(0, pain=3), log(2, pain=2, morning="better")])
    assert result.action == "progress"
    assert result.target_step == "bridge_single_leg"
    assert "3/10" in result.reason
    assert result.rule == "progress"


def test_hold_after_only_one_good_session():
    result = propose([log(0, pain=2)])
    assert result.action == "hold"
    assert result.rule == "hold_need_more_sessions"
    assert result.target_step == "bridge_double"


def test_hold_when_the_earlier_of_the_last_two_sessions_was_not_good():
    result = propose([log(0, pain=2, morning="worse"), log(1, pain=2)])
    assert result.rule == "hold_need_more_sessions"


def test_logs_are_judged_in_date_order_not_list_order():
    late_flare = [log(5, pain=6), log(0, pain=1), log(2, pain=1)]
    assert propose(late_flare).action == "regress"


def test_threshold_is_inclusive_pain_at_the_limit_counts_as_within():
    assert propose([log(0, pain=3), log(1, pain=3)]).action == "progress"
    assert propose([log(0, pain=3), log(1, pain=4)]).action == "regress"


@pytest.mark.parametrize(
    ("tissue", "within", "above"),
    [("tendon", 3, 4), ("strain", 4, 5), ("nerve", 3, 4), ("bone", 0, 1), ("joint", 3, 4)],
)
def test_each_tissue_uses_its_own_pain_limit(tissue, within, above):
    good = propose([log(0, pain=within), log(1, pain=within)], who=tissue)
    bad = propose([log(0, pain=within), log(1, pain=above)], who=tissue)
    assert good.action == "progress"
    assert bad.action == "regress"
    assert good.pain_limit == within


def test_diagnosis_code_maps_to_its_tissue_threshold():
    strain = propose([log(0, pain=4), log(1, pain=4)], who="hamstring_strain")
    tendon = propose([log(0, pain=4), log(1, pain=4)], who="distal_hamstring_tendinopathy")
    assert (strain.action, strain.tissue) == ("progress", "strain")
    assert (tendon.action, tendon.tissue) == ("regress", "tendon")


def test_bone_stress_injury_progresses_only_when_pain_free():
    assert propose([log(0, pain=0), log(1, pain=0)], who="bone_stress_injury").action == "progress"
    assert propose([log(0, pain=0), log(1, pain=1)], who="bone_stress_injury").action == "regress"


# --- Regress ----------------------------------------------------------------------------------


def test_regress_one_step_when_pain_is_above_the_threshold():
    result = propose([log(0, pain=2), log(1, pain=5)], at="bridge_single_leg")
    assert result.action == "regress"
    assert result.target_step == "bridge_double"
    assert result.triggers == ("pain_above_limit",)
    assert "5/10" in result.reason
    assert "3/10" in result.reason


def test_regress_when_the_next_morning_is_worse_even_with_low_exercise_pain():
    result = propose([log(0, pain=1), log(1, pain=1, morning="worse")])
    assert result.action == "regress"
    assert result.triggers == ("next_morning_worse",)
    assert "next morning" in result.reason


def test_regress_when_pain_travels_down_the_leg_even_with_low_pain():
    result = propose([log(0, pain=1), log(1, pain=1, pain_travelled_down_leg=True)])
    assert result.action == "regress"
    assert result.triggers == ("travelled",)
    assert "down the leg" in result.reason


def test_regress_reason_names_every_trigger_in_the_session():
    result = propose([log(0, pain=6, morning="worse", pain_travelled_down_leg=True)])
    assert result.triggers == ("pain_above_limit", "next_morning_worse", "travelled")


def test_a_flare_is_judged_before_the_session_counts_as_incomplete_or_unscored():
    result = propose([log(0, pain=7, morning=None, completed=False)])
    assert result.action == "regress"


# --- Refer ------------------------------------------------------------------------------------


def test_refer_for_avulsion_whatever_the_logs():
    result = propose([log(0, pain=0), log(1, pain=0)], who="proximal_hamstring_avulsion")
    assert result.action == "refer"
    assert result.rule == "refer_first_diagnosis"
    assert "MRI" in result.reason
    assert result.target_step == result.current_step


def test_refer_when_pain_travels_down_the_leg_in_two_of_the_last_three_sessions():
    logs = [
        log(0, pain=1, pain_travelled_down_leg=True),
        log(1, pain=1),
        log(2, pain=1, pain_travelled_down_leg=True),
    ]
    result = propose(logs, who="lumbar_referred_pain")
    assert result.action == "refer"
    assert result.rule == "refer_travelled"
    assert "2 of the last 3" in result.reason


def test_travel_outside_the_last_three_sessions_does_not_refer():
    logs = [
        log(0, pain=1, pain_travelled_down_leg=True),
        log(1, pain=1),
        log(2, pain=1),
        log(3, pain=1, pain_travelled_down_leg=True),
    ]
    assert propose(logs, who="nerve").action == "regress"


def test_refer_after_three_flares_in_a_row_despite_stepping_back():
    logs = [log(0, pain=6), log(1, pain=2, morning="worse"), log(2, pain=5)]
    result = propose(logs)
    assert result.action == "refer"
    assert result.rule == "refer_persistent_flare"
    assert set(result.triggers) == {"pain_above_limit", "next_morning_worse"}


def test_two_flares_then_a_good_session_does_not_refer():
    logs = [log(0, pain=6), log(1, pain=6), log(2, pain=1)]
    assert propose(logs).action != "refer"


# --- Hold -------------------------------------------------------------------------------------


def test_hold_with_no_sessions_logged():
    result = propose([])
    assert (result.action, result.rule) == ("hold", "hold_no_sessions")


def test_hold_when_the_latest_session_was_not_completed():
    result = propose([log(0, pain=1), log(1, pain=1, completed=False)])
    assert (result.action, result.rule) == ("hold", "hold_not_completed")


def test_hold_until_the_next_morning_response_is_known():
    result = propose([log(0, pain=1), log(1, pain=1, morning=None)])
    assert (result.action, result.rule) == ("hold", "hold_awaiting_next_morning")


# --- Ladder bounds ----------------------------------------------------------------------------


def test_never_progress_past_the_top_of_a_ladder_and_say_so():
    result = propose([log(0), log(1)], ladder="rdl", at="rdl_heavy")
    assert result.action == "hold"
    assert result.target_step == "rdl_heavy"
    assert result.at_ladder_limit is True
    assert "top step" in result.reason


def test_never_regress_below_the_bottom_of_a_ladder_and_say_so():
    result = propose([log(0, pain=6)], at="bridge_isometric_double")
    assert result.action == "hold"
    assert result.target_step == "bridge_isometric_double"
    assert result.at_ladder_limit is True
    assert "easiest step" in result.reason
    assert "cut the dose" in result.reason


def test_running_ladder_top_and_bottom_are_bounded_too():
    top = propose(
        [log(0, running_pain=1), log(1, running_pain=1)], ladder="running", at="run_strides_speed"
    )
    bottom = propose([log(0, pain=6)], ladder="running", at="run_none_cross_train")
    assert (top.action, top.at_ladder_limit) == ("hold", True)
    assert (bottom.action, bottom.at_ladder_limit) == ("hold", True)


def test_step_not_on_the_named_ladder_is_rejected():
    with pytest.raises(ValueError, match="ladder"):
        propose([log(0)], ladder="rdl", at="bridge_double")


def test_unknown_tissue_or_diagnosis_is_rejected():
    with pytest.raises(KeyError):
        propose([log(0)], who="ligament")


# --- The running ladder -----------------------------------------------------------------------


def test_running_ladder_judges_running_pain_not_exercise_pain():
    runs = kb().step("run_walk_run_short").min_sessions
    logs = [log(day, pain=8, running_pain=1 + day % 2) for day in range(runs)]
    result = propose(logs, ladder="running", at="run_walk_run_short")
    assert result.action == "progress"
    assert result.target_step == "run_walk_run_long"


def test_running_ladder_ignores_sessions_without_a_run():
    logs = [log(0, running_pain=1), log(1), log(2, running_pain=2)]
    assert propose(logs, ladder="running", at="run_continuous_easy").action == "progress"


def test_running_ladder_holds_when_no_session_scored_the_run():
    result = propose([log(0), log(1)], ladder="running", at="run_continuous_easy")
    assert result.rule == "hold_no_running_sessions"


def test_running_regresses_at_the_seed_stop_line_of_5():
    result = propose([log(0, running_pain=5)], who="strain", ladder="running", at="run_hills")
    assert result.action == "regress"
    assert result.triggers == ("running_stop_pain",)
    assert result.target_step == "run_continuous_easy"


def test_running_regresses_when_pain_builds_during_the_run_even_if_mild():
    logs = [log(0, running_pain=2, running_pain_pattern="builds")]
    result = propose(logs, ladder="running", at="run_continuous_easy")
    assert result.action == "regress"
    assert result.triggers == ("pain_built",)


def test_running_step_without_running_uses_exercise_pain():
    logs = [log(0, pain=0), log(1, pain=0)]
    result = propose(logs, who="bone_stress_injury", ladder="running", at="run_none_cross_train")
    assert result.action == "progress"
    assert result.target_step == "run_brisk_walk"


def test_bone_stress_injury_never_moves_onto_running_without_clearance():
    logs = [log(0, pain=0, running_pain=0), log(1, pain=0, running_pain=0)]
    blocked = propose(logs, who="bone_stress_injury", ladder="running", at="run_brisk_walk")
    cleared = propose(
        logs, who="bone_stress_injury", ladder="running", at="run_brisk_walk", cleared_to_run=True
    )
    assert (blocked.action, blocked.rule) == ("hold", "progress_needs_clearance")
    assert "clearance" in blocked.reason
    assert blocked.target_step == "run_brisk_walk"
    assert (cleared.action, cleared.target_step) == ("progress", "run_walk_run_short")


def test_proposal_carries_running_advice_for_the_latest_run():
    logs = [log(0, running_pain=6)]
    result = propose(logs, ladder="running", at="run_continuous_easy")
    assert result.running_advice is not None
    assert result.running_advice.action == "stop"


def test_proposal_records_the_knowledge_version_and_sources():
    result = propose([log(0), log(1)])
    assert result.knowledge_version
    assert "Goom2016" in result.source


# --- Running advice for one run (the seed's rules) --------------------------------------------


def advice(pain, who="proximal_hamstring_tendinopathy", **kw):
    return running_advice(tissue_or_diagnosis=who, running_pain=pain, **kw)


def test_run_continues_when_pain_warms_up_and_stays_mild():
    result = advice(2, pattern="warms_up")
    assert result.action == "continue"
    assert "seed" in result.source


def test_run_stops_at_5_to_6_out_of_10():
    assert advice(5).action == "stop"
    assert advice(6, pattern="warms_up").action == "stop"
    assert "5-6" in advice(5).reason


def test_run_stops_when_pain_builds_through_the_run():
    result = advice(2, pattern="builds")
    assert (result.action, result.rule) == ("stop", "built")


def test_run_stop_and_call_when_pain_travels_down_the_leg():
    result = advice(1, travelled=True)
    assert result.action == "stop_and_call"
    assert "contact your physio" in result.reason


def test_run_modified_when_next_morning_is_worse():
    assert advice(1, next_morning="worse").action == "modify"


def test_run_modified_when_pain_is_above_the_tissue_limit_but_below_the_stop_line():
    tendon = advice(4)
    strain = advice(4, who="hamstring_strain")
    assert tendon.action == "modify"
    assert "3/10" in tendon.reason
    assert strain.action == "continue"


def test_bone_stress_injury_no_running_until_cleared_then_only_pain_free():
    assert advice(0, who="bone_stress_injury").action == "stop"
    assert advice(0, who="bone_stress_injury").rule == "not_cleared"
    assert advice(0, who="bone_stress_injury", cleared_to_run=True).action == "continue"
    hurt = advice(1, who="bone_stress_injury", cleared_to_run=True)
    assert (hurt.action, hurt.rule) == ("stop", "bone_pain")


def test_avulsion_running_advice_is_stop_and_call():
    assert advice(0, who="proximal_hamstring_avulsion").action == "stop_and_call"


def test_running_advice_from_a_log_without_a_run_is_none():
    assert running_advice_from_log(log(0), tissue_or_diagnosis="tendon") is None
    with_run = log(0, running_pain=2, running_pain_pattern="warms_up")
    assert running_advice_from_log(with_run, tissue_or_diagnosis="tendon").action == "continue"


# --- SessionLog validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"exercise_pain": 11},
        {"exercise_pain": -1},
        {"exercise_pain": 2.5},
        {"exercise_pain": True},
        {"exercise_pain": 1, "running_pain": 12},
        {"exercise_pain": 1, "next_morning": "fine"},
        {"exercise_pain": 1, "running_pain_pattern": "eases"},
        {"exercise_pain": 1, "completed": "yes"},
    ],
)
def test_session_log_rejects_out_of_range_or_unknown_values(kwargs):
    with pytest.raises((TypeError, ValueError)):
        SessionLog(date=DAY0, **kwargs)


def test_session_log_accepts_free_text_or_numeric_load():
    assert SessionLog(date=DAY0, exercise_pain=0, load="2 x 10 kg").load == "2 x 10 kg"
    assert SessionLog(date=DAY0, exercise_pain=0, load=40).load == 40
