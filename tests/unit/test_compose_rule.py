"""The composer's rule (rehab/engine/compose.py): what a PT may add to a plan's phase, and that
the engine keeps whatever was added within its phase."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from rehab.engine import knowledge, propose_progression
from rehab.engine.compose import ladder_standing, library, step_fit
from rehab.engine.schema import SessionLog

PHT = "proximal_hamstring_tendinopathy"
PHASED = [
    (p.diagnosis, phase.number)
    for p in knowledge().protocols.values()
    if not p.refer_first
    for phase in p.phases
]


def _fit(diagnosis, phase, code):
    kb = knowledge()
    return step_fit(kb.protocol(diagnosis), phase, kb.step(code))


def test_a_protocol_item_goes_in_up_to_the_phase_ceiling_without_a_reason():
    fit = _fit(PHT, 2, "bridge_single_leg_long_lever")  # phase 2's bridge ceiling
    assert fit.allowed and not fit.needs_reason and fit.standing == "in_protocol"


def test_a_step_above_the_phase_ceiling_is_refused_whatever_the_reason():
    fit = _fit(PHT, 1, "bridge_double")  # phase 1 holds the bridge at the isometric hold
    assert not fit.allowed
    assert "highest step phase 1 allows" in fit.refusal


def test_a_ladder_of_a_later_phase_goes_in_only_at_its_first_step_and_with_a_reason():
    first = _fit(PHT, 1, "rdl_hinge_dowel")
    assert first.standing == "later_phase" and first.allowed and first.needs_reason
    deeper = _fit(PHT, 1, "rdl_full_range")
    assert not deeper.allowed and "comes with phase 3" in deeper.refusal


def test_a_ladder_the_protocol_never_uses_goes_in_only_at_its_first_step_and_with_a_reason():
    assert ladder_standing(knowledge().protocol(PHT), 1, "askling_extender") == ("outside", None)
    assert _fit(PHT, 1, "askling_extender_slow").needs_reason
    assert not _fit(PHT, 1, knowledge().ladder("askling_extender").steps[1].code).allowed


def test_an_activity_ended_by_an_earlier_phase_is_outside_the_protocol_again():
    kb = knowledge()
    ended = [
        (p.diagnosis, phase.number, ladder)
        for p in kb.protocols.values()
        for phase in p.phases
        for ladder in phase.ends
    ]
    assert ended, "some protocol ends an activity (crutches)"
    diagnosis, number, ladder = ended[0]
    assert ladder_standing(kb.protocol(diagnosis), number, ladder)[0] == "outside"


@settings(max_examples=200, deadline=None)
@given(where=st.sampled_from(PHASED))
def test_nothing_the_library_allows_passes_the_phase(where):
    """Every allowed step is within the phase's ceiling; off the protocol, only a first step."""
    diagnosis, number = where
    kb = knowledge()
    protocol = kb.protocol(diagnosis)
    for fit in library(protocol, number):
        if not fit.allowed:
            continue
        ceiling = protocol.phase(number).ceiling(fit.step.ladder)
        assert ceiling is None or fit.step.position <= ceiling.step.position
        if fit.standing != "in_protocol":
            assert fit.needs_reason and fit.step.position == 1


def _good(day: int) -> SessionLog:
    return SessionLog(
        date=dt.date(2026, 1, day),
        exercise_pain=1,
        running_pain=None,
        next_morning="same",
        completed=True,
    )


def test_an_item_outside_the_protocol_is_held_at_its_first_step_however_well_it_goes():
    proposal = propose_progression(
        tissue_or_diagnosis=PHT,
        ladder="hip_thrust",
        current_step="hip_thrust_bodyweight",
        logs=[_good(day) for day in range(1, 8)],
        phase=1,
    )
    assert (proposal.action, proposal.rule) == ("hold", "hold_outside_protocol")
    assert proposal.target_step == "hip_thrust_bodyweight"
    assert "phase 2" in proposal.reason  # the phase that brings it in


def test_an_item_outside_the_protocol_still_steps_back_on_pain():
    flare = SessionLog(
        date=dt.date(2026, 1, 2), exercise_pain=8, next_morning="worse", completed=True
    )
    proposal = propose_progression(
        tissue_or_diagnosis=PHT,
        ladder="askling_extender",
        current_step="askling_extender_slow",
        logs=[flare],
        phase=1,
    )
    assert proposal.action == "hold" and proposal.rule == "regress_at_bottom"


def test_the_same_ladder_progresses_once_its_phase_brings_it_in():
    proposal = propose_progression(
        tissue_or_diagnosis=PHT,
        ladder="hip_thrust",
        current_step="hip_thrust_bodyweight",
        logs=[_good(day) for day in range(1, 8)],
        phase=2,
    )
    assert proposal.action == "progress"
