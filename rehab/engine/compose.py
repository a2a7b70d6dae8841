"""What a PT may add to a plan's phase: the composer's rule, plain Python.

A plan's diagnosis has a protocol; its current phase allows some ladders and steps. The PT may
compose the phase freely within that, and step outside it only where it cannot push the plan
past its phase:

* **In the protocol** — the ladder is started by this phase or an earlier one of the protocol
  (exercise, activity or running) and not ended since: any step up to the phase's ceiling for it
  (``protocols.toml``; no ceiling: the ladder's top). No reason needed.
* **Outside the protocol for this phase** — the protocol never starts the ladder, an earlier
  phase ended it (crutches), or only a later phase starts it (the Romanian deadlift of phase 3
  of a tendinopathy): only its first step, and only with the PT's reason, stored and shown on
  the plan. The engine then holds it there (``outside_ceiling``): it may be stepped back or
  referred on pain like any item, never moved up, because this phase sets no limit for it. When
  the plan reaches a phase that starts the ladder, that phase's steps and ceiling apply.
* A step above the phase's ceiling is refused whatever the reason, and the running ladder is
  always one item of the plan (its step changes on its card, within its ceiling).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .knowledge import Knowledge, knowledge
from .schema import PhaseCeiling, Protocol, Step

Standing = Literal["in_protocol", "later_phase", "outside"]

OUTSIDE_WHY = (
    "The protocol does not use this item in this phase: the PT added it with a reason, so the "
    "plan keeps it at its first step."
)
LATER_WHY = (
    "The protocol brings this item in with phase {later}: until then the plan keeps it at its "
    "first step."
)
OUTSIDE_SOURCE = ("EST: no phase of the protocol sets how far an item it does not use may go",)


def ladder_standing(protocol: Protocol, phase: int, ladder: str) -> tuple[Standing, int | None]:
    """Where ``ladder`` stands in ``phase`` of ``protocol``, and for ``later_phase`` the phase
    that starts it."""
    started = False
    for candidate in protocol.phases[:phase]:
        if ladder in candidate.ends:
            started = False
        if candidate.start_step(ladder) is not None:
            started = True
    if started:
        return "in_protocol", None
    if not any(ladder in candidate.ends for candidate in protocol.phases[:phase]):
        for candidate in protocol.phases[phase:]:
            if candidate.start_step(ladder) is not None:
                return "later_phase", candidate.number
    return "outside", None


def outside_ceiling(
    protocol: Protocol | None, phase: int | None, ladder: str, *, kb: Knowledge | None = None
) -> PhaseCeiling | None:
    """The ceiling of a ladder outside the protocol in ``phase``: its first step (None when the
    ladder is in the protocol, comes with a later phase, or there is no protocol phase)."""
    if protocol is None or phase is None or protocol.refer_first:
        return None
    standing, later = ladder_standing(protocol, phase, ladder)
    if standing == "in_protocol":
        return None
    kb = kb or knowledge()
    why = LATER_WHY.format(later=later) if later else OUTSIDE_WHY
    return PhaseCeiling(ladder=ladder, step=kb.ladder(ladder).first, why=why, source=OUTSIDE_SOURCE)


@dataclass(frozen=True)
class StepFit:
    """Whether a step may go into a plan's phase: ``refusal`` (never, whatever the reason) or
    allowed, with ``needs_reason`` when it is outside the protocol."""

    step: Step
    standing: Standing
    refusal: str | None
    needs_reason: bool

    @property
    def allowed(self) -> bool:
        return self.refusal is None


def step_fit(protocol: Protocol, phase: int, step: Step, *, kb: Knowledge | None = None) -> StepFit:
    """Apply the composer's rule (module docstring) to one step."""
    kb = kb or knowledge()
    standing, later = ladder_standing(protocol, phase, step.ladder)
    ladder = kb.ladder(step.ladder)

    def fit(refusal: str | None = None, *, needs_reason: bool = False) -> StepFit:
        return StepFit(step=step, standing=standing, refusal=refusal, needs_reason=needs_reason)

    ceiling = protocol.phase(phase).ceiling(step.ladder)
    if ceiling is not None and step.position > ceiling.step.position:
        return fit(
            f"{step.name} is above {ceiling.step.name}, the highest step phase {phase} allows. "
            f"{ceiling.why}"
        )
    if standing != "in_protocol":
        if step.position > ladder.first.position:
            where = f"comes with phase {later}" if later else "is not used in this phase"
            return fit(
                f"{ladder.name} {where} of this protocol: before then only its first step, "
                f"{ladder.first.name}, may be added (with a reason), and it is not moved up."
            )
        return fit(needs_reason=True)
    return fit()


def library(protocol: Protocol, phase: int, *, kb: Knowledge | None = None) -> tuple[StepFit, ...]:
    """Every step of every ladder the knowledge defines, each with its fit for ``phase``."""
    kb = kb or knowledge()
    return tuple(
        step_fit(protocol, phase, step, kb=kb)
        for ladder in kb.ladders.values()
        for step in ladder.steps
    )
