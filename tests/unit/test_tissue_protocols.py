"""Tissue-specific protocols (issue 11, item 3), audited through the walkthrough as a reviewer
would: a strain climbs to top speed in stages and reaches 90-100 percent only in its last phase;
bone and hip plans propose no running until the clearance is recorded; distal tendinopathy loads
knee flexion from holds to curls to Nordic lowers; nerve plans carry sliders (and the back its
repeated movement); each timeline says what the seed says for its tissue.

The session files are written here, not read from fixtures, so each test shows its input.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from rehab.engine import (
    ILLUSTRATIONS_DIR,
    KNOWLEDGE_DIR,
    KnowledgeError,
    SessionLog,
    build_plan,
    knowledge,
    load_knowledge,
    parse_entries,
    propose_progression,
    step,
    walk_through,
)

START = dt.date(2026, 1, 5)


def _script(*parts) -> list[dict]:
    """A session file: ints are that many good sessions two days apart (exercise pain 1,
    running pain ``pain``), "advance" moves the phase on, "clear" records the clearance."""
    day, entries = START, []
    for part in parts:
        kind, value = part if isinstance(part, tuple) else (part, 0)
        if kind == "advance":
            entries.append({"session_date": day.isoformat(), "advance_phase": True})
        elif kind == "clear":
            entries.append({"session_date": day.isoformat(), "cleared_to_run": True})
        else:
            for _ in range(kind):
                entries.append(
                    {
                        "session_date": day.isoformat(),
                        "exercise_pain": 1,
                        "running_pain": value,
                        "next_morning": "same",
                    }
                )
                day += dt.timedelta(days=2)
        day += dt.timedelta(days=1)
    return entries


def _events(diagnosis, *parts, weekly_km=None):
    return walk_through(
        diagnosis=diagnosis, entries=parse_entries(_script(*parts)), weekly_km=weekly_km
    )


def _runs(code: str | int | None) -> bool:
    return isinstance(code, str) and step(code).involves_running


# --- strain: a staged return to top speed -------------------------------------------------------


def test_a_strain_plan_proposes_no_90_or_100_percent_sprints_before_its_last_phase():
    last = len(knowledge().protocol("hamstring_strain").phases)
    events = _events("hamstring_strain", 6, "advance", 10, "advance", 16, "advance", 16)
    reached = {e.to_step for e in events if e.item == "sprint" and e.phase < last}
    assert "sprint_80" in reached  # the efforts did climb within phase 3
    assert not reached & {"sprint_90", "sprint_100"}
    held = [e for e in events if e.item == "sprint" and e.rule == "hold_phase_ceiling"]
    assert held and all("phase 4" in e.reason and "H-test" in e.reason for e in held)


def test_a_strain_plan_reaches_full_speed_only_in_the_last_phase():
    events = _events("hamstring_strain", 6, "advance", 10, "advance", 16, "advance", 8)
    top = [e for e in events if e.item == "sprint" and e.to_step == "sprint_100"]
    assert top and {e.phase for e in top} == {4}


def test_each_faster_sprint_step_needs_pain_free_sessions():
    """The card says "no pain at all"; the engine applies 0/10, not the strain's 4/10."""
    logs = [
        SessionLog(
            date=START + dt.timedelta(days=i), exercise_pain=1, running_pain=2, next_morning="same"
        )
        for i in range(3)
    ]
    held = propose_progression(
        tissue_or_diagnosis="hamstring_strain",
        ladder="sprint",
        current_step="sprint_50",
        logs=logs,
        phase=3,
    )
    assert (held.action, held.rule) == ("hold", "hold_entry_pain")
    assert "no pain at all" in step("sprint_50").progress_when
    limits = knowledge().protocol("hamstring_strain").entry_limits
    assert {
        limit.step.code: limit.pain_limit for limit in limits if limit.step.ladder == "sprint"
    } == {
        "sprint_70": 0,
        "sprint_80": 0,
        "sprint_90": 0,
        "sprint_100": 0,
    }


def test_a_sprint_that_hurts_steps_back():
    logs = [SessionLog(date=START, exercise_pain=1, running_pain=5, next_morning="same")]
    proposal = propose_progression(
        tissue_or_diagnosis="hamstring_strain",
        ladder="sprint",
        current_step="sprint_80",
        logs=logs,
        phase=3,
    )
    assert (proposal.action, proposal.target_step) == ("regress", "sprint_70")


def test_the_strain_exit_criteria_before_top_speed_name_the_h_test_and_equal_strength():
    phase = knowledge().protocol("hamstring_strain").phase(3)
    criteria = " ".join(phase.exit)
    assert "H-test" in criteria and "same on both sides" in criteria
    assert phase.ceiling("sprint").step.code == "sprint_80"


# --- bone and hip: no running before the clearance ----------------------------------------------


@pytest.mark.parametrize("diagnosis", ["bone_stress_injury", "hip_joint_referred_pain"])
def test_no_running_is_proposed_before_the_clearance_is_recorded(diagnosis):
    phases = len(knowledge().protocol(diagnosis).phases)
    moves = [6] + ["advance", 8] * (phases - 1)
    events = _events(diagnosis, *moves, weekly_km=40)
    running = [e for e in events if e.item == "running"]
    assert running and not any(_runs(e.to_step) for e in running)
    waiting = [e for e in running if e.rule == "progress_needs_clearance"]
    assert waiting, "a runner ready to run is told the clearance is missing"


def test_a_bone_plan_walks_then_walk_runs_only_after_clearance():
    events = _events("bone_stress_injury", 4, "advance", 6, "advance", 4, "clear", 8, weekly_km=40)
    cleared_at = next(i for i, e in enumerate(events) if e.decision == "cleared")
    assert not any(_runs(e.to_step) for e in events[:cleared_at] if e.item == "running")
    after = [e.to_step for e in events[cleared_at:] if e.item == "running"]
    assert "run_walk_run_short" in after  # walk -> walk-run, one step at a time
    assert "run_continuous_easy" not in after[: after.index("run_walk_run_short") + 1]


def test_a_hip_plan_starts_running_where_the_runner_is_once_the_neck_is_ruled_out():
    events = _events("hip_joint_referred_pain", 3, "clear", 2, weekly_km=40)
    clearance = next(e for e in events if e.decision == "cleared")
    assert (clearance.from_step, clearance.to_step) == ("run_brisk_walk", "run_continuous_easy")
    assert "femoral-neck stress fracture" in clearance.reason


def test_a_running_step_without_the_clearance_steps_back_below_running():
    logs = [SessionLog(date=START, exercise_pain=0, running_pain=0, next_morning="same")]
    proposal = propose_progression(
        tissue_or_diagnosis="hip_joint_referred_pain",
        ladder="running",
        current_step="run_continuous_easy",
        logs=logs,
        phase=1,
    )
    assert (proposal.action, proposal.rule) == ("regress", "regress_not_cleared")
    assert proposal.target_step == "run_brisk_walk"
    assert "thigh bone" in proposal.reason


def test_the_hip_plan_says_why_running_waits():
    draft = build_plan(diagnosis="hip_joint_referred_pain")
    assert draft.running.requires_clearance
    assert any("cleared you to run" in rule.when for rule in draft.running.rules)
    assert "femoral" in knowledge().protocol("hip_joint_referred_pain").running_clearance.physio


def test_plans_that_need_no_clearance_print_no_clearance_rule():
    draft = build_plan(diagnosis="proximal_hamstring_tendinopathy")
    assert not draft.running.requires_clearance
    assert not any("cleared" in rule.when for rule in draft.running.rules)


# --- distal tendinopathy: knee flexion from holds to Nordic lowers -------------------------------


def test_distal_tendinopathy_loads_knee_flexion_in_stages():
    events = _events("distal_hamstring_tendinopathy", 6, "advance", 6, "advance", 6)
    knee = [e for e in events if e.item == "knee_bend_hold"]
    by_phase = {}
    for e in knee:
        by_phase.setdefault(e.phase, set()).add(e.to_step)
    assert by_phase[1] == {"knee_bend_hold_seated"}
    assert by_phase[2] == {"knee_curl_slow"}
    assert "nordic_assisted" in by_phase[3]


# --- nerve: sliders and the back's repeated movement --------------------------------------------


@pytest.mark.parametrize("diagnosis", ["lumbar_referred_pain", "deep_gluteal_syndrome"])
def test_nerve_plans_prescribe_sliders_from_the_start(diagnosis):
    first = knowledge().protocol(diagnosis).phase(1)
    assert "nerve_slider_seated" in {a.code for a in first.activities}


def test_the_lumbar_plan_prescribes_its_repeated_movement():
    first = knowledge().protocol("lumbar_referred_pain").phase(1)
    assert "repeated_back_movement" in {a.code for a in first.activities}


# --- timelines per tissue, as the seed says ------------------------------------------------------


@pytest.mark.parametrize(
    ("tissue", "words"),
    [("strain", "weeks"), ("tendon", "year"), ("nerve", "3 to 6 months")],
)
def test_each_timeline_says_what_the_seed_says_for_its_tissue(tissue, words):
    protocols = [p for p in knowledge().protocols.values() if p.tissue == tissue]
    assert protocols
    for protocol in protocols:
        assert words in protocol.timeline.summary, protocol.diagnosis
        assert "seed" in protocol.timeline.source, protocol.diagnosis


# --- the loader ------------------------------------------------------------------------------


@pytest.fixture
def knowledge_copy(tmp_path: Path):
    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, kdir)
    return kdir


def test_the_loader_refuses_a_bone_plan_without_a_clearance(knowledge_copy):
    path = knowledge_copy / "protocols.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index('[protocol.running_clearance]\nphysio = "A doctor has cleared running')
    end = text.index("[protocol.timeline]", start)
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"bone_stress_injury\.running_clearance"):
        load_knowledge(knowledge_copy, ILLUSTRATIONS_DIR)
