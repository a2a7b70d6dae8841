"""Frozen dataclasses that go in and out of the plan engine.

Plain Python, no Django. Every clinical statement carries ``source``: a tuple of reference keys
(resolved in ``clinic/knowledge/references.toml``, e.g. ``"seed"``), or ``"EST: reason"`` /
``"GK: reason"`` strings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Action = Literal["progress", "hold", "regress", "refer"]
RunningAction = Literal["continue", "modify", "stop", "stop_and_call"]
NextMorning = Literal["better", "same", "worse"]
RunPattern = Literal["warms_up", "steady", "builds"]
Urgency = Literal["emergency", "same_day", "urgent", "within_days"]
Activity = Literal["none", "walk", "walk_run", "run"]

NEXT_MORNING_VALUES: tuple[str, ...] = ("better", "same", "worse")
RUN_PATTERN_VALUES: tuple[str, ...] = ("warms_up", "steady", "builds")
# Most urgent first.
URGENCY_ORDER: tuple[str, ...] = ("emergency", "same_day", "urgent", "within_days")
ACTIVITIES: tuple[str, ...] = ("none", "walk", "walk_run", "run")
HIP_FLEXION_LEVELS: tuple[str, ...] = ("low", "moderate", "high")

Sources = tuple[str, ...]


class _AsDict:
    """``as_dict()`` for storing an engine result (e.g. in a JSONField)."""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]


# --- Ladders ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dose(_AsDict):
    """How much of a step to do. Exercise steps use sets/reps/hold; running steps use session."""

    sets: int | None = None
    reps: str | None = None
    hold_seconds: int | None = None
    tempo: str | None = None
    rest_seconds: int | None = None
    load: str | None = None
    sessions_per_week: int | None = None
    session: str | None = None
    effort: str | None = None
    notes: str | None = None
    source: Sources = ()

    def summary(self) -> str:
        """One line for a plan table, e.g. ``5 × 45 s hold · rest 2 min · 7× a week``."""
        parts: list[str] = []
        if self.session:
            parts.append(self.session)
        if self.sets and self.hold_seconds:
            parts.append(f"{self.sets} × {self.hold_seconds} s hold")
        elif self.sets and self.reps:
            parts.append(f"{self.sets} × {self.reps}")
        if self.tempo and not self.hold_seconds:
            parts.append(self.tempo)
        if self.rest_seconds:
            minutes, seconds = divmod(self.rest_seconds, 60)
            if seconds == 0:
                parts.append(f"rest {minutes} min")
            elif minutes == 0:
                parts.append(f"rest {seconds} s")
            else:
                parts.append(f"rest {minutes} min {seconds} s")
        if self.effort:
            parts.append(self.effort)
        if self.sessions_per_week and self.sessions_per_week >= 14:
            parts.append("twice a day")
        elif self.sessions_per_week:
            parts.append(f"{self.sessions_per_week}× a week")
        return " · ".join(parts)


@dataclass(frozen=True)
class HipFlexion(_AsDict):
    level: str  # low | moderate | high
    degrees: int  # approximate largest hip flexion angle reached
    note: str
    source: Sources


@dataclass(frozen=True)
class Step(_AsDict):
    """One rung of a ladder."""

    code: str
    ladder: str
    position: int  # 1 = the easiest step of its ladder
    name: str
    purpose: str
    how_to: tuple[str, ...]
    cues: tuple[str, ...]
    should_feel: str
    progress_when: str
    illustration: str  # file name in rehab/static/rehab/illustrations/
    dose: Dose
    hip_flexion: HipFlexion
    source: Sources
    activity: str | None = None  # running ladder only: none | walk | walk_run | run
    # Sessions at this step before it may be left (e.g. walk-run: each distance twice); None:
    # the usual count of good sessions in a row. ``progress_when`` is rendered with it.
    min_sessions: int | None = None

    @property
    def static_path(self) -> str:
        """Path for Django's ``static()``: ``rehab/illustrations/<code>.svg``."""
        return f"rehab/illustrations/{self.illustration}"

    @property
    def involves_running(self) -> bool:
        return self.activity in ("walk_run", "run")


@dataclass(frozen=True)
class Ladder(_AsDict):
    code: str
    name: str
    purpose: str
    steps: tuple[Step, ...]
    source: Sources
    # exercise (bridge, hip thrust, RDL) | running | activity (a phase's other prescribed item:
    # the Askling exercises, the morning check, sliders, sitting advice ...)
    kind: str = "exercise"
    # False: advice or a check, one step, never proposed up or down (e.g. sitting, crutches)
    progressed: bool = True

    @property
    def is_activity(self) -> bool:
        return self.kind == "activity"

    @property
    def first(self) -> Step:
        return self.steps[0]

    @property
    def last(self) -> Step:
        return self.steps[-1]

    def index(self, step_code: str) -> int:
        for i, candidate in enumerate(self.steps):
            if candidate.code == step_code:
                return i
        raise KeyError(f"step {step_code!r} is not on the {self.code!r} ladder")

    def next_after(self, step_code: str) -> Step | None:
        i = self.index(step_code)
        return self.steps[i + 1] if i + 1 < len(self.steps) else None

    def previous_before(self, step_code: str) -> Step | None:
        i = self.index(step_code)
        return self.steps[i - 1] if i > 0 else None


# --- Protocols --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourcedText(_AsDict):
    text: str
    source: Sources


@dataclass(frozen=True)
class Avoid(_AsDict):
    what: str
    why: str
    source: Sources


@dataclass(frozen=True)
class Timeline(_AsDict):
    summary: str
    weeks: tuple[int, int]  # typical range
    upper_weeks: int  # longer courses still within the expected picture
    source: Sources


@dataclass(frozen=True)
class PlannedExercise(_AsDict):
    """A ladder step prescribed in a phase, with the dose to use (protocol overrides merged)."""

    step: Step
    dose: Dose
    note: str | None
    source: Sources

    @property
    def ladder(self) -> str:
        return self.step.ladder

    @property
    def code(self) -> str:
        return self.step.code


@dataclass(frozen=True)
class PhaseCeiling(_AsDict):
    """The highest step of a ladder a phase allows, and why the steps above it wait."""

    ladder: str
    step: Step
    why: str
    source: Sources


@dataclass(frozen=True)
class EntryLimit(_AsDict):
    """A stricter pain limit for moving onto ``step`` in one protocol (e.g. speed after a strain
    only on pain-free running): the sessions that earn the step must all be at or below it."""

    step: Step
    pain_limit: int
    why: str
    source: Sources


@dataclass(frozen=True)
class Phase(_AsDict):
    number: int  # 1-based
    name: str
    goal: str
    weeks: tuple[int, int]  # typical, from the start of the plan
    exercises: tuple[PlannedExercise, ...]
    running: Step  # the running-ladder step this phase starts at
    running_note: str
    other: tuple[SourcedText, ...]  # activities not (yet) prescribed items: listed as text
    entry: tuple[str, ...]
    exit: tuple[str, ...]
    source: Sources
    ceilings: tuple[PhaseCeiling, ...] = ()  # none: every ladder may reach its top
    # The phase's other prescribed items (activity ladders), each with its dose like an exercise.
    activities: tuple[PlannedExercise, ...] = ()
    # Activity ladders of earlier phases that end when this phase starts (e.g. crutches once
    # the doctor allows full weight); the others carry on, like the ladders.
    ends: tuple[str, ...] = ()

    def ceiling(self, ladder: str) -> PhaseCeiling | None:
        """The highest step of ``ladder`` this phase allows, or None for no limit."""
        for ceiling in self.ceilings:
            if ceiling.ladder == ladder:
                return ceiling
        return None

    def start_step(self, ladder: str) -> Step | None:
        """The step this phase starts ``ladder`` at, or None if the phase does not use it."""
        if ladder == "running":
            return self.running
        for exercise in (*self.exercises, *self.activities):
            if exercise.ladder == ladder:
                return exercise.step
        return None


@dataclass(frozen=True)
class RunningClearance(_AsDict):
    """What must be on record before a protocol's plan may include running (e.g. the hip: a
    medical review that has ruled out a femoral-neck stress fracture). Until the physio records
    it (``Plan.cleared_to_run``), no step with running in it is started or proposed."""

    physio: str  # what the physio records, in the clinic's words
    runner: str  # why the runner does not run yet (runner-facing)
    source: Sources


@dataclass(frozen=True)
class Protocol(_AsDict):
    diagnosis: str
    name: str
    tissue: str | None
    refer_first: bool
    refer_reason: str | None
    refer_urgency: str | None
    referral_note: str | None  # referral needed alongside the plan (e.g. bone stress injury)
    what_is_going_on: str
    phases: tuple[Phase, ...]
    avoid: tuple[Avoid, ...]
    timeline: Timeline
    safety_net: tuple[str, ...]
    source: Sources
    entry_limits: tuple[EntryLimit, ...] = ()
    running_clearance: RunningClearance | None = None

    def entry_limit(self, step_code: str) -> EntryLimit | None:
        for limit in self.entry_limits:
            if limit.step.code == step_code:
                return limit
        return None

    def phase(self, number: int) -> Phase:
        if not 1 <= number <= len(self.phases):
            raise ValueError(f"{self.diagnosis} has phases 1 to {len(self.phases)}, not {number}")
        return self.phases[number - 1]


# --- Pain-monitoring model --------------------------------------------------------------------


@dataclass(frozen=True)
class TissueRule(_AsDict):
    code: str  # tendon | strain | nerve | bone | joint
    name: str
    phrase: str  # "tendon pain", used in reasons
    pain_limit: int  # highest acceptable pain (0-10) during exercise
    running_requires_clearance: bool
    why: str
    note: str | None
    source: Sources


@dataclass(frozen=True)
class Rule(_AsDict):
    """A progression or running rule as written in progression.toml."""

    code: str
    action: str
    when: str
    reason: str  # template
    source: Sources
    do: str | None = None  # running rules: what the runner does
    tissues: tuple[str, ...] = ()  # empty = all tissues
    in_plan: bool = True
    pain_free_plans: bool = True  # False: not printed when the tissue allows no pain


@dataclass(frozen=True)
class RunningRuleText(_AsDict):
    """One of the runner's rules as printed in a plan."""

    action: str
    when: str
    do: str
    source: Sources


@dataclass(frozen=True)
class RunningGuidance(_AsDict):
    step: Step  # where running starts in this phase
    note: str
    pain_limit: int
    stop_pain: int
    requires_clearance: bool
    rules: tuple[RunningRuleText, ...]
    weekly_km: float | None = None  # the runner's current weekly running; 0 = not running; None
    start_note: str = ""  # "You ran about N km a week; start with ..." (empty when not asked)


@dataclass(frozen=True)
class RunningStartBand(_AsDict):
    min_km: float
    step: Step


@dataclass(frozen=True)
class RunningStart(_AsDict):
    """Per tissue: the running step a runner starts at, from their current weekly km."""

    tissue: str
    highest_start: Step
    bands: tuple[RunningStartBand, ...]  # rising min_km; the first has min_km 0
    volume_percent: int | None  # first weeks at or under this share of the current km
    volume_weeks: int | None
    why: str
    source: Sources


@dataclass(frozen=True)
class RunningStartTexts(_AsDict):
    ran: str
    not_running: str
    volume: str
    later: str
    source: Sources


# --- What the patient reads ------------------------------------------------------------------


@dataclass(frozen=True)
class SafetySign(_AsDict):
    """A sign that sends the runner to care, in words a runner understands."""

    text: str
    matches: tuple[str, ...]  # words showing a protocol's own safety line already says it
    left_out_for: tuple[str, ...]  # tissue codes for which the sign is not printed
    source: Sources


@dataclass(frozen=True)
class SafetySigns(_AsDict):
    """The plan's safety net, most urgent first, with the protocol's own lines merged in."""

    emergency: tuple[str, ...]
    same_day: tuple[str, ...]
    review: tuple[str, ...]


@dataclass(frozen=True)
class GlossaryEntry(_AsDict):
    term: str
    meaning: str
    diagnosis: str | None  # None: printed in every plan
    source: Sources


@dataclass(frozen=True)
class RunningNowRule(_AsDict):
    """One answer to "what about running now?"; the first rule that matches the step decides."""

    code: str
    action: str  # continue | modify | stop
    headline: str
    explanation: str  # template: {step} is the running step's name
    activity: str | None  # matches the step's activity; None: any
    top_of_ladder: bool | None  # matches a step at (True) or below (False) the top; None: any
    not_cleared: bool  # matches running steps while the tissue still needs a doctor's clearance
    source: Sources


@dataclass(frozen=True)
class RunningNow(_AsDict):
    action: str
    headline: str
    explanation: str
    rule: str
    source: Sources


@dataclass(frozen=True)
class PainZoneText(_AsDict):
    code: str  # green | amber | red
    name: str
    meaning: str
    pain_free_meaning: str | None  # green when the tissue's limit is 0
    no_scores_meaning: str | None  # amber when no pain score falls in it
    do: str
    source: Sources


@dataclass(frozen=True)
class PainZone(_AsDict):
    code: str  # green | amber | red
    name: str
    low: int | None  # None: no pain score falls in the zone
    high: int | None
    meaning: str
    do: str
    source: Sources

    @property
    def range_text(self) -> str:
        if self.low is None:
            return "—"
        if self.low == self.high:
            return f"{self.low}"
        return f"{self.low}–{self.high}"


@dataclass(frozen=True)
class PatientTexts(_AsDict):
    """patient_texts.toml: what the printed plan tells the runner, and when."""

    same_day_signs: tuple[SafetySign, ...]  # besides the red flags' signs (red_flags.toml)
    review_signs: tuple[SafetySign, ...]
    glossary: tuple[GlossaryEntry, ...]
    running_now: tuple[RunningNowRule, ...]  # in order of evaluation
    pain_zones: tuple[PainZoneText, ...]  # green, amber, red
    # Suggested days (0 = Monday) by sessions a week, for "strength" and "running".
    training_days: Mapping[str, Mapping[int, tuple[int, ...]]]
    training_days_source: Sources


# --- Plans ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanDraft(_AsDict):
    diagnosis: str
    diagnosis_name: str
    tissue: TissueRule
    pain_limit: int
    what_is_going_on: str
    phases: tuple[Phase, ...]
    exercises: tuple[PlannedExercise, ...]  # phase 1
    running: RunningGuidance  # phase 1
    avoid: tuple[Avoid, ...]
    timeline: Timeline
    safety_net: tuple[str, ...]
    referral_note: str | None
    knowledge_version: str
    sources: Sources  # every source cited anywhere in the plan, sorted
    activities: tuple[PlannedExercise, ...] = ()  # phase 1's other prescribed items


@dataclass(frozen=True)
class RedFlagAction(_AsDict):
    code: str
    condition: str
    urgency: str
    action: str  # the physio's words
    runner: str  # what the runner is told
    known: bool  # False: the code is not in the registry; the generic urgent entry applies
    source: Sources


@dataclass(frozen=True)
class ReferFirst(_AsDict):
    diagnosis: str
    diagnosis_name: str
    reason: str
    urgency: str
    red_flags: tuple[RedFlagAction, ...]
    what_is_going_on: str
    avoid: tuple[Avoid, ...]
    safety_net: tuple[str, ...]
    timeline: Timeline
    knowledge_version: str
    sources: Sources


# --- Progression ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionLog:
    """One logged session.

    ``exercise_pain``: worst pain during the strength exercises, 0-10. ``running_pain``: worst pain
    during the running-ladder activity (walk, walk-run or run), 0-10, or None if there was none.
    ``next_morning``: symptoms the next morning compared with usual, or None if not known yet.
    ``running_pain_pattern``: during the run the pain warmed up (eased), stayed steady or built.
    ``logged_at``: when the session was logged (aware), from which a missing next-morning answer
    is awaited for a while, then treated as unknown.
    """

    date: dt.date
    exercise_pain: int
    running_pain: int | None = None
    next_morning: str | None = None  # better | same | worse
    pain_travelled_down_leg: bool = False
    completed: bool = True
    load: str | float | None = None
    running_pain_pattern: str | None = None  # warms_up | steady | builds
    logged_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.date, dt.date):
            raise TypeError("date must be a datetime.date")
        _check_pain("exercise_pain", self.exercise_pain)
        if self.running_pain is not None:
            _check_pain("running_pain", self.running_pain)
        if self.next_morning is not None and self.next_morning not in NEXT_MORNING_VALUES:
            raise ValueError(f"next_morning must be one of {', '.join(NEXT_MORNING_VALUES)}")
        pattern = self.running_pain_pattern
        if pattern is not None and pattern not in RUN_PATTERN_VALUES:
            raise ValueError(f"running_pain_pattern must be one of {', '.join(RUN_PATTERN_VALUES)}")
        for name in ("pain_travelled_down_leg", "completed"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be true or false")


def _check_pain(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a whole number from 0 to 10")
    if not 0 <= value <= 10:
        raise ValueError(f"{name} must be from 0 to 10")


@dataclass(frozen=True)
class RunningAdvice(_AsDict):
    action: str  # continue | modify | stop | stop_and_call
    reason: str
    rule: str
    pain_limit: int | None
    source: Sources


@dataclass(frozen=True)
class NextStep(_AsDict):
    """The step after one on its ladder, as the plan may name it: allowed in the current phase,
    or coming with a later phase (``phase``), or none (the top of the ladder)."""

    step: Step | None
    in_phase: bool
    phase: int | None  # the phase the step comes with when it is not in this one


@dataclass(frozen=True)
class Proposal(_AsDict):
    action: str  # progress | hold | regress | refer
    ladder: str
    current_step: str
    target_step: str  # equals current_step for hold and refer
    target_name: str
    reason: str
    rule: str  # code of the progression rule that decided
    tissue: str | None
    pain_limit: int | None
    at_ladder_limit: bool  # True when the top or bottom of the ladder stopped a move
    triggers: tuple[str, ...]  # codes of the flare triggers in the deciding session(s)
    running_advice: RunningAdvice | None
    knowledge_version: str
    source: Sources
    phase: int | None = None  # the plan phase the proposal was made for (None: not bounded)
    phase_ceiling: str | None = None  # the highest step of this ladder the phase allows
    next_step_phase: int | None = None  # held at the ceiling: the phase the next step comes with
    exit_criteria: tuple[str, ...] = ()  # held at the ceiling: what moves the plan on
