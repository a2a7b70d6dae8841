"""Running starts where the runner is (issue 11): the current weekly km sets the running
ladder's first step and volume, never above the tissue's highest start or the phase-1 ceiling.

Expected steps are read from the knowledge files, so a change to the data changes what these
tests expect rather than leaving them passing on stale numbers.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rehab.engine import (
    ILLUSTRATIONS_DIR,
    KNOWLEDGE_DIR,
    MAX_WEEKLY_KM,
    KnowledgeError,
    PlanDraft,
    build_plan,
    knowledge,
    load_knowledge,
)

PLANNED = sorted(d for d, p in knowledge().protocols.items() if not p.refer_first)


def _start(diagnosis: str, km: float | None) -> PlanDraft:
    draft = build_plan(diagnosis=diagnosis, weekly_km=km)
    assert isinstance(draft, PlanDraft)
    return draft


@pytest.mark.parametrize(
    ("diagnosis", "km", "step"),
    [
        ("proximal_hamstring_tendinopathy", 40, "run_continuous_easy"),
        ("distal_hamstring_tendinopathy", 5, "run_continuous_easy"),
        ("hamstring_strain", 60, "run_brisk_walk"),
        ("lumbar_referred_pain", 10, "run_walk_run_short"),
        ("lumbar_referred_pain", 20, "run_walk_run_long"),
        ("deep_gluteal_syndrome", 35.5, "run_walk_run_long"),
        # The hip waits for a femoral-neck stress fracture to be ruled out (see below).
        ("hip_joint_referred_pain", 30, "run_brisk_walk"),
        ("bone_stress_injury", 80, "run_none_cross_train"),
    ],
)
def test_the_start_step_per_tissue(diagnosis, km, step):
    running = _start(diagnosis, km).running
    assert running.step.code == step
    assert running.weekly_km == km
    assert running.start_note.startswith(f"You ran about {km:g} km a week; start with ")
    assert running.step.name in running.start_note


def test_a_start_that_runs_caps_the_first_weeks_at_the_tissue_share_of_the_km():
    rule = knowledge().running_starts["tendon"]
    note = _start("proximal_hamstring_tendinopathy", 30).running.start_note
    cap = 30 * rule.volume_percent / 100
    assert f"no more than {cap:g} km a week: {rule.volume_percent} percent" in note
    assert f"first {rule.volume_weeks} weeks" in note


def test_a_start_without_running_says_running_comes_later():
    note = _start("hamstring_strain", 25).running.start_note
    assert "Running comes back later" in note
    assert "up to 25 km a week" in note
    assert "percent of what you ran" not in note


@pytest.mark.parametrize("diagnosis", PLANNED)
def test_not_asked_and_not_running_start_at_the_protocols_phase_one_step(diagnosis):
    phase_one = knowledge().protocol(diagnosis).phases[0].running
    not_asked = _start(diagnosis, None).running
    assert not_asked.step == phase_one
    assert (not_asked.weekly_km, not_asked.start_note) == (None, "")
    not_running = _start(diagnosis, 0).running
    assert not_running.step == phase_one
    assert not_running.start_note.startswith("You are not running now; start with ")


@settings(max_examples=200, deadline=None)
@given(
    diagnosis=st.sampled_from(PLANNED),
    km=st.floats(min_value=0, max_value=MAX_WEEKLY_KM, allow_nan=False),
)
def test_never_above_the_ceiling_or_the_tissue_never_below_the_phase_one_step(diagnosis, km):
    kb = knowledge()
    protocol = kb.protocol(diagnosis)
    first = protocol.phases[0]
    step = _start(diagnosis, km).running.step
    assert step.ladder == "running"
    ceiling = first.ceiling("running")
    if ceiling is not None:
        assert step.position <= ceiling.step.position
    assert step.position <= kb.running_starts[protocol.tissue].highest_start.position
    assert step.position >= _start(diagnosis, None).running.step.position


@settings(max_examples=100, deadline=None)
@given(
    diagnosis=st.sampled_from(PLANNED),
    low=st.floats(min_value=0, max_value=MAX_WEEKLY_KM, allow_nan=False),
    high=st.floats(min_value=0, max_value=MAX_WEEKLY_KM, allow_nan=False),
)
def test_more_km_never_starts_lower(diagnosis, low, high):
    low, high = sorted((low, high))
    below = _start(diagnosis, low).running.step.position
    assert below <= _start(diagnosis, high).running.step.position


@pytest.mark.parametrize("km", [-1, MAX_WEEKLY_KM + 0.1, math.nan, math.inf])
def test_a_weekly_km_out_of_range_is_refused(km):
    with pytest.raises(ValueError, match="weekly_km"):
        build_plan(diagnosis="proximal_hamstring_tendinopathy", weekly_km=km)


def test_refer_first_ignores_the_km():
    assert build_plan(diagnosis="proximal_hamstring_avulsion", weekly_km=30).__class__.__name__ == (
        "ReferFirst"
    )


# --- The loader checks the running_start tables -----------------------------------------------


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> tuple[Path, Path]:
    kdir, idir = tmp_path / "knowledge", tmp_path / "illustrations"
    shutil.copytree(KNOWLEDGE_DIR, kdir)
    shutil.copytree(ILLUSTRATIONS_DIR, idir)
    return kdir, idir


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'highest_start = "run_brisk_walk"',
            'highest_start = "bridge_double"',
            r"running_start\[2\] \(strain\)\.highest_start: 'bridge_double' is not a step",
        ),
        (
            'highest_start = "run_continuous_easy"',
            'highest_start = "run_walk_run_short"',
            r"running_start \(tendon\)\.highest_start: below the phase-1 running step",
        ),
        (
            "min_km = 20",
            "min_km = 0",
            r"running_start\[3\] \(nerve\)\.band: min_km must rise",
        ),
        (
            "volume_percent = 50",
            "volume_percent = 150",
            r"running_start\[3\] \(nerve\)\.volume_percent: must be a whole number from 1 to 100",
        ),
        (
            'tissue = "joint"\nhighest_start',
            'tissue = "joints"\nhighest_start',
            r"running_start\[4\] \(joints\)\.tissue: unknown tissue",
        ),
        (
            "start with {step} ({dose}).",
            "start with {stepp}.",
            r"running_start_texts\.ran: unknown placeholder",
        ),
    ],
)
def test_the_loader_names_file_and_key_of_a_bad_running_start(knowledge_copy, old, new, message):
    kdir, idir = knowledge_copy
    _edit(kdir / "protocols.toml", old, new)
    with pytest.raises(KnowledgeError, match=rf"protocols\.toml: {message}"):
        load_knowledge(kdir, idir)


def test_the_loader_wants_a_running_start_for_every_planned_tissue(knowledge_copy):
    kdir, idir = knowledge_copy
    path = kdir / "protocols.toml"
    text = path.read_text(encoding="utf-8")
    joint = text.index('[[running_start]]\ntissue = "joint"')
    path.write_text(text[:joint] + text[text.index("[[running_start]]", joint + 1) :], "utf-8")
    with pytest.raises(
        KnowledgeError,
        match=r"running_start \(joint\): missing, needed by protocol\.hip_joint_referred_pain",
    ):
        load_knowledge(kdir, idir)


def test_the_hip_starts_running_where_the_runner_is_only_once_cleared():
    """Before the femoral-neck rule-out is recorded the hip plan starts below any running and
    says why; with it, the runner's 30 km a week starts continuous easy running."""
    waiting = _start("hip_joint_referred_pain", 30).running
    assert not waiting.step.involves_running
    assert waiting.requires_clearance
    assert knowledge().protocol("hip_joint_referred_pain").running_clearance.runner in (
        waiting.start_note
    )
    cleared = build_plan(diagnosis="hip_joint_referred_pain", weekly_km=30, cleared_to_run=True)
    assert isinstance(cleared, PlanDraft)
    assert cleared.running.step.code == "run_continuous_easy"
    assert "thigh bone" not in cleared.running.start_note
