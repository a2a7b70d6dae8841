"""Every activity is a prescription (issue 11, item 2): the phase's other activities are
knowledge data (activity ladders) that build_plan prescribes like the exercises.

No database, no Django: the engine and its loader are plain Python.
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
    PlanDraft,
    SessionLog,
    build_plan,
    knowledge,
    load_knowledge,
    next_step,
    propose_progression,
    protocol,
)

# What each protocol's phase 1 prescribes besides the ladders, as the issue lists it.
PHASE_ONE = {
    "proximal_hamstring_tendinopathy": {"morning_bridge_check", "sitting_care"},
    "hamstring_strain": {"askling_extender_slow"},
    "lumbar_referred_pain": {"repeated_back_movement", "nerve_slider_seated", "back_care_active"},
    "deep_gluteal_syndrome": {"sitting_care", "nerve_slider_seated", "hip_side_lying_abduction"},
    "hip_joint_referred_pain": {"hip_side_lying_abduction"},
    "bone_stress_injury": {"bone_offload_crutches"},
    "distal_hamstring_tendinopathy": {"knee_bend_hold_seated"},
}
DAY0 = dt.date(2025, 3, 3)


def draft(diagnosis: str) -> PlanDraft:
    result = build_plan(diagnosis=diagnosis)
    assert isinstance(result, PlanDraft)
    return result


@pytest.mark.parametrize(("diagnosis", "expected"), PHASE_ONE.items())
def test_each_protocols_phase_one_draft_prescribes_its_activities(diagnosis, expected):
    activities = draft(diagnosis).activities
    assert {a.code for a in activities} == expected
    for item in activities:
        assert item.source  # the protocol says why this item is in this phase
        assert item.step.how_to and item.step.should_feel and item.step.cues
        assert (ILLUSTRATIONS_DIR / item.step.illustration).is_file()
        assert item.dose.summary()  # every item is dosed: sets and reps, or when to do it


def test_strain_prescribes_the_askling_extender_then_the_diver_and_glider():
    strain = protocol("hamstring_strain")
    first, second = strain.phase(1), strain.phase(2)
    assert [a.code for a in first.activities] == ["askling_extender_slow"]
    assert {a.code for a in second.activities} == {
        "askling_extender_slow",
        "askling_diver_slow",
        "askling_glider_slow",
    }
    extender = first.activities[0]
    assert extender.dose.sets == 3 and extender.dose.reps == "12"
    assert extender.dose.sessions_per_week == 14  # twice a day (Askling 2013)
    assert extender.dose.summary().endswith("twice a day")
    assert {"Askling2013", "L-protocol-transcript"} <= set(extender.step.source)
    diver = next(a for a in second.activities if a.code == "askling_diver_slow")
    assert (diver.dose.sets, diver.dose.reps) == (3, "6")  # every other day, 3 x 6
    assert {"Askling2013", "Askling2014", "L-protocol-transcript"} <= set(
        draft("hamstring_strain").sources
    )


def test_tendinopathy_prescribes_the_morning_bridge_check_its_exit_depends_on():
    phase = protocol("proximal_hamstring_tendinopathy").phase(1)
    check = next(a for a in phase.activities if a.code == "morning_bridge_check")
    assert any("Morning check" in line for line in phase.exit)
    assert check.dose.reps == "3 each side" and check.dose.sessions_per_week == 7
    assert "0-3" in " ".join(check.step.how_to)
    assert {"pogophysio", "runsmarter"} <= set(check.step.source)


def test_askling_exercises_progress_by_speed_and_range_and_advice_is_not_progressed():
    kb = knowledge()
    for code in ("askling_extender", "askling_diver", "askling_glider"):
        lad = kb.ladder(code)
        assert lad.is_activity and lad.progressed
        assert [s.code.rsplit("_", 1)[1] for s in lad.steps] == ["slow", "fast"]
        following = next_step(diagnosis="hamstring_strain", phase=2, step_code=lad.first.code)
        assert following.step == lad.last and following.in_phase
    for code in ("morning_check", "sitting", "nerve_slider", "back_care", "bone_offload"):
        lad = kb.ladder(code)
        assert lad.is_activity and not lad.progressed and len(lad.steps) == 1
        assert (
            next_step(diagnosis="hamstring_strain", phase=1, step_code=lad.first.code).step is None
        )


def test_the_pain_model_moves_the_extender_on_after_good_sessions_within_the_strain_limit():
    good = [
        SessionLog(date=DAY0 + dt.timedelta(days=d), exercise_pain=4, next_morning="same")
        for d in range(3)
    ]
    proposal = propose_progression(
        tissue_or_diagnosis="hamstring_strain",
        ladder="askling_extender",
        current_step="askling_extender_slow",
        logs=good,
        phase=1,
    )
    assert proposal.action == "progress"
    assert proposal.target_step == "askling_extender_fast"
    flare = [*good, SessionLog(date=DAY0 + dt.timedelta(days=4), exercise_pain=6)]
    held = propose_progression(
        tissue_or_diagnosis="hamstring_strain",
        ladder="askling_extender",
        current_step="askling_extender_fast",
        logs=flare,
        phase=1,
    )
    assert held.action == "regress" and held.target_step == "askling_extender_slow"


# --- The one loader refuses an activity without its how-to or its source -----------------------


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> tuple[Path, Path]:
    kdir, idir = tmp_path / "knowledge", tmp_path / "illustrations"
    shutil.copytree(KNOWLEDGE_DIR, kdir)
    shutil.copytree(ILLUSTRATIONS_DIR, idir)
    return kdir, idir


def _cut_from_step(path: Path, step_code: str, line_start: str) -> None:
    """Remove the first line starting with ``line_start`` inside ``step_code``'s step table."""
    text = path.read_text(encoding="utf-8")
    start = text.index(f'code = "{step_code}"')
    at = text.index(f"\n{line_start}", start)
    end = text.index("\n", at + 1)
    if text[at + 1 :].startswith("how_to = ["):
        end = text.index("\n]", at) + 2
    path.write_text(text[:at] + text[end:], encoding="utf-8")


def test_an_activity_without_how_to_is_refused(knowledge_copy):
    kdir, idir = knowledge_copy
    _cut_from_step(kdir / "ladders.toml", "askling_extender_slow", "how_to = [")
    with pytest.raises(KnowledgeError, match=r"askling_extender_slow\.how_to"):
        load_knowledge(kdir, idir)


def test_an_activity_without_a_source_is_refused(knowledge_copy):
    kdir, idir = knowledge_copy
    _cut_from_step(kdir / "ladders.toml", "morning_bridge_check", "source = [")
    with pytest.raises(KnowledgeError, match=r"morning_bridge_check\.source"):
        load_knowledge(kdir, idir)


def test_a_protocol_activity_without_a_source_is_refused(knowledge_copy):
    kdir, idir = knowledge_copy
    path = kdir / "protocols.toml"
    text = path.read_text(encoding="utf-8")
    block = 'step = "askling_extender_slow"\nnote = "The core'
    at = text.index(block)
    source_line = text.index("\nsource = [", at)
    path.write_text(text[:source_line] + text[text.index("\n", source_line + 1) :], "utf-8")
    with pytest.raises(
        KnowledgeError, match=r"hamstring_strain\.phase\[1\]\.activity\[1\]\.source"
    ):
        load_knowledge(kdir, idir)


def test_an_activity_without_its_drawing_is_refused(knowledge_copy):
    kdir, idir = knowledge_copy
    (idir / "askling_diver_slow.svg").unlink()
    with pytest.raises(KnowledgeError, match=r"askling_diver_slow\.svg"):
        load_knowledge(kdir, idir)


def test_a_ladder_exercise_cannot_be_listed_as_an_activity(knowledge_copy):
    kdir, idir = knowledge_copy
    path = kdir / "protocols.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('step = "askling_extender_slow"', 'step = "bridge_single_leg"', 1), "utf-8"
    )
    with pytest.raises(KnowledgeError, match="is a ladder exercise"):
        load_knowledge(kdir, idir)


def test_advice_with_a_second_step_is_refused(knowledge_copy):
    kdir, idir = knowledge_copy
    path = kdir / "ladders.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index('code = "morning_check"')
    step_start = text.index("[[ladder.step]]", start)
    step_end = text.index("[[ladder]]", step_start)
    second = text[step_start:step_end].replace("morning_bridge_check", "morning_bridge_check_2")
    path.write_text(text[:step_end] + second + text[step_end:], "utf-8")
    shutil.copy(idir / "morning_bridge_check.svg", idir / "morning_bridge_check_2.svg")
    with pytest.raises(KnowledgeError, match="not progressed has one step"):
        load_knowledge(kdir, idir)


def test_crutches_end_when_the_bone_protocol_moves_to_full_weight():
    bone = protocol("bone_stress_injury")
    assert bone.phase(2).ends == ("bone_offload",)
    assert any("full weight-bearing" in line for line in bone.phase(1).exit)


def test_only_advice_an_earlier_phase_prescribed_may_end(knowledge_copy):
    kdir, idir = knowledge_copy
    path = kdir / "protocols.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('ends = ["bone_offload"]', 'ends = ["askling_extender"]'), "utf-8")
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(kdir, idir)
    assert "'askling_extender' is not an advice activity" in str(error.value)
    assert "no earlier phase prescribes 'askling_extender'" in str(error.value)
