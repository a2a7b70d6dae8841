"""Phase-bound progression: no proposal climbs a ladder past what the plan's phase allows.

The ceilings, run counts and entry limits are read from the knowledge files, so a change to the
data changes what these tests expect rather than leaving them passing on stale numbers.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rehab.engine import (
    ILLUSTRATIONS_DIR,
    KNOWLEDGE_DIR,
    KnowledgeError,
    SessionLog,
    WalkthroughInputError,
    knowledge,
    load_knowledge,
    next_step,
    parse_entries,
    propose_progression,
    walk_through,
)
from rehab.engine.knowledge import NUMBER_WORDS

PHT = "proximal_hamstring_tendinopathy"
DAY0 = dt.date(2026, 1, 5)
LATE_RUNNING = ("run_hills", "run_strides_speed")
LUMBAR_LAST_PHASE = len(knowledge().protocol("lumbar_referred_pain").phases)


def settled(day: int, *, pain: int = 0, running: int | None = 0) -> SessionLog:
    """A completed session within every limit, the next morning the same."""
    return SessionLog(
        date=DAY0 + dt.timedelta(days=day),
        exercise_pain=pain,
        running_pain=running,
        running_pain_pattern="steady" if running is not None else None,
        next_morning="same",
    )


def climb(diagnosis: str, ladder: str, start: str, logs, *, phase: int) -> list[str]:
    """Steps the ladder visits when every proposed move is accepted after each session."""
    visited, at, since = [start], start, 0
    for i in range(len(logs)):
        proposal = propose_progression(
            tissue_or_diagnosis=diagnosis,
            ladder=ladder,
            current_step=at,
            logs=logs[since : i + 1],
            phase=phase,
        )
        if proposal.target_step != at:
            at, since = proposal.target_step, i + 1
            visited.append(at)
    return visited


# --- Phase 1 of proximal tendinopathy -------------------------------------------------------


def test_phase_one_tendinopathy_eight_settled_sessions_propose_no_hills_strides_or_speed():
    logs = [settled(day) for day in range(8)]
    visited = climb(PHT, "running", "run_continuous_easy", logs, phase=1)
    assert not set(visited) & set(LATE_RUNNING)
    bridge = climb(PHT, "bridge", "bridge_isometric_double", logs, phase=1)
    assert bridge == ["bridge_isometric_double"]  # phase 1 is holds only


def test_without_the_phase_the_same_sessions_would_reach_strides():
    """The control: the sessions are good enough to climb, so the phase is what stops them."""
    logs = [settled(day) for day in range(8)]
    visited = climb(PHT, "running", "run_continuous_easy", logs, phase=4)
    assert visited[-2:] == list(LATE_RUNNING)


def test_held_at_the_ceiling_the_reason_names_the_phase_and_its_exit_criteria():
    proposal = propose_progression(
        tissue_or_diagnosis=PHT,
        ladder="running",
        current_step="run_continuous_easy",
        logs=[settled(0), settled(1)],
        phase=1,
    )
    protocol = knowledge().protocol(PHT)
    comes_with = next(
        p.number for p in protocol.phases if p.ceiling("running") is None
    )  # the first phase without a running ceiling lets hills in
    assert (proposal.action, proposal.rule) == ("hold", "hold_phase_ceiling")
    assert proposal.target_step == "run_continuous_easy"
    assert proposal.next_step_phase == comes_with
    assert f"comes with phase {comes_with}" in proposal.reason
    assert proposal.exit_criteria == protocol.phases[0].exit
    for criterion in protocol.phases[0].exit:
        assert criterion in proposal.reason
    assert protocol.phases[0].ceiling("running").why in proposal.reason
    assert set(protocol.phases[0].ceiling("running").source) <= set(proposal.source)


def test_a_flare_at_the_ceiling_still_steps_back():
    flare = SessionLog(date=DAY0, exercise_pain=0, running_pain=5, next_morning="same")
    proposal = propose_progression(
        tissue_or_diagnosis=PHT,
        ladder="running",
        current_step="run_continuous_easy",
        logs=[flare],
        phase=1,
    )
    assert proposal.action == "regress"


def test_a_step_above_the_phase_is_stepped_back_to_the_ceiling():
    proposal = propose_progression(
        tissue_or_diagnosis=PHT,
        ladder="running",
        current_step="run_strides_speed",
        logs=[],
        phase=1,
    )
    assert (proposal.action, proposal.rule) == ("regress", "regress_above_phase")
    assert proposal.target_step == knowledge().protocol(PHT).phases[0].ceiling("running").step.code


def test_a_phase_outside_the_protocol_is_refused():
    with pytest.raises(ValueError, match="phases 1 to 4"):
        propose_progression(
            tissue_or_diagnosis=PHT, ladder="running", current_step="run_hills", logs=[], phase=5
        )


# --- Strain: speed only on pain-free running ------------------------------------------------


def test_strain_at_four_out_of_ten_does_not_progress_hills_to_strides():
    limit = knowledge().protocol("hamstring_strain").entry_limit("run_strides_speed")
    assert limit is not None and limit.pain_limit < knowledge().tissue("strain").pain_limit
    sore = [settled(day, running=knowledge().tissue("strain").pain_limit) for day in range(6)]
    last = len(knowledge().protocol("hamstring_strain").phases)
    proposal = propose_progression(
        tissue_or_diagnosis="hamstring_strain",
        ladder="running",
        current_step="run_hills",
        logs=sore,
        phase=last,
    )
    assert (proposal.action, proposal.rule) == ("hold", "hold_entry_pain")
    assert limit.why in proposal.reason
    pain_free = [settled(day, running=limit.pain_limit) for day in range(2)]
    moved = propose_progression(
        tissue_or_diagnosis="hamstring_strain",
        ladder="running",
        current_step="run_hills",
        logs=pain_free,
        phase=last,
    )
    assert (moved.action, moved.target_step) == ("progress", "run_strides_speed")


def test_strain_at_four_out_of_ten_still_climbs_the_steps_without_an_entry_limit():
    pain = knowledge().tissue("strain").pain_limit
    proposal = propose_progression(
        tissue_or_diagnosis="hamstring_strain",
        ladder="bridge",
        current_step="bridge_single_leg",
        logs=[settled(0, pain=pain, running=None), settled(1, pain=pain, running=None)],
        phase=2,
    )
    assert proposal.action == "progress"


# --- Walk-run: the run count is data used by the engine and the card ------------------------


@pytest.mark.parametrize("code", ["run_walk_run_short", "run_walk_run_long"])
def test_walk_run_moves_on_only_after_the_runs_its_data_asks_for(code):
    step = knowledge().step(code)
    runs = step.min_sessions
    assert runs is not None and runs > knowledge().settings["consecutive_good_sessions"]
    for count in range(1, runs):
        held = propose_progression(
            tissue_or_diagnosis="lumbar_referred_pain",
            ladder="running",
            current_step=code,
            logs=[settled(day) for day in range(count)],
            phase=LUMBAR_LAST_PHASE,
        )
        assert held.action == "hold", count
    moved = propose_progression(
        tissue_or_diagnosis="lumbar_referred_pain",
        ladder="running",
        current_step=code,
        logs=[settled(day) for day in range(runs)],
        phase=LUMBAR_LAST_PHASE,
    )
    assert moved.action == "progress"


@pytest.mark.parametrize("code", ["run_walk_run_short", "run_walk_run_long"])
def test_the_card_text_prints_the_run_count_the_engine_applies(code):
    step = knowledge().step(code)
    words = NUMBER_WORDS
    assert f"{words[step.min_sessions]} runs in all" in step.progress_when
    good = words[knowledge().settings["consecutive_good_sessions"]]
    assert f"the last {good} in a row" in step.progress_when


def test_a_changed_run_count_changes_both_the_engine_and_the_card(knowledge_copy):
    kdir, idir = knowledge_copy
    _edit(kdir / "ladders.toml", "min_sessions = 4", "min_sessions = 5")
    kb = load_knowledge(kdir, idir)
    assert "five runs in all" in kb.step("run_walk_run_short").progress_when
    held = propose_progression(
        tissue_or_diagnosis="lumbar_referred_pain",
        ladder="running",
        current_step="run_walk_run_short",
        logs=[settled(day) for day in range(4)],
        kb=kb,
        phase=LUMBAR_LAST_PHASE,
    )
    assert (held.action, held.rule) == ("hold", "hold_step_sessions")


# --- The "next step" the plan names ---------------------------------------------------------


def test_next_step_in_phase_one_is_not_hills_but_says_which_phase_brings_them():
    following = next_step(diagnosis=PHT, phase=1, step_code="run_continuous_easy")
    assert following.step.code == "run_hills"
    assert not following.in_phase
    assert following.phase == 4
    last = next_step(diagnosis=PHT, phase=4, step_code="run_continuous_easy")
    assert last.in_phase


def test_every_protocol_and_phase_names_only_allowed_steps_as_next():
    kb = knowledge()
    for protocol in kb.protocols.values():
        for phase in protocol.phases:
            for ladder in kb.ladders.values():
                ceiling = phase.ceiling(ladder.code)
                for step in ladder.steps:
                    if ceiling and step.position > ceiling.step.position:
                        continue
                    following = next_step(
                        diagnosis=protocol.diagnosis, phase=phase.number, step_code=step.code
                    )
                    if following.in_phase:
                        assert ceiling is None or following.step.position <= ceiling.step.position


# --- Property: no proposal exceeds the ceiling -----------------------------------------------

PHASED = [
    (protocol.diagnosis, phase.number)
    for protocol in knowledge().protocols.values()
    for phase in protocol.phases
]

good_session = st.builds(
    SessionLog,
    date=st.dates(min_value=DAY0, max_value=DAY0 + dt.timedelta(days=120)),
    exercise_pain=st.integers(0, 3),
    running_pain=st.none() | st.integers(0, 3),
    next_morning=st.sampled_from(["better", "same"]),
    running_pain_pattern=st.sampled_from([None, "warms_up", "steady"]),
)
any_session = st.builds(
    SessionLog,
    date=st.dates(min_value=DAY0, max_value=DAY0 + dt.timedelta(days=120)),
    exercise_pain=st.integers(0, 10),
    running_pain=st.none() | st.integers(0, 10),
    next_morning=st.sampled_from([None, "better", "same", "worse"]),
    pain_travelled_down_leg=st.booleans(),
    completed=st.booleans(),
    running_pain_pattern=st.sampled_from([None, "warms_up", "steady", "builds"]),
)
# Mostly settled sessions, so that progress is often due and the ceiling is what is tested.
session = st.one_of(good_session, good_session, good_session, any_session)


@settings(max_examples=400, deadline=None)
@given(
    where=st.sampled_from(PHASED),
    ladder=st.sampled_from(["bridge", "hip_thrust", "rdl", "running"]),
    data=st.data(),
    logs=st.lists(session, max_size=10),
)
def test_no_proposal_exceeds_the_phase_ceiling(where, ladder, data, logs):
    diagnosis, number = where
    kb = knowledge()
    ceiling = kb.protocol(diagnosis).phase(number).ceiling(ladder)
    steps = kb.ladder(ladder).steps
    top = ceiling.step.position if ceiling else len(steps)
    current = data.draw(st.sampled_from(steps[top - 1 : top]) | st.sampled_from(steps[:top]))
    proposal = propose_progression(
        tissue_or_diagnosis=diagnosis,
        ladder=ladder,
        current_step=current.code,
        logs=logs,
        phase=number,
    )
    assert kb.step(proposal.target_step).position <= top
    if proposal.rule == "hold_phase_ceiling":
        assert proposal.next_step_phase is not None and proposal.next_step_phase > number
        assert proposal.exit_criteria


@settings(max_examples=60, deadline=None)
@given(where=st.sampled_from(PHASED), logs=st.lists(session, min_size=1, max_size=30))
def test_a_walk_through_of_any_sessions_stays_within_each_phase(where, logs):
    """Accepting every proposal over any sequence never leaves the phase (phase moves aside)."""
    diagnosis, number = where
    kb = knowledge()
    entries = [{"session_date": DAY0.isoformat(), "advance_phase": True}] * (number - 1)
    entries += [
        {
            "session_date": log.date.isoformat(),
            "exercise_pain": log.exercise_pain,
            "running_pain": log.running_pain,
            "next_morning": log.next_morning,
            "pain_travelled_down_leg": log.pain_travelled_down_leg,
            "completed": log.completed,
            "running_pain_pattern": log.running_pain_pattern,
        }
        for log in logs
    ]
    entries.sort(key=lambda entry: entry["session_date"])
    for event in walk_through(diagnosis=diagnosis, entries=parse_entries(entries)):
        if event.item in kb.ladders and event.phase == number:
            ceiling = kb.protocol(diagnosis).phase(number).ceiling(event.item)
            if ceiling is not None:
                assert kb.step(event.to_step).position <= ceiling.step.position


# --- The loader checks the ceilings ---------------------------------------------------------


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> tuple[Path, Path]:
    kdir = tmp_path / "knowledge"
    idir = tmp_path / "illustrations"
    shutil.copytree(KNOWLEDGE_DIR, kdir)
    shutil.copytree(ILLUSTRATIONS_DIR, idir)
    return kdir, idir


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


FIRST_CEILING = '[[protocol.phase.ceiling]]\nladder = "bridge"\nstep = "bridge_isometric_double"'


def test_every_phase_but_the_last_bounds_running_and_the_last_bounds_nothing():
    for protocol in knowledge().protocols.values():
        for phase in protocol.phases[:-1]:
            assert phase.ceiling("running") is not None, (protocol.diagnosis, phase.number)
            for ceiling in phase.ceilings:
                assert ceiling.why and ceiling.source
        if protocol.phases:
            assert protocol.phases[-1].ceilings == ()


@pytest.mark.parametrize(
    ("new", "problem"),
    [
        (FIRST_CEILING.replace("bridge_isometric_double", "bridge_magic"), "bridge_magic"),
        (
            FIRST_CEILING.replace('step = "bridge_isometric_double"', 'step = "rdl_heavy"'),
            "rdl_heavy",
        ),
        (FIRST_CEILING.replace('ladder = "bridge"', 'ladder = "skipping"'), "unknown ladder"),
    ],
)
def test_the_loader_rejects_a_ceiling_step_not_on_its_ladder(knowledge_copy, new, problem):
    kdir, idir = knowledge_copy
    _edit(kdir / "protocols.toml", FIRST_CEILING, new)
    with pytest.raises(KnowledgeError, match=problem):
        load_knowledge(kdir, idir)


def test_the_loader_rejects_a_ceiling_below_the_phases_starting_step(knowledge_copy):
    kdir, idir = knowledge_copy
    old = 'ladder = "running"\nstep = "run_continuous_easy"\nwhy = "Hills and speed bend'
    _edit(kdir / "protocols.toml", old, old.replace("run_continuous_easy", "run_walk_run_long"))
    with pytest.raises(KnowledgeError, match=r"phase\[1\]: the running ceiling .* is below"):
        load_knowledge(kdir, idir)


def test_the_loader_rejects_a_phase_without_a_running_ceiling(knowledge_copy):
    kdir, idir = knowledge_copy
    _edit(
        kdir / "protocols.toml",
        'ladder = "running"\nstep = "run_brisk_walk"',
        'ladder = "rdl"\nstep = "rdl_hinge_dowel"',
    )
    with pytest.raises(KnowledgeError, match="needs a running ceiling"):
        load_knowledge(kdir, idir)


def test_the_loader_rejects_a_run_count_the_card_does_not_print(knowledge_copy):
    kdir, idir = knowledge_copy
    _edit(kdir / "ladders.toml", "({runs} runs in all)", "")
    with pytest.raises(KnowledgeError, match=r"min_sessions the text must say \{runs\}"):
        load_knowledge(kdir, idir)


# --- The walkthrough's input ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"exercise_pain": 1}, "session_date"),
        ({"session_date": "5 Jan", "exercise_pain": 1}, "session_date"),
        ({"session_date": "2026-01-05"}, "exercise_pain"),
        ({"session_date": "2026-01-05", "exercise_pain": 11}, "exercise_pain"),
        ({"session_date": "2026-01-05", "exercise_pain": 1, "running_pain": "3"}, "running_pain"),
        ({"session_date": "2026-01-05", "exercise_pain": 1, "next_morning": "ok"}, "next_morning"),
        ({"session_date": "2026-01-05", "exercise_pain": 1, "completed": "yes"}, "completed"),
        ({"session_date": "2026-01-05", "exercise_pain": 1, "pain": 2}, "pain"),
        ({"session_date": "2026-01-05", "advance_phase": False}, "advance_phase"),
    ],
)
def test_a_bad_entry_names_its_index_and_field(entry, field):
    good = {"session_date": "2026-01-04", "exercise_pain": 0}
    with pytest.raises(WalkthroughInputError) as raised:
        parse_entries([good, entry])
    assert (raised.value.index, raised.value.field) == (1, field)
    assert f"sessions[1].{field}:" in str(raised.value)


def test_the_loader_rejects_an_entry_limit_not_stricter_than_the_tissue(knowledge_copy):
    kdir, idir = knowledge_copy
    _edit(
        kdir / "protocols.toml",
        'step = "run_strides_speed"\npain_limit = 0',
        'step = "run_strides_speed"\npain_limit = 4',
    )
    with pytest.raises(KnowledgeError, match=r"entry_limit\[1\]\.pain_limit: needs a limit below"):
        load_knowledge(kdir, idir)


def test_a_diagnosis_without_its_phase_gets_no_proposal_at_all():
    """A missing phase must not switch the ceilings off."""
    with pytest.raises(ValueError, match="phase"):
        propose_progression(
            tissue_or_diagnosis=PHT, ladder="running", current_step="run_brisk_walk", logs=[]
        )
