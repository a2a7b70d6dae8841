"""walk_through(): what the engine would propose for a diagnosis over a list of sessions.

For reviewers auditing the protocols without a database of patients (``manage.py
plan_walkthrough``). The plan starts as ``build_plan`` drafts it; after each session every
ladder gets the proposal the physio would see, and the physio is assumed to accept each move
(the new step counts the sessions after the move, in input order: entries are taken by date,
and in file order within a date). Phases move only where the input says the physio moved
them (the exit criteria are the physio's judgement, not the engine's), with each ladder lifted
to the new phase's start as ``plan_advance_phase`` does; likewise the clearance to run (the
hip, bone) counts only from an entry that records it, as ``plan_set_cleared_to_run`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .knowledge import Knowledge, knowledge
from .plan import build_plan, running_start
from .progression import propose_progression, step_before_clearance
from .schema import (
    NEXT_MORNING_VALUES,
    RUN_PATTERN_VALUES,
    Protocol,
    ReferFirst,
    SessionLog,
    TissueRule,
)

# The fields of the runner's log form (rehab.forms.SessionLogForm), and a phase move.
SESSION_FIELDS = (
    "session_date",
    "exercise_pain",
    "running_pain",
    "running_pain_pattern",
    "next_morning",
    "pain_travelled_down_leg",
    "completed",
    "load_used",
    "weekly_distance_km",
    "notes",
)
PHASE_FIELDS = ("session_date", "advance_phase", "notes")
# The physio recording the clearance the protocol asks for before running (the hip, bone).
CLEARANCE_FIELDS = ("session_date", "cleared_to_run", "notes")


class WalkthroughInputError(ValueError):
    """The input is wrong: ``index`` (None: the whole list) and ``field`` say where."""

    def __init__(self, index: int | None, field: str, message: str):
        self.index, self.field = index, field
        where = field if index is None else f"sessions[{index}].{field}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Entry:
    """A parsed input entry: a session, the physio moving the plan to the next phase, or the
    physio recording (or undoing) the clearance to run."""

    index: int  # position in the input, for errors
    date: dt.date
    log: SessionLog | None  # None: a phase move or a clearance
    cleared_to_run: bool | None = None  # set: a clearance entry


@dataclass(frozen=True)
class Event:
    date: dt.date | None  # None: where the plan starts
    phase: int | None
    item: str  # a ladder code, "phase", or "plan" (refer first)
    from_step: str | int | None
    to_step: str | int | None
    decision: str  # start | progress | hold | regress | refer | advance | phase_start
    rule: str | None
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat() if self.date else None,
            "phase": self.phase,
            "item": self.item,
            "from": self.from_step,
            "to": self.to_step,
            "decision": self.decision,
            "rule": self.rule,
            "reason": self.reason,
        }


def parse_entries(raw: Any) -> list[Entry]:
    """The input list (JSON-decoded) as entries, or ``WalkthroughInputError`` on the first bad
    field. Entries are returned in date order (stable for equal dates)."""
    if not isinstance(raw, list):
        raise WalkthroughInputError(None, "sessions", "must be a JSON list of session logs")
    entries = [_entry(index, item) for index, item in enumerate(raw)]
    return sorted(entries, key=lambda entry: entry.date)


def _entry(index: int, item: Any) -> Entry:
    def bad(field: str, message: str) -> WalkthroughInputError:
        return WalkthroughInputError(index, field, message)

    if not isinstance(item, Mapping):
        raise bad("(entry)", "must be a JSON object")
    phase_move = "advance_phase" in item
    clearance = "cleared_to_run" in item
    if phase_move and clearance:
        raise bad("cleared_to_run", "a phase move and a clearance are separate entries")
    known = PHASE_FIELDS if phase_move else CLEARANCE_FIELDS if clearance else SESSION_FIELDS
    for field in item:
        if field not in known:
            what = (
                "a phase move or clearance takes only"
                if known != SESSION_FIELDS
                else ("known fields are")
            )
            raise bad(field, f"unknown field; {what} {', '.join(known)}")
    try:
        date = dt.date.fromisoformat(str(item["session_date"]))
    except KeyError:
        raise bad("session_date", "required (YYYY-MM-DD)") from None
    except ValueError:
        raise bad("session_date", "must be a date, YYYY-MM-DD") from None
    if phase_move:
        if item["advance_phase"] is not True:
            raise bad("advance_phase", "must be true (the physio moved the plan on that day)")
        return Entry(index=index, date=date, log=None)
    if clearance:
        if not isinstance(item["cleared_to_run"], bool):
            raise bad("cleared_to_run", "must be true (recorded) or false (undone)")
        return Entry(index=index, date=date, log=None, cleared_to_run=item["cleared_to_run"])
    if "exercise_pain" not in item:
        raise bad("exercise_pain", "required, a whole number from 0 to 10")
    exercise_pain = _pain(item["exercise_pain"], bad, "exercise_pain")
    running_pain = item.get("running_pain")
    if running_pain is not None:
        running_pain = _pain(running_pain, bad, "running_pain")
    pattern = _choice(
        item.get("running_pain_pattern"), RUN_PATTERN_VALUES, bad, "running_pain_pattern"
    )
    morning = _choice(item.get("next_morning"), NEXT_MORNING_VALUES, bad, "next_morning")
    flags: dict[str, bool] = {}
    for field, default in (("pain_travelled_down_leg", False), ("completed", True)):
        value = item.get(field, default)
        if not isinstance(value, bool):
            raise bad(field, "must be true or false")
        flags[field] = value
    for field in ("load_used", "notes"):
        if not isinstance(item.get(field, ""), str):
            raise bad(field, "must be text")
    distance = item.get("weekly_distance_km")
    if distance is not None and (
        isinstance(distance, bool) or not isinstance(distance, int | float) or distance < 0
    ):
        raise bad("weekly_distance_km", "must be a number of km, 0 or more")
    return Entry(
        index=index,
        date=date,
        log=SessionLog(
            date=date,
            exercise_pain=exercise_pain,
            running_pain=running_pain,
            next_morning=morning,
            running_pain_pattern=pattern,
            load=item.get("load_used") or None,
            pain_travelled_down_leg=flags["pain_travelled_down_leg"],
            completed=flags["completed"],
        ),
    )


def _pain(value: Any, bad: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise bad(field, "must be a whole number from 0 to 10")
    return value


def _choice(value: Any, choices: Sequence[str], bad: Any, field: str) -> str | None:
    if value in (None, ""):
        return None
    if value not in choices:
        raise bad(field, f"must be one of {', '.join(choices)} (or empty)")
    return str(value)


def walk_through(
    *,
    diagnosis: str,
    entries: Sequence[Entry],
    weekly_km: float | None = None,
    kb: Knowledge | None = None,
) -> list[Event]:
    """Every proposal and phase move over ``entries`` (see the module docstring); the running
    ladder starts where ``build_plan`` puts it for ``weekly_km``."""
    kb = kb or knowledge()
    draft = build_plan(diagnosis=diagnosis, weekly_km=weekly_km, kb=kb)
    if isinstance(draft, ReferFirst):
        return [Event(None, None, "plan", None, None, "refer", None, draft.reason)]
    protocol = kb.protocol(diagnosis)
    tissue = kb.tissue(protocol.tissue or "")
    phase = 1
    cleared = False
    # ladder -> (step code, how many of ``logs`` came before the step: the rest count at it);
    # progressed activities (e.g. the strain's sprint efforts) are walked like the ladders.
    steps: dict[str, tuple[str, int]] = {
        item.ladder: (item.code, 0)
        for item in (*draft.exercises, *draft.activities)
        if kb.ladder(item.ladder).progressed
    }
    steps["running"] = (draft.running.step.code, 0)
    events = [
        Event(
            None,
            1,
            ladder,
            None,
            code,
            "start",
            None,
            (ladder == "running" and draft.running.start_note)
            or "Phase 1 starts this ladder here.",
        )
        for ladder, (code, _) in steps.items()
    ]
    logs: list[SessionLog] = []
    for entry in entries:
        if entry.cleared_to_run is not None:
            cleared = entry.cleared_to_run
            events.append(
                _clearance_event(
                    entry, phase, cleared, protocol, tissue, steps, logs, weekly_km, kb
                )
            )
            continue
        if entry.log is None:
            if phase >= len(protocol.phases):
                raise WalkthroughInputError(
                    entry.index, "advance_phase", f"the plan is already in its last phase ({phase})"
                )
            exit_text = " ".join(protocol.phase(phase).exit)
            events.append(
                Event(
                    entry.date,
                    phase + 1,
                    "phase",
                    phase,
                    phase + 1,
                    "advance",
                    None,
                    f"The physio moved the plan on (phase {phase} exit criteria: {exit_text})",
                )
            )
            phase += 1
            starts = protocol.phase(phase)
            progressed = [a.ladder for a in starts.activities if kb.ladder(a.ladder).progressed]
            for ladder in [*(e.ladder for e in starts.exercises), *progressed, "running"]:
                start = starts.start_step(ladder)
                if start is not None:
                    start = step_before_clearance(
                        start, protocol=protocol, tissue=tissue, cleared_to_run=cleared, kb=kb
                    )
                current = steps.get(ladder)
                if start is None or (current and kb.step(current[0]).position >= start.position):
                    continue
                steps[ladder] = (start.code, len(logs))
                reason = f"Phase {phase} starts the {kb.ladder(ladder).name.lower()} ladder here."
                events.append(
                    Event(
                        entry.date,
                        phase,
                        ladder,
                        current[0] if current else None,
                        start.code,
                        "phase_start",
                        None,
                        reason,
                    )
                )
            continue
        logs.append(entry.log)
        for ladder, (code, since) in list(steps.items()):
            proposal = propose_progression(
                tissue_or_diagnosis=diagnosis,
                ladder=ladder,
                current_step=code,
                logs=logs[since:],
                phase=phase,
                cleared_to_run=cleared,
                kb=kb,
            )
            events.append(
                Event(
                    entry.date,
                    phase,
                    ladder,
                    code,
                    proposal.target_step,
                    proposal.action,
                    proposal.rule,
                    proposal.reason,
                )
            )
            if proposal.target_step != code:
                steps[ladder] = (proposal.target_step, len(logs))
    return events


def _clearance_event(
    entry: Entry,
    phase: int,
    cleared: bool,
    protocol: Protocol,
    tissue: TissueRule,
    steps: dict[str, tuple[str, int]],
    logs: list[SessionLog],
    weekly_km: float | None,
    kb: Knowledge,
) -> Event:
    """The physio records (or undoes) the clearance to run; the running ladder moves as
    ``plan_set_cleared_to_run`` moves it: up to the runner's start, or down below running."""
    code, _ = steps["running"]
    current = kb.step(code)
    target = step_before_clearance(
        current, protocol=protocol, tissue=tissue, cleared_to_run=cleared, kb=kb
    )
    if cleared:
        start, _ = running_start(protocol, tissue, weekly_km, cleared_to_run=True, kb=kb)
        the_phase = protocol.phase(phase)
        start = max(start, the_phase.running, key=lambda s: s.position)
        ceiling = the_phase.ceiling("running")
        if ceiling is not None and start.position > ceiling.step.position:
            start = ceiling.step
        target = max(current, start, key=lambda s: s.position)
    if target.code != code:
        steps["running"] = (target.code, len(logs))
    needed = protocol.running_clearance.physio if protocol.running_clearance else ""
    return Event(
        entry.date,
        phase,
        "running",
        code,
        target.code,
        "cleared" if cleared else "clearance_undone",
        None,
        (
            "The physio recorded the clearance to run. "
            if cleared
            else "The clearance to run was undone: no step with running in it. "
        )
        + needed,
    )
