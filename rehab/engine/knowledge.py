"""Load and check the knowledge files in ``rehab/knowledge/`` through the shared loader.

``load_knowledge()`` reads ladders, protocols, progression rules, the patient texts and the
red-flag registry (``clinic/knowledge/red_flags.toml``), checks them against each other (every
protocol step exists, every step has its illustration file, every cited source resolves in the
reference list, every reason template uses known placeholders, ...) and raises
``KnowledgeError`` listing every problem found, each with its file and key. The default load is
cached; the helpers (``ladder_steps``, ``step``, ``protocol`` ...) use it.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any

from clinic import knowledge as shared
from clinic.knowledge import Checker, Reference

from .schema import (
    ACTIVITIES,
    HIP_FLEXION_LEVELS,
    URGENCY_ORDER,
    Avoid,
    Dose,
    EntryLimit,
    GlossaryEntry,
    HipFlexion,
    Ladder,
    PainZoneText,
    PatientTexts,
    Phase,
    PhaseCeiling,
    PlannedExercise,
    Protocol,
    Rule,
    RunningClearance,
    RunningNowRule,
    RunningStart,
    RunningStartBand,
    RunningStartTexts,
    SafetySign,
    SourcedText,
    Step,
    Timeline,
    TissueRule,
)

REHAB_DIR = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = REHAB_DIR / "knowledge"
ILLUSTRATIONS_DIR = REHAB_DIR / "static" / "rehab" / "illustrations"

KNOWLEDGE_FILES = ("ladders", "protocols", "progression", "patient_texts")
LADDER_CODES = ("bridge", "hip_thrust", "rdl", "running")  # the core ladders, always there
EXERCISE_LADDERS = ("bridge", "hip_thrust", "rdl")
# Any other ladder is a phase's other prescribed item (kind = "activity"), e.g. the Askling
# extender: prescribed, dosed and carded like an exercise, progressed only if ``progressed``.
LADDER_KINDS = ("exercise", "running", "activity")
PAIN_ZONES = ("green", "amber", "red")
TRAINING_KINDS = ("strength", "running")

SETTING_CODES = (
    "consecutive_good_sessions",
    "running_stop_pain",
    "refer_travelled_count",
    "refer_window",
    "refer_consecutive_flares",
    "next_morning_wait_days",
)
PROGRESSION_RULES = {
    "refer_first_diagnosis": "refer",
    "refer_travelled": "refer",
    "refer_persistent_flare": "refer",
    "regress": "regress",
    "regress_at_bottom": "hold",
    "hold_no_sessions": "hold",
    "hold_no_running_sessions": "hold",
    "hold_not_completed": "hold",
    "hold_awaiting_next_morning": "hold",
    "hold_next_morning_unknown": "hold",
    "hold_need_more_sessions": "hold",
    "progress": "progress",
    "progress_at_top": "hold",
    "progress_needs_clearance": "hold",
    "regress_not_cleared": "regress",
    "hold_step_sessions": "hold",
    "hold_entry_pain": "hold",
    "hold_phase_ceiling": "hold",
    "hold_outside_protocol": "hold",
    "regress_above_phase": "regress",
}
RUNNING_RULES = {
    "refer_first": "stop_and_call",
    "travelled": "stop_and_call",
    "not_cleared": "stop",
    "stop_pain": "stop",
    "built": "stop",
    "bone_pain": "stop",
    "next_morning_worse": "modify",
    "above_limit": "modify",
    "continue": "continue",
}
TRIGGER_CODES = (
    "pain_above_limit",
    "running_stop_pain",
    "pain_built",
    "next_morning_worse",
    "travelled",
)
TEMPLATE_FIELDS = frozenset(
    {
        "current",
        "target",
        "ladder",
        "threshold",
        "tissue",
        "hours",
        "measure",
        "pain",
        "n",
        "triggers",
        "count",
        "window",
        "refer_reason",
        "runs",
        "phase",
        "next_phase",
        "exit",
        "why",
        "clearance",
    }
)
# progress_when is a template: the numbers the engine applies are written into the card text.
PROGRESS_WHEN_FIELDS = frozenset({"good", "Good", "runs", "Runs"})
NUMBER_WORDS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
]


class KnowledgeError(shared.KnowledgeError):
    """The rehab knowledge files are inconsistent; ``problems`` lists every problem found."""

    what = "rehab knowledge"


@dataclass(frozen=True, eq=False)
class Knowledge:
    """Everything the engine knows, validated. Mappings are read-only."""

    version: str
    hip_flexion_bands: Mapping[str, tuple[int, int]]  # level -> (from, to) degrees
    ladders: Mapping[str, Ladder]
    steps: Mapping[str, Step]
    protocols: Mapping[str, Protocol]
    tissues: Mapping[str, TissueRule]
    settings: Mapping[str, int]
    progression_rules: Mapping[str, Rule]
    running_rules: tuple[Rule, ...]  # in order of evaluation
    triggers: Mapping[str, SourcedText]
    red_flags: shared.RedFlagRegistry  # clinic/knowledge/red_flags.toml, the one registry
    patient: PatientTexts
    sources: Mapping[str, Reference]  # the reference list every source resolves in
    running_starts: Mapping[str, RunningStart]  # by tissue: the start from current weekly km
    running_start_texts: RunningStartTexts

    def ladder(self, code: str) -> Ladder:
        try:
            return self.ladders[code]
        except KeyError:
            raise KeyError(f"unknown ladder {code!r}; known: {', '.join(self.ladders)}") from None

    def step(self, code: str) -> Step:
        try:
            return self.steps[code]
        except KeyError:
            raise KeyError(f"unknown ladder step {code!r}") from None

    def protocol(self, diagnosis: str) -> Protocol:
        try:
            return self.protocols[diagnosis]
        except KeyError:
            known = ", ".join(self.protocols)
            raise KeyError(f"unknown diagnosis {diagnosis!r}; known: {known}") from None

    def tissue(self, code: str) -> TissueRule:
        try:
            return self.tissues[code]
        except KeyError:
            raise KeyError(f"unknown tissue {code!r}; known: {', '.join(self.tissues)}") from None

    def running_rule(self, code: str) -> Rule:
        for rule in self.running_rules:
            if rule.code == code:
                return rule
        raise KeyError(f"unknown running rule {code!r}")


# --- Loading ----------------------------------------------------------------------------------


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _template(
    check: Checker, where: str, text: str, fields: frozenset[str] = TEMPLATE_FIELDS
) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:
        check.problems.append(f"{where}: bad template ({error})")
        return
    unknown = names - fields
    check.need(not unknown, f"{where}: unknown placeholder(s) {sorted(unknown)}")


def _dose(check: Checker, where: str, table: Mapping[str, Any]) -> Dose:
    known = {f.name for f in fields(Dose)}
    extra = set(table) - known
    check.need(not extra, f"{where}: unknown dose field(s) {sorted(extra)}")
    return Dose(
        sets=check.integer(where, table, "sets", 1, 10),
        reps=table.get("reps"),
        hold_seconds=check.integer(where, table, "hold_seconds", 1, 600),
        tempo=table.get("tempo"),
        rest_seconds=check.integer(where, table, "rest_seconds", 0, 600),
        load=table.get("load"),
        sessions_per_week=check.integer(where, table, "sessions_per_week", 1, 14),
        session=table.get("session"),
        effort=table.get("effort"),
        notes=table.get("notes"),
        source=check.sources(where, table),
    )


def _hip_flexion_bands(check: Checker, data: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    bands: dict[str, tuple[int, int]] = {}
    raw = check.table("ladders.toml: hip_flexion_band", data.get("hip_flexion_band", {}))
    for level in HIP_FLEXION_LEVELS:
        where = f"ladders.toml: hip_flexion_band.{level}"
        band = check.table(where, raw.get(level))
        degrees = check.integers(f"{where}.degrees", band.get("degrees"), 2)
        check.sources(where, band)
        if degrees is not None and check.need(
            degrees[0] <= degrees[1], f"{where}.degrees: from must not exceed to"
        ):
            bands[level] = (degrees[0], degrees[1])
    levels = list(bands)
    for lower, higher in pairwise(levels):
        check.need(
            bands[lower][1] < bands[higher][0],
            f"ladders.toml: hip_flexion_band.{higher}: overlaps or precedes {lower}",
        )
    return bands


def _progress_when(check: Checker, where: str, raw: Mapping[str, Any], good: int, runs: int) -> str:
    """The step's "advance when" text with the session counts the engine applies filled in."""
    text = check.text(where, raw, "progress_when")
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:
        check.problems.append(f"{where}.progress_when: bad template ({error})")
        return text
    unknown = names - PROGRESS_WHEN_FIELDS
    if not check.need(
        not unknown, f"{where}.progress_when: unknown placeholder(s) {sorted(unknown)}"
    ):
        return text
    check.need(
        raw.get("min_sessions") is None or bool(names & {"runs", "Runs"}),
        f"{where}.progress_when: with min_sessions the text must say {{runs}}",
    )
    words = {"good": NUMBER_WORDS[good], "runs": NUMBER_WORDS[runs]}
    return text.format(**words, Good=words["good"].capitalize(), Runs=words["runs"].capitalize())


def _ladders(
    check: Checker,
    data: Mapping[str, Any],
    illustrations: Path,
    bands: Mapping[str, tuple[int, int]],
    good_sessions: int,
) -> dict[str, Ladder]:
    ladders: dict[str, Ladder] = {}
    seen_steps: set[str] = set()
    for raw in data.get("ladder", []):
        code = raw.get("code", "?")
        where = f"ladders.toml: ladder.{code}"
        kind = raw.get("kind", "running" if code == "running" else "exercise")
        check.need(
            (code in LADDER_CODES) == (kind != "activity"),
            f'{where}: a ladder other than {", ".join(LADDER_CODES)} is kind = "activity"',
        )
        check.need(kind in LADDER_KINDS, f"{where}.kind: must be one of {LADDER_KINDS}")
        check.need(code not in ladders, f"{where}: duplicate ladder")
        progressed = raw.get("progressed", True)
        check.need(isinstance(progressed, bool), f"{where}.progressed: true or false")
        check.need(
            progressed or kind == "activity", f"{where}.progressed: only an activity may be false"
        )
        steps: list[Step] = []
        for position, s in enumerate(raw.get("step", []), start=1):
            scode = s.get("code", "?")
            swhere = f"{where}.step.{scode}"
            check.need(scode not in seen_steps, f"{swhere}: duplicate step code")
            seen_steps.add(scode)
            hip = s.get("hip_flexion", {})
            level = hip.get("level")
            degrees = check.integer(swhere + ".hip_flexion", hip, "degrees", 0, 130)
            if check.need(level in HIP_FLEXION_LEVELS, f"{swhere}: hip_flexion level {level!r}"):
                lo, hi = bands.get(level, (0, 130))
                check.need(
                    degrees is not None and lo <= degrees <= hi,
                    f"{swhere}: {degrees} degrees does not fit hip_flexion level {level!r}",
                )
            dose = _dose(check, swhere + ".dose", s.get("dose", {}))
            activity = s.get("activity")
            if code == "running":
                check.need(activity in ACTIVITIES, f"{swhere}: activity must be in {ACTIVITIES}")
                check.need(bool(dose.session), f"{swhere}: a running dose needs 'session'")
            elif kind == "activity":
                # A running activity (the strain's sprint efforts) is judged on running pain.
                check.need(
                    activity in (None, "run"),
                    f"{swhere}: an activity step's activity may only be 'run' (judged on the "
                    "running pain)",
                )
                check.need(
                    bool(dose.sets is not None and (dose.reps or dose.hold_seconds))
                    or bool(dose.session),
                    f"{swhere}: an activity dose needs sets and reps or hold_seconds, or "
                    "'session' (when to do it)",
                )
            else:
                check.need(activity is None, f"{swhere}: only running steps have an activity")
                check.need(
                    bool(dose.sets is not None and (dose.reps or dose.hold_seconds)),
                    f"{swhere}: an exercise dose needs sets and reps or hold_seconds",
                )
            min_sessions = check.integer(swhere, s, "min_sessions", 1, 10)
            check.need(
                min_sessions is None or min_sessions >= good_sessions,
                f"{swhere}.min_sessions: fewer than the {good_sessions} good sessions in a row "
                "every step needs",
            )
            illustration = s.get("illustration", "")
            check.need(
                illustration == f"{scode}.svg",
                f"{swhere}: illustration must be named {scode}.svg",
            )
            check.need(
                (illustrations / illustration).is_file(),
                f"{swhere}: illustration file {illustration!r} is missing from {illustrations}",
            )
            steps.append(
                Step(
                    code=scode,
                    ladder=code,
                    position=position,
                    name=check.text(swhere, s, "name"),
                    purpose=check.text(swhere, s, "purpose"),
                    how_to=check.texts(swhere, s, "how_to"),
                    cues=check.texts(swhere, s, "cues"),
                    should_feel=check.text(swhere, s, "should_feel"),
                    progress_when=_progress_when(
                        check, swhere, s, good_sessions, min_sessions or good_sessions
                    ),
                    illustration=illustration,
                    dose=dose,
                    hip_flexion=HipFlexion(
                        level=level or "",
                        degrees=degrees or 0,
                        note=check.text(swhere + ".hip_flexion", hip, "note"),
                        source=check.sources(swhere + ".hip_flexion", hip),
                    ),
                    source=check.sources(swhere, s),
                    activity=activity,
                    min_sessions=min_sessions,
                )
            )
        if progressed:
            check.need(len(steps) >= 2, f"{where}: a ladder needs at least two steps")
        else:
            check.need(len(steps) == 1, f"{where}: an item that is not progressed has one step")
        ladders[code] = Ladder(
            code=code,
            name=check.text(where, raw, "name"),
            purpose=check.text(where, raw, "purpose"),
            steps=tuple(steps),
            source=check.sources(where, raw),
            kind=kind,
            progressed=bool(progressed),
        )
    missing = set(LADDER_CODES) - set(ladders)
    check.need(not missing, f"ladders.toml: missing ladder(s) {sorted(missing)}")
    return ladders


def _merge_dose(check: Checker, where: str, base: Dose, override: Mapping[str, Any]) -> Dose:
    if not override:
        return base
    if not check.need("source" in override, f"{where}: a dose override needs its own source"):
        return base
    merged = _dose(check, where, {**base.as_dict(), **override})
    # The override's sources are added to the step's, not substituted.
    return Dose(**{**merged.as_dict(), "source": _unique(base.source + _tuple(override["source"]))})


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _protocols(
    check: Checker,
    data: Mapping[str, Any],
    steps: Mapping[str, Step],
    ladders: Mapping[str, Ladder],
    tissues: Mapping[str, TissueRule],
) -> dict[str, Protocol]:
    protocols: dict[str, Protocol] = {}
    for raw in data.get("protocol", []):
        diagnosis = raw.get("diagnosis", "?")
        where = f"protocols.toml: protocol.{diagnosis}"
        check.need(diagnosis not in protocols, f"{where}: duplicate protocol")
        refer_first = raw.get("refer_first")
        check.need(isinstance(refer_first, bool), f"{where}: refer_first must be true or false")
        tissue = raw.get("tissue")
        phases: list[Phase] = []
        if refer_first:
            check.text(where, raw, "refer_reason")
            check.need(
                raw.get("refer_urgency") in URGENCY_ORDER,
                f"{where}: refer_urgency must be one of {URGENCY_ORDER}",
            )
            check.need(not raw.get("phase"), f"{where}: a refer-first protocol has no phases")
            check.need(tissue is None or tissue in tissues, f"{where}: unknown tissue {tissue!r}")
        else:
            check.need(tissue in tissues, f"{where}: tissue must be one of {sorted(tissues)}")
            check.need(bool(raw.get("phase")), f"{where}: needs at least one phase")
        for number, p in enumerate(raw.get("phase", []), start=1):
            pwhere = f"{where}.phase[{number}]"
            exercises: list[PlannedExercise] = []
            used_ladders: set[str] = set()
            for index, e in enumerate(p.get("exercise", []), start=1):
                code = e.get("step", "?")
                ewhere = f"{pwhere}.exercise[{index}]"
                if not check.need(code in steps, f"{ewhere}.step: no such ladder step {code!r}"):
                    continue
                step_obj = steps[code]
                check.need(
                    step_obj.ladder in EXERCISE_LADDERS,
                    f"{ewhere}: running steps go in 'running', not in exercises",
                )
                check.need(
                    step_obj.ladder not in used_ladders,
                    f"{ewhere}: the {step_obj.ladder} ladder is already used in this phase",
                )
                used_ladders.add(step_obj.ladder)
                exercises.append(
                    PlannedExercise(
                        step=step_obj,
                        dose=_merge_dose(check, ewhere + ".dose", step_obj.dose, e.get("dose", {})),
                        note=e.get("note"),
                        source=check.sources(ewhere, e),
                    )
                )
            check.need(bool(exercises), f"{pwhere}: needs at least one exercise")
            activities: list[PlannedExercise] = []
            for index, a in enumerate(p.get("activity", []), start=1):
                code = a.get("step", "?")
                awhere = f"{pwhere}.activity[{index}]"
                if not check.need(code in steps, f"{awhere}.step: no such step {code!r}"):
                    continue
                step_obj = steps[code]
                check.need(
                    ladders[step_obj.ladder].is_activity,
                    f"{awhere}: {code!r} is a ladder exercise; it goes in 'exercise'",
                )
                check.need(
                    step_obj.ladder not in used_ladders,
                    f"{awhere}: the {step_obj.ladder} activity is already used in this phase",
                )
                used_ladders.add(step_obj.ladder)
                activities.append(
                    PlannedExercise(
                        step=step_obj,
                        dose=_merge_dose(check, awhere + ".dose", step_obj.dose, a.get("dose", {})),
                        note=a.get("note"),
                        source=check.sources(awhere, a),
                    )
                )
            running_code = p.get("running", "?")
            running_ok = check.need(
                running_code in steps and steps[running_code].ladder == "running",
                f"{pwhere}: running step {running_code!r} is not on the running ladder",
            )
            weeks = p.get("weeks")
            weeks_ok = check.need(
                isinstance(weeks, list)
                and len(weeks) == 2
                and all(isinstance(w, int) for w in weeks)
                and 0 <= weeks[0] <= weeks[1],
                f"{pwhere}: weeks must be [from, to] whole numbers with from <= to",
            )
            phases.append(
                Phase(
                    number=number,
                    name=check.text(pwhere, p, "name"),
                    goal=check.text(pwhere, p, "goal"),
                    weeks=(weeks[0], weeks[1]) if weeks_ok else (0, 0),
                    exercises=tuple(exercises),
                    running=steps[running_code] if running_ok else ladders["running"].first,
                    running_note=check.text(pwhere, p, "running_note"),
                    other=tuple(
                        SourcedText(
                            text=check.text(f"{pwhere}.other", o, "what"),
                            source=check.sources(f"{pwhere}.other", o),
                        )
                        for o in p.get("other", [])
                    ),
                    entry=check.texts(pwhere, p, "entry"),
                    exit=check.texts(pwhere, p, "exit"),
                    source=check.sources(pwhere, p),
                    ceilings=_ceilings(check, pwhere, p, steps, ladders),
                    activities=tuple(activities),
                    ends=_ends(check, pwhere, p, phases, ladders),
                )
            )
        _check_phase_order(check, where, phases, ladders)
        _check_ceilings(check, where, phases, ladders)
        entry_limits = _entry_limits(check, where, raw, steps, tissues.get(tissue or ""))
        t = raw.get("timeline", {})
        t_weeks = t.get("weeks")
        t_ok = check.need(
            isinstance(t_weeks, list)
            and len(t_weeks) == 2
            and all(isinstance(w, int) for w in t_weeks)
            and 0 < t_weeks[0] <= t_weeks[1] <= t.get("upper_weeks", 0),
            f"{where}: timeline needs weeks = [from, to] and upper_weeks >= to",
        )
        avoid = tuple(
            Avoid(
                what=check.text(f"{where}.avoid", a, "what"),
                why=check.text(f"{where}.avoid", a, "why"),
                source=check.sources(f"{where}.avoid", a),
            )
            for a in raw.get("avoid", [])
        )
        check.need(bool(avoid), f"{where}: needs an avoid list")
        protocols[diagnosis] = Protocol(
            diagnosis=diagnosis,
            name=check.text(where, raw, "name"),
            tissue=tissue,
            refer_first=bool(refer_first),
            refer_reason=raw.get("refer_reason"),
            refer_urgency=raw.get("refer_urgency"),
            referral_note=raw.get("referral_note"),
            what_is_going_on=" ".join(check.text(where, raw, "what_is_going_on").split()),
            phases=tuple(phases),
            avoid=avoid,
            timeline=Timeline(
                summary=check.text(f"{where}.timeline", t, "summary"),
                weeks=(t_weeks[0], t_weeks[1]) if t_ok else (0, 0),
                upper_weeks=t.get("upper_weeks", 0),
                source=check.sources(f"{where}.timeline", t),
            ),
            safety_net=check.texts(where, raw, "safety_net"),
            source=check.sources(where, raw),
            entry_limits=entry_limits,
            running_clearance=_running_clearance(check, where, raw, tissues.get(tissue or "")),
        )
    return protocols


def _running_clearance(
    check: Checker, where: str, raw: Mapping[str, Any], tissue: TissueRule | None
) -> RunningClearance | None:
    """``[protocol.running_clearance]``: what must be recorded before any running. A tissue
    that always needs a doctor's clearance (bone) must say it for each of its protocols."""
    c = raw.get("running_clearance")
    cwhere = f"{where}.running_clearance"
    if c is None:
        check.need(
            tissue is None or not tissue.running_requires_clearance,
            f"{cwhere}: the {tissue.code if tissue else ''} tissue needs a doctor's clearance "
            "before running; say what is recorded (physio, runner, source)",
        )
        return None
    if not check.need(isinstance(c, Mapping), f"{cwhere}: must be a table"):
        return None
    check.need(not raw.get("refer_first"), f"{cwhere}: a refer-first protocol has no running")
    return RunningClearance(
        physio=check.text(cwhere, c, "physio"),
        runner=check.text(cwhere, c, "runner"),
        source=check.sources(cwhere, c),
    )


RUNNING_START_FIELDS = frozenset({"km", "step", "dose", "cap", "percent", "weeks"})


def _running_starts(
    check: Checker,
    data: Mapping[str, Any],
    steps: Mapping[str, Step],
    protocols: Mapping[str, Protocol],
    tissues: Mapping[str, TissueRule],
) -> tuple[dict[str, RunningStart], RunningStartTexts]:
    """``[[running_start]]``: per tissue, the running start from the current weekly km. Every
    start it can give lies between each protocol's phase-1 running step and that phase's
    running ceiling, so the distance a PT enters can never lift a runner past a safety rule."""
    starts: dict[str, RunningStart] = {}
    for index, raw in enumerate(data.get("running_start", []), start=1):
        tissue = raw.get("tissue")
        where = f"protocols.toml: running_start[{index}] ({tissue})"
        if not check.need(
            tissue in tissues, f"{where}.tissue: unknown tissue; known: {', '.join(tissues)}"
        ) or not check.need(
            tissue not in starts, f"{where}.tissue: a second running_start for {tissue!r}"
        ):
            continue
        highest = _running_step(check, f"{where}.highest_start", raw.get("highest_start"), steps)
        bands: list[RunningStartBand] = []
        for b_index, band in enumerate(raw.get("band", []), start=1):
            bwhere = f"{where}.band[{b_index}]"
            km = band.get("min_km")
            ok = isinstance(km, int | float) and not isinstance(km, bool) and 0 <= km <= 300
            check.need(ok, f"{bwhere}.min_km: must be a number from 0 to 300")
            step = _running_step(check, f"{bwhere}.step", band.get("step"), steps)
            if ok and step is not None:
                bands.append(RunningStartBand(min_km=float(km), step=step))
        check.need(
            bool(bands) and bands[0].min_km == 0, f"{where}.band: the first band needs min_km = 0"
        )
        check.need(
            all(
                a.min_km < b.min_km and a.step.position <= b.step.position
                for a, b in pairwise(bands)
            ),
            f"{where}.band: min_km must rise and the steps must not fall",
        )
        percent = check.integer(where, raw, "volume_percent", 1, 100)
        weeks = check.integer(where, raw, "volume_weeks", 1, 12)
        check.need(
            ("volume_percent" in raw) == ("volume_weeks" in raw),
            f"{where}: volume_percent and volume_weeks go together",
        )
        if highest is None:
            continue
        check.need(
            all(b.step.position <= highest.position for b in bands),
            f"{where}.band: a step above highest_start {highest.code!r}",
        )
        check.need(
            "volume_percent" in raw or not highest.involves_running,
            f"{where}.volume_percent: needed, the start can involve running",
        )
        starts[tissue] = RunningStart(
            tissue=tissue,
            highest_start=highest,
            bands=tuple(bands),
            volume_percent=percent,
            volume_weeks=weeks,
            why=check.text(where, raw, "why"),
            source=check.sources(where, raw),
        )
    for protocol in protocols.values():
        if protocol.refer_first or not protocol.phases or protocol.tissue not in tissues:
            continue  # an unknown tissue is reported with its protocol
        where = f"protocols.toml: running_start ({protocol.tissue})"
        start = starts.get(protocol.tissue or "")
        if start is None:
            check.need(False, f"{where}: missing, needed by protocol.{protocol.diagnosis}")
            continue
        first = protocol.phases[0]
        check.need(
            start.highest_start.position >= first.running.position,
            f"{where}.highest_start: below the phase-1 running step of protocol."
            f"{protocol.diagnosis} ({first.running.code})",
        )
    t = check.table("protocols.toml: running_start_texts", data.get("running_start_texts"))
    twhere = "protocols.toml: running_start_texts"
    texts = RunningStartTexts(
        ran=check.text(twhere, t, "ran"),
        not_running=check.text(twhere, t, "not_running"),
        volume=check.text(twhere, t, "volume"),
        later=check.text(twhere, t, "later"),
        source=check.sources(twhere, t),
    )
    for key in ("ran", "not_running", "volume", "later"):
        _template(check, f"{twhere}.{key}", getattr(texts, key), RUNNING_START_FIELDS)
    return starts, texts


def _running_step(check: Checker, where: str, code: Any, steps: Mapping[str, Step]) -> Step | None:
    ok = code in steps and steps[code].ladder == "running"
    check.need(ok, f"{where}: {code!r} is not a step of the running ladder")
    return steps[code] if ok else None


def _ends(
    check: Checker,
    where: str,
    raw: Mapping[str, Any],
    earlier: list[Phase],
    ladders: Mapping[str, Ladder],
) -> tuple[str, ...]:
    """``ends = [ladder codes]``: advice an earlier phase prescribed that stops here. Only
    advice (not progressed) may end: its row goes, and a progressed item's decisions would too."""
    ends = _tuple(raw.get("ends"))
    for code in ends:
        check.need(
            code in ladders and ladders[code].is_activity and not ladders[code].progressed,
            f"{where}.ends: {code!r} is not an advice activity (progressed = false)",
        )
        check.need(
            any(a.ladder == code for phase in earlier for a in phase.activities),
            f"{where}.ends: no earlier phase prescribes {code!r}",
        )
    return ends


def _ceilings(
    check: Checker,
    where: str,
    raw: Mapping[str, Any],
    steps: Mapping[str, Step],
    ladders: Mapping[str, Ladder],
) -> tuple[PhaseCeiling, ...]:
    """``[[protocol.phase.ceiling]]``: per ladder, the highest step the phase allows, sourced."""
    ceilings: list[PhaseCeiling] = []
    for index, c in enumerate(raw.get("ceiling", []), start=1):
        cwhere = f"{where}.ceiling[{index}]"
        ladder_code, code = c.get("ladder"), c.get("step")
        if not check.need(
            ladder_code in ladders, f"{cwhere}.ladder: unknown ladder {ladder_code!r}"
        ):
            continue
        if not check.need(
            code in steps and steps[code].ladder == ladder_code,
            f"{cwhere}.step: {code!r} is not a step of the {ladder_code} ladder",
        ):
            continue
        check.need(
            all(other.ladder != ladder_code for other in ceilings),
            f"{cwhere}: a second ceiling for the {ladder_code} ladder",
        )
        ceilings.append(
            PhaseCeiling(
                ladder=ladder_code,
                step=steps[code],
                why=check.text(cwhere, c, "why"),
                source=check.sources(cwhere, c),
            )
        )
    return tuple(ceilings)


def _check_ceilings(
    check: Checker, where: str, phases: list[Phase], ladders: Mapping[str, Ladder]
) -> None:
    """A ceiling is not below the step its phase starts the ladder at, and not below an earlier
    phase's; every phase but the last bounds the running ladder; the last phase bounds nothing
    (its steps above would come with no phase at all)."""
    highest: dict[str, int] = {}
    for phase in phases:
        pwhere = f"{where}.phase[{phase.number}]"
        last = phase.number == len(phases)
        if last:
            check.need(not phase.ceilings, f"{pwhere}: the last phase has no ceilings")
            continue
        check.need(
            phase.ceiling("running") is not None,
            f"{pwhere}: needs a running ceiling (the highest running step this phase allows)",
        )
        for ceiling in phase.ceilings:
            if ceiling.ladder not in ladders:
                continue
            position = ceiling.step.position
            start = phase.start_step(ceiling.ladder)
            check.need(
                start is None or position >= start.position,
                f"{pwhere}: the {ceiling.ladder} ceiling {ceiling.step.code!r} is below the step "
                f"the phase starts at ({start.code if start else ''!r})",
            )
            check.need(
                position >= highest.get(ceiling.ladder, 0),
                f"{pwhere}: the {ceiling.ladder} ceiling {ceiling.step.code!r} is lower than an "
                "earlier phase's",
            )
            check.need(
                position < len(ladders[ceiling.ladder].steps),
                f"{pwhere}: the {ceiling.ladder} ceiling is the top of the ladder; leave it out",
            )
            highest[ceiling.ladder] = max(position, highest.get(ceiling.ladder, 0))


def _entry_limits(
    check: Checker,
    where: str,
    raw: Mapping[str, Any],
    steps: Mapping[str, Step],
    tissue: TissueRule | None,
) -> tuple[EntryLimit, ...]:
    limits: list[EntryLimit] = []
    for index, e in enumerate(raw.get("entry_limit", []), start=1):
        ewhere = f"{where}.entry_limit[{index}]"
        code = e.get("step")
        if not check.need(code in steps, f"{ewhere}.step: no such ladder step {code!r}"):
            continue
        pain = check.integer(ewhere, e, "pain_limit", 0, 10)
        check.need(
            pain is not None and (tissue is None or pain < tissue.pain_limit),
            f"{ewhere}.pain_limit: needs a limit below the tissue's own",
        )
        limits.append(
            EntryLimit(
                step=steps[code],
                pain_limit=pain or 0,
                why=check.text(ewhere, e, "why"),
                source=check.sources(ewhere, e),
            )
        )
    return tuple(limits)


def _check_phase_order(
    check: Checker, where: str, phases: list[Phase], ladders: Mapping[str, Ladder]
) -> None:
    """Later phases never start a ladder lower than an earlier phase did; weeks run forward."""
    highest: dict[str, int] = {}
    previous_end = 0
    for phase in phases:
        check.need(
            phase.weeks[0] >= previous_end,
            f"{where}.phase[{phase.number}]: starts (week {phase.weeks[0]}) before the previous "
            f"phase ends (week {previous_end})",
        )
        previous_end = phase.weeks[1]
        for ladder_code in ladders:
            start = phase.start_step(ladder_code)
            if start is None or ladder_code not in ladders:
                continue
            position = ladders[ladder_code].index(start.code)
            check.need(
                position >= highest.get(ladder_code, -1),
                f"{where}.phase[{phase.number}]: starts {ladder_code} at {start.code!r}, "
                "lower than an earlier phase",
            )
            highest[ladder_code] = max(position, highest.get(ladder_code, -1))


def _progression(
    check: Checker, data: Mapping[str, Any]
) -> tuple[
    dict[str, TissueRule], dict[str, int], dict[str, Rule], tuple[Rule, ...], dict[str, SourcedText]
]:
    tissues: dict[str, TissueRule] = {}
    for t in data.get("tissue", []):
        code = t.get("code", "?")
        where = f"progression.toml: tissue.{code}"
        check.need(code not in tissues, f"{where}: duplicate tissue")
        limit = check.integer(where, t, "pain_limit", 0, 10)
        check.need(limit is not None, f"{where}: needs pain_limit")
        clearance = t.get("running_requires_clearance")
        check.need(isinstance(clearance, bool), f"{where}: running_requires_clearance true/false")
        tissues[code] = TissueRule(
            code=code,
            name=check.text(where, t, "name"),
            phrase=check.text(where, t, "phrase"),
            pain_limit=limit or 0,
            running_requires_clearance=bool(clearance),
            why=check.text(where, t, "why"),
            note=t.get("note"),
            source=check.sources(where, t),
        )
    settings: dict[str, int] = {}
    raw_settings = data.get("settings", {})
    for code in SETTING_CODES:
        where = f"progression.toml: settings.{code}"
        entry = raw_settings.get(code)
        if not check.need(isinstance(entry, dict), f"{where}: missing"):
            continue
        value = check.integer(where, entry, "value", 1, 10)
        check.need(value is not None, f"{where}: needs a value")
        check.text(where, entry, "why")
        check.sources(where, entry)
        settings[code] = value or 1
    if {"refer_travelled_count", "refer_window"} <= set(settings):
        check.need(
            settings["refer_travelled_count"] <= settings["refer_window"],
            "progression.toml: refer_travelled_count must not exceed refer_window",
        )
    rules: dict[str, Rule] = {}
    for r in data.get("progression_rule", []):
        code = r.get("code", "?")
        where = f"progression.toml: progression_rule.{code}"
        check.need(code in PROGRESSION_RULES, f"{where}: unknown rule code")
        check.need(code not in rules, f"{where}: duplicate rule")
        check.need(
            PROGRESSION_RULES.get(code) == r.get("action"),
            f"{where}: action must be {PROGRESSION_RULES.get(code)!r}",
        )
        reason = check.text(where, r, "reason")
        _template(check, where, reason)
        _template(check, where, check.text(where, r, "when"))
        rules[code] = Rule(
            code=code,
            action=r.get("action", ""),
            when=r.get("when", ""),
            reason=reason,
            source=check.sources(where, r),
        )
    missing = set(PROGRESSION_RULES) - set(rules)
    check.need(not missing, f"progression.toml: missing progression rule(s) {sorted(missing)}")
    running: list[Rule] = []
    for r in data.get("running_rule", []):
        code = r.get("code", "?")
        where = f"progression.toml: running_rule.{code}"
        check.need(code in RUNNING_RULES, f"{where}: unknown rule code")
        check.need(
            RUNNING_RULES.get(code) == r.get("action"),
            f"{where}: action must be {RUNNING_RULES.get(code)!r}",
        )
        reason = check.text(where, r, "reason")
        _template(check, where, reason)
        when = check.text(where, r, "when")
        _template(check, where, when)
        limited = _tuple(r.get("tissues"))
        check.need(
            all(t in tissues for t in limited), f"{where}: unknown tissue(s) in {list(limited)}"
        )
        running.append(
            Rule(
                code=code,
                action=r.get("action", ""),
                when=when,
                reason=reason,
                source=check.sources(where, r),
                do=check.text(where, r, "do"),
                tissues=limited,
                in_plan=r.get("in_plan", True),
                pain_free_plans=r.get("pain_free_plans", True),
            )
        )
    order = [rule.code for rule in running]
    check.need(
        order == list(RUNNING_RULES),
        f"progression.toml: running rules must be in the order {list(RUNNING_RULES)}",
    )
    triggers: dict[str, SourcedText] = {}
    for t in data.get("trigger", []):
        code = t.get("code", "?")
        where = f"progression.toml: trigger.{code}"
        check.need(code in TRIGGER_CODES, f"{where}: unknown trigger code")
        text = check.text(where, t, "text")
        _template(check, where, text)
        triggers[code] = SourcedText(text=text, source=check.sources(where, t))
    missing_triggers = set(TRIGGER_CODES) - set(triggers)
    check.need(not missing_triggers, f"progression.toml: missing trigger(s) {missing_triggers}")
    return tissues, settings, rules, tuple(running), triggers


def _signs(check: Checker, data: Mapping[str, Any], kind: str) -> tuple[SafetySign, ...]:
    signs = []
    for index, raw in enumerate(data.get(kind, []), start=1):
        where = f"patient_texts.toml: {kind}[{index}]"
        left_out = check.table(f"{where}.left_out_for", raw.get("left_out_for", {}))
        tissues = _tuple(left_out.get("tissues"))
        if left_out:
            check.need(bool(tissues), f"{where}.left_out_for.tissues: name at least one tissue")
            check.sources(f"{where}.left_out_for", left_out)
        matches = raw.get("matches", [])
        check.need(
            kind == "review_sign" or bool(matches),
            f"{where}.matches: list the words that show a protocol line says the same",
        )
        signs.append(
            SafetySign(
                text=check.text(where, raw, "text"),
                matches=_tuple(matches),
                left_out_for=tissues,
                source=check.sources(where, raw),
            )
        )
    check.need(bool(signs), f"patient_texts.toml: needs at least one {kind}")
    return tuple(signs)


def _running_now(check: Checker, data: Mapping[str, Any]) -> tuple[RunningNowRule, ...]:
    rules = []
    for index, raw in enumerate(data.get("running_now", []), start=1):
        where = f"patient_texts.toml: running_now[{index}]"
        activity = raw.get("activity")
        top = raw.get("top_of_ladder")
        not_cleared = raw.get("not_cleared", False)
        check.need(activity is None or activity in ACTIVITIES, f"{where}.activity: {activity!r}")
        check.need(top is None or isinstance(top, bool), f"{where}.top_of_ladder: true or false")
        check.need(isinstance(not_cleared, bool), f"{where}.not_cleared: true or false")
        check.one_of(f"{where}.action", raw.get("action"), ("continue", "modify", "stop"))
        explanation = check.text(where, raw, "explanation")
        try:
            explanation.format(step="", clearance="")
        except (KeyError, IndexError, ValueError) as error:
            check.problems.append(
                f"{where}.explanation: only {{step}} and {{clearance}} may be named ({error})"
            )
        rules.append(
            RunningNowRule(
                code=check.text(where, raw, "code"),
                action=raw.get("action", ""),
                headline=check.text(where, raw, "headline"),
                explanation=explanation,
                activity=activity,
                top_of_ladder=top,
                not_cleared=bool(not_cleared),
                source=check.sources(where, raw),
            )
        )
    for activity in ACTIVITIES:
        for top in (True, False):
            check.need(
                any(
                    r.activity in (None, activity) and r.top_of_ladder in (None, top)
                    for r in rules
                    if not r.not_cleared
                ),
                f"patient_texts.toml: running_now: no rule for activity {activity!r}"
                f"{' at' if top else ' below'} the top of the ladder",
            )
    return tuple(rules)


def _pain_zones(check: Checker, data: Mapping[str, Any]) -> tuple[PainZoneText, ...]:
    zones = []
    for index, raw in enumerate(data.get("pain_zone", []), start=1):
        where = f"patient_texts.toml: pain_zone[{index}]"
        zones.append(
            PainZoneText(
                code=raw.get("code", ""),
                name=check.text(where, raw, "name"),
                meaning=check.text(where, raw, "meaning"),
                pain_free_meaning=raw.get("pain_free_meaning"),
                no_scores_meaning=raw.get("no_scores_meaning"),
                do=check.text(where, raw, "do"),
                source=check.sources(where, raw),
            )
        )
    codes = [zone.code for zone in zones]
    check.need(
        codes == list(PAIN_ZONES), f"patient_texts.toml: pain_zone: codes must be {PAIN_ZONES}"
    )
    if codes == list(PAIN_ZONES):
        check.need(
            bool(zones[0].pain_free_meaning),
            "patient_texts.toml: pain_zone[1].pain_free_meaning: green needs its text for a "
            "tissue that allows no pain",
        )
        check.need(
            bool(zones[1].no_scores_meaning),
            "patient_texts.toml: pain_zone[2].no_scores_meaning: amber needs its text for when "
            "no pain score falls in it",
        )
    return tuple(zones)


def _training_days(
    check: Checker, data: Mapping[str, Any]
) -> tuple[dict[str, Mapping[int, tuple[int, ...]]], tuple[str, ...]]:
    raw = check.table("patient_texts.toml: training_days", data.get("training_days", {}))
    days: dict[str, Mapping[int, tuple[int, ...]]] = {}
    for kind in TRAINING_KINDS:
        by_count: dict[int, tuple[int, ...]] = {}
        table = check.table(f"patient_texts.toml: training_days.{kind}", raw.get(kind))
        for count in range(1, 8):
            where = f"patient_texts.toml: training_days.{kind}.{count}"
            chosen = check.integers(where, table.get(str(count)), count)
            if chosen is not None and check.need(
                sorted(set(chosen)) == list(chosen) and all(0 <= d <= 6 for d in chosen),
                f"{where}: {count} different days from 0 (Monday) to 6 (Sunday), in order",
            ):
                by_count[count] = chosen
        days[kind] = MappingProxyType(by_count)
    return days, check.sources("patient_texts.toml: training_days", raw)


def _patient_texts(check: Checker, data: Mapping[str, Any]) -> PatientTexts:
    glossary = tuple(
        GlossaryEntry(
            term=check.text(f"patient_texts.toml: glossary[{index}]", g, "term"),
            meaning=check.text(f"patient_texts.toml: glossary[{index}]", g, "meaning"),
            diagnosis=g.get("diagnosis"),
            source=check.sources(f"patient_texts.toml: glossary[{index}]", g),
        )
        for index, g in enumerate(data.get("glossary", []), start=1)
    )
    days, days_source = _training_days(check, data)
    return PatientTexts(
        same_day_signs=_signs(check, data, "same_day_sign"),
        review_signs=_signs(check, data, "review_sign"),
        glossary=glossary,
        running_now=_running_now(check, data),
        pain_zones=_pain_zones(check, data),
        training_days=MappingProxyType(days),
        training_days_source=days_source,
    )


def load_knowledge(
    directory: Path = KNOWLEDGE_DIR,
    illustrations: Path = ILLUSTRATIONS_DIR,
    references: Path = shared.REFERENCES_PATH,
    red_flags_path: Path = shared.RED_FLAGS_PATH,
) -> Knowledge:
    """Read and check the knowledge files and the red-flag registry they print from; raise
    KnowledgeError listing every problem."""
    check = Checker()
    raw: dict[str, dict[str, Any]] = {}
    versions: list[str] = []
    for name in KNOWLEDGE_FILES:
        data = check.read(directory / f"{name}.toml")
        raw[name] = data
        version = data.get("meta", {}).get("version")
        check.need(isinstance(version, int), f"{name}.toml: meta.version: must be a whole number")
        versions.append(str(version))
        check.cite_texts(f"{name}.toml", data, free_text_sources=False)
    bands = _hip_flexion_bands(check, raw["ladders"])
    tissues, settings, rules, running_rules, triggers = _progression(check, raw["progression"])
    good = settings.get("consecutive_good_sessions", 1)
    ladders = _ladders(check, raw["ladders"], illustrations, bands, good)
    steps = {s.code: s for ladder in ladders.values() for s in ladder.steps}
    protocols = _protocols(check, raw["protocols"], steps, ladders, tissues)
    running_starts, running_start_texts = _running_starts(
        check, raw["protocols"], steps, protocols, tissues
    )
    red_flags = shared.read_red_flags(check, red_flags_path)
    patient = _patient_texts(check, raw["patient_texts"])
    sources = shared.read_references(check, references)
    check.check_references(sources)
    check.done(KnowledgeError)
    return Knowledge(
        version=".".join(versions) + "+" + check.digest(),
        hip_flexion_bands=MappingProxyType(bands),
        ladders=MappingProxyType(ladders),
        steps=MappingProxyType(steps),
        protocols=MappingProxyType(protocols),
        tissues=MappingProxyType(tissues),
        settings=MappingProxyType(settings),
        progression_rules=MappingProxyType(rules),
        running_rules=running_rules,
        triggers=MappingProxyType(triggers),
        red_flags=red_flags,
        patient=patient,
        sources=sources,
        running_starts=MappingProxyType(running_starts),
        running_start_texts=running_start_texts,
    )


@cache
def knowledge() -> Knowledge:
    """The validated default knowledge (cached)."""
    return load_knowledge()


# --- Helpers for the Django side --------------------------------------------------------------


def knowledge_version() -> str:
    """e.g. ``2.1.2.1.2+3fa2c9e1b0``: file versions plus a hash of the files' content (the
    reference list included)."""
    return knowledge().version


def ladders() -> tuple[Ladder, ...]:
    return tuple(knowledge().ladders.values())


def ladder(code: str) -> Ladder:
    return knowledge().ladder(code)


def ladder_steps(code: str) -> tuple[Step, ...]:
    """The steps of a ladder, easiest first."""
    return knowledge().ladder(code).steps


def step(code: str) -> Step:
    return knowledge().step(code)


def protocol(diagnosis: str) -> Protocol:
    return knowledge().protocol(diagnosis)


def protocols() -> tuple[Protocol, ...]:
    return tuple(knowledge().protocols.values())


def tissue(code: str) -> TissueRule:
    return knowledge().tissue(code)


def source(key: str) -> Reference | None:
    """Citation and URL for a source key, or None for EST/GK notes and unknown keys."""
    return knowledge().sources.get(key)
