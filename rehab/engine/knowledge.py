"""Load and validate the knowledge files in ``rehab/knowledge/`` (TOML, read with tomllib).

``load_knowledge()`` reads ladders, protocols, progression rules, red flags and sources, checks
them against each other (every protocol step exists, every step has its illustration file, every
cited source resolves, every reason template uses known placeholders, ...) and raises
``KnowledgeError`` listing every problem found. The default load is cached; the helpers
(``ladder_steps``, ``step``, ``protocol`` ...) use it.
"""

from __future__ import annotations

import hashlib
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from .schema import (
    ACTIVITIES,
    HIP_FLEXION_LEVELS,
    URGENCY_ORDER,
    Avoid,
    Dose,
    HipFlexion,
    Ladder,
    Phase,
    PlannedExercise,
    Protocol,
    Rule,
    SourcedText,
    Step,
    Timeline,
    TissueRule,
)

REHAB_DIR = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = REHAB_DIR / "knowledge"
ILLUSTRATIONS_DIR = REHAB_DIR / "static" / "rehab" / "illustrations"

KNOWLEDGE_FILES = ("ladders", "protocols", "progression", "red_flags", "sources")
LADDER_CODES = ("bridge", "hip_thrust", "rdl", "running")
EXERCISE_LADDERS = ("bridge", "hip_thrust", "rdl")
# Hip-flexion bands (degrees) that each level must fall in: EST, see ladders.toml.
HIP_FLEXION_BANDS = {"low": (0, 44), "moderate": (45, 75), "high": (76, 130)}

SETTING_CODES = (
    "consecutive_good_sessions",
    "running_stop_pain",
    "refer_travelled_count",
    "refer_window",
    "refer_consecutive_flares",
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
    "hold_need_more_sessions": "hold",
    "progress": "progress",
    "progress_at_top": "hold",
    "progress_needs_clearance": "hold",
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
        "measure",
        "pain",
        "n",
        "triggers",
        "count",
        "window",
        "refer_reason",
    }
)
SOURCE_PREFIXES = ("EST:", "GK:")


class KnowledgeError(ValueError):
    """The knowledge files are inconsistent; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid rehab knowledge:\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True, eq=False)
class Knowledge:
    """Everything the engine knows, validated. Mappings are read-only."""

    version: str
    ladders: Mapping[str, Ladder]
    steps: Mapping[str, Step]
    protocols: Mapping[str, Protocol]
    tissues: Mapping[str, TissueRule]
    settings: Mapping[str, int]
    progression_rules: Mapping[str, Rule]
    running_rules: tuple[Rule, ...]  # in order of evaluation
    triggers: Mapping[str, SourcedText]
    red_flags: Mapping[str, Mapping[str, Any]]
    unknown_red_flag: Mapping[str, Any]
    sources: Mapping[str, Mapping[str, str]]

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


def _read(directory: Path, name: str) -> tuple[dict[str, Any], bytes]:
    raw = (directory / f"{name}.toml").read_bytes()
    return tomllib.loads(raw.decode("utf-8")), raw


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


class _Checker:
    """Collects problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.cited: list[tuple[str, str]] = []  # (where, source)

    def need(self, condition: bool, message: str) -> bool:
        if not condition:
            self.problems.append(message)
        return condition

    def text(self, where: str, table: Mapping[str, Any], key: str) -> str:
        value = table.get(key)
        self.need(
            isinstance(value, str) and value.strip() != "", f"{where}: '{key}' must be a text"
        )
        return value if isinstance(value, str) else ""

    def texts(self, where: str, table: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = table.get(key)
        ok = (
            isinstance(value, list)
            and len(value) > 0
            and all(isinstance(v, str) and v.strip() for v in value)
        )
        self.need(ok, f"{where}: '{key}' must be a non-empty list of texts")
        return tuple(cast(list[str], value)) if ok else ()

    def sources(self, where: str, table: Mapping[str, Any]) -> tuple[str, ...]:
        value = table.get("source")
        ok = (
            isinstance(value, list)
            and len(value) > 0
            and all(isinstance(v, str) and v.strip() for v in value)
        )
        if not self.need(ok, f"{where}: 'source' must be a non-empty list"):
            return ()
        sources = tuple(cast(list[str], value))
        for source in sources:
            self.cited.append((where, source))
        return sources

    def integer(
        self, where: str, table: Mapping[str, Any], key: str, lo: int, hi: int
    ) -> int | None:
        value = table.get(key)
        if value is None:
            return None
        ok = isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
        self.need(ok, f"{where}: '{key}' must be a whole number from {lo} to {hi}")
        return value if ok else None

    def template(self, where: str, text: str) -> None:
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as error:
            self.problems.append(f"{where}: bad template ({error})")
            return
        unknown = names - TEMPLATE_FIELDS
        self.need(not unknown, f"{where}: unknown placeholder(s) {sorted(unknown)}")


def _dose(check: _Checker, where: str, table: Mapping[str, Any]) -> Dose:
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


def _ladders(check: _Checker, data: Mapping[str, Any], illustrations: Path) -> dict[str, Ladder]:
    ladders: dict[str, Ladder] = {}
    seen_steps: set[str] = set()
    for raw in data.get("ladder", []):
        code = raw.get("code", "?")
        where = f"ladders.toml ladder {code!r}"
        check.need(code in LADDER_CODES, f"{where}: unknown ladder code")
        check.need(code not in ladders, f"{where}: duplicate ladder")
        steps: list[Step] = []
        for position, s in enumerate(raw.get("step", []), start=1):
            scode = s.get("code", "?")
            swhere = f"ladders.toml step {scode!r}"
            check.need(scode not in seen_steps, f"{swhere}: duplicate step code")
            seen_steps.add(scode)
            hip = s.get("hip_flexion", {})
            level = hip.get("level")
            degrees = check.integer(swhere + " hip_flexion", hip, "degrees", 0, 130)
            if check.need(level in HIP_FLEXION_LEVELS, f"{swhere}: hip_flexion level {level!r}"):
                lo, hi = HIP_FLEXION_BANDS[level]
                check.need(
                    degrees is not None and lo <= degrees <= hi,
                    f"{swhere}: {degrees} degrees does not fit hip_flexion level {level!r}",
                )
            dose = _dose(check, swhere + " dose", s.get("dose", {}))
            activity = s.get("activity")
            if code == "running":
                check.need(activity in ACTIVITIES, f"{swhere}: activity must be in {ACTIVITIES}")
                check.need(bool(dose.session), f"{swhere}: a running dose needs 'session'")
            else:
                check.need(activity is None, f"{swhere}: only running steps have an activity")
                check.need(
                    bool(dose.sets is not None and (dose.reps or dose.hold_seconds)),
                    f"{swhere}: an exercise dose needs sets and reps or hold_seconds",
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
                    progress_when=check.text(swhere, s, "progress_when"),
                    illustration=illustration,
                    dose=dose,
                    hip_flexion=HipFlexion(
                        level=level or "",
                        degrees=degrees or 0,
                        note=check.text(swhere + " hip_flexion", hip, "note"),
                        source=check.sources(swhere + " hip_flexion", hip),
                    ),
                    source=check.sources(swhere, s),
                    activity=activity,
                )
            )
        check.need(len(steps) >= 2, f"{where}: a ladder needs at least two steps")
        ladders[code] = Ladder(
            code=code,
            name=check.text(where, raw, "name"),
            purpose=check.text(where, raw, "purpose"),
            steps=tuple(steps),
            source=check.sources(where, raw),
        )
    missing = set(LADDER_CODES) - set(ladders)
    check.need(not missing, f"ladders.toml: missing ladder(s) {sorted(missing)}")
    return ladders


def _merge_dose(check: _Checker, where: str, base: Dose, override: Mapping[str, Any]) -> Dose:
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
    check: _Checker,
    data: Mapping[str, Any],
    steps: Mapping[str, Step],
    ladders: Mapping[str, Ladder],
    tissues: Mapping[str, TissueRule],
) -> dict[str, Protocol]:
    protocols: dict[str, Protocol] = {}
    for raw in data.get("protocol", []):
        diagnosis = raw.get("diagnosis", "?")
        where = f"protocols.toml {diagnosis!r}"
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
            pwhere = f"{where} phase {number}"
            exercises: list[PlannedExercise] = []
            used_ladders: set[str] = set()
            for e in p.get("exercise", []):
                code = e.get("step", "?")
                ewhere = f"{pwhere} exercise {code!r}"
                if not check.need(code in steps, f"{ewhere}: no such ladder step"):
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
                        dose=_merge_dose(check, ewhere + " dose", step_obj.dose, e.get("dose", {})),
                        note=e.get("note"),
                        source=check.sources(ewhere, e),
                    )
                )
            check.need(bool(exercises), f"{pwhere}: needs at least one exercise")
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
                            text=check.text(f"{pwhere} other", o, "what"),
                            source=check.sources(f"{pwhere} other", o),
                        )
                        for o in p.get("other", [])
                    ),
                    entry=check.texts(pwhere, p, "entry"),
                    exit=check.texts(pwhere, p, "exit"),
                    source=check.sources(pwhere, p),
                )
            )
        _check_phase_order(check, where, phases, ladders)
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
                what=check.text(f"{where} avoid", a, "what"),
                why=check.text(f"{where} avoid", a, "why"),
                source=check.sources(f"{where} avoid", a),
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
                summary=check.text(f"{where} timeline", t, "summary"),
                weeks=(t_weeks[0], t_weeks[1]) if t_ok else (0, 0),
                upper_weeks=t.get("upper_weeks", 0),
                source=check.sources(f"{where} timeline", t),
            ),
            safety_net=check.texts(where, raw, "safety_net"),
            source=check.sources(where, raw),
        )
    return protocols


def _check_phase_order(
    check: _Checker, where: str, phases: list[Phase], ladders: Mapping[str, Ladder]
) -> None:
    """Later phases never start a ladder lower than an earlier phase did; weeks run forward."""
    highest: dict[str, int] = {}
    previous_end = 0
    for phase in phases:
        check.need(
            phase.weeks[0] >= previous_end,
            f"{where} phase {phase.number}: starts (week {phase.weeks[0]}) before the previous "
            f"phase ends (week {previous_end})",
        )
        previous_end = phase.weeks[1]
        for ladder_code in LADDER_CODES:
            start = phase.start_step(ladder_code)
            if start is None or ladder_code not in ladders:
                continue
            position = ladders[ladder_code].index(start.code)
            check.need(
                position >= highest.get(ladder_code, -1),
                f"{where} phase {phase.number}: starts {ladder_code} at {start.code!r}, "
                "lower than an earlier phase",
            )
            highest[ladder_code] = max(position, highest.get(ladder_code, -1))


def _progression(
    check: _Checker, data: Mapping[str, Any]
) -> tuple[
    dict[str, TissueRule], dict[str, int], dict[str, Rule], tuple[Rule, ...], dict[str, SourcedText]
]:
    tissues: dict[str, TissueRule] = {}
    for t in data.get("tissue", []):
        code = t.get("code", "?")
        where = f"progression.toml tissue {code!r}"
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
        where = f"progression.toml settings.{code}"
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
        where = f"progression.toml progression_rule {code!r}"
        check.need(code in PROGRESSION_RULES, f"{where}: unknown rule code")
        check.need(code not in rules, f"{where}: duplicate rule")
        check.need(
            PROGRESSION_RULES.get(code) == r.get("action"),
            f"{where}: action must be {PROGRESSION_RULES.get(code)!r}",
        )
        reason = check.text(where, r, "reason")
        check.template(where, reason)
        check.template(where, check.text(where, r, "when"))
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
        where = f"progression.toml running_rule {code!r}"
        check.need(code in RUNNING_RULES, f"{where}: unknown rule code")
        check.need(
            RUNNING_RULES.get(code) == r.get("action"),
            f"{where}: action must be {RUNNING_RULES.get(code)!r}",
        )
        reason = check.text(where, r, "reason")
        check.template(where, reason)
        when = check.text(where, r, "when")
        check.template(where, when)
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
        where = f"progression.toml trigger {code!r}"
        check.need(code in TRIGGER_CODES, f"{where}: unknown trigger code")
        text = check.text(where, t, "text")
        check.template(where, text)
        triggers[code] = SourcedText(text=text, source=check.sources(where, t))
    missing_triggers = set(TRIGGER_CODES) - set(triggers)
    check.need(not missing_triggers, f"progression.toml: missing trigger(s) {missing_triggers}")
    return tissues, settings, rules, tuple(running), triggers


def _red_flags(
    check: _Checker, data: Mapping[str, Any]
) -> tuple[dict[str, Mapping[str, Any]], Mapping[str, Any]]:
    flags: dict[str, Mapping[str, Any]] = {}
    for f in [*data.get("flag", []), {"code": "[unknown]", **data.get("unknown", {})}]:
        code = f.get("code", "?")
        where = f"red_flags.toml {code!r}"
        check.need(code not in flags, f"{where}: duplicate red flag")
        check.need(f.get("urgency") in URGENCY_ORDER, f"{where}: urgency {f.get('urgency')!r}")
        flags[code] = MappingProxyType(
            {
                "condition": check.text(where, f, "condition"),
                "urgency": f.get("urgency", "urgent"),
                "action": check.text(where, f, "action"),
                "source": check.sources(where, f),
            }
        )
    unknown = flags.pop("[unknown]")
    return flags, unknown


def _check_sources(check: _Checker, sources: Mapping[str, Any]) -> None:
    for where, source in check.cited:
        if source.startswith(SOURCE_PREFIXES):
            reason = source.split(":", 1)[1].strip()
            check.need(bool(reason), f"{where}: {source!r} needs a reason after the colon")
        else:
            check.need(
                source in sources,
                f"{where}: source {source!r} is not in sources.toml (use a key, 'seed', "
                "'EST: reason' or 'GK: reason')",
            )
    for key, entry in sources.items():
        check.need(
            bool(isinstance(entry, dict) and entry.get("citation") and entry.get("url")),
            f"sources.toml {key!r}: needs citation and url",
        )


def load_knowledge(
    directory: Path = KNOWLEDGE_DIR, illustrations: Path = ILLUSTRATIONS_DIR
) -> Knowledge:
    """Read and validate the knowledge files; raise KnowledgeError listing every problem."""
    check = _Checker()
    raw: dict[str, dict[str, Any]] = {}
    digest = hashlib.sha256()
    versions: list[str] = []
    for name in KNOWLEDGE_FILES:
        data, content = _read(directory, name)
        raw[name] = data
        digest.update(name.encode() + b"\0" + content + b"\0")
        version = data.get("meta", {}).get("version")
        check.need(isinstance(version, int), f"{name}.toml: [meta] version must be a whole number")
        versions.append(str(version))
    ladders = _ladders(check, raw["ladders"], illustrations)
    steps = {s.code: s for ladder in ladders.values() for s in ladder.steps}
    tissues, settings, rules, running_rules, triggers = _progression(check, raw["progression"])
    protocols = _protocols(check, raw["protocols"], steps, ladders, tissues)
    red_flags, unknown_flag = _red_flags(check, raw["red_flags"])
    sources = raw["sources"].get("source", {})
    _check_sources(check, sources)
    if check.problems:
        raise KnowledgeError(check.problems)
    return Knowledge(
        version=".".join(versions) + "+" + digest.hexdigest()[:10],
        ladders=MappingProxyType(ladders),
        steps=MappingProxyType(steps),
        protocols=MappingProxyType(protocols),
        tissues=MappingProxyType(tissues),
        settings=MappingProxyType(settings),
        progression_rules=MappingProxyType(rules),
        running_rules=running_rules,
        triggers=MappingProxyType(triggers),
        red_flags=MappingProxyType(red_flags),
        unknown_red_flag=unknown_flag,
        sources=MappingProxyType({k: MappingProxyType(v) for k, v in sources.items()}),
    )


@cache
def knowledge() -> Knowledge:
    """The validated default knowledge (cached)."""
    return load_knowledge()


# --- Helpers for the Django side --------------------------------------------------------------


def knowledge_version() -> str:
    """e.g. ``1.1.1.1.1+3fa2c9e1b0``: file versions plus a hash of the files' content."""
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


def source(key: str) -> Mapping[str, str] | None:
    """Citation and URL for a source key, or None for EST/GK notes and unknown keys."""
    return knowledge().sources.get(key)
