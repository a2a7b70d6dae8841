"""propose_progression() and running_advice(): the pain-monitoring model applied to logs.

The rules, thresholds and reason texts live in ``rehab/knowledge/progression.toml``; this module
applies them in the order described there. One step at a time, never past either end of a ladder.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Sequence
from typing import Any

from .compose import ladder_standing, outside_ceiling
from .knowledge import Knowledge, knowledge
from .schema import (
    NextStep,
    PhaseCeiling,
    Proposal,
    Protocol,
    RunningAdvice,
    SessionLog,
    Step,
    TissueRule,
)

_MEASURES = {"walk": "walking", "walk_run": "running", "run": "running"}


class _Fields(dict[str, Any]):
    """Template fields; a missing one renders as empty text rather than failing."""

    def __missing__(self, key: str) -> str:
        return ""


def _render(template: str, **values: Any) -> str:
    return string.Formatter().vformat(template, (), _Fields(values))


def _resolve(kb: Knowledge, tissue_or_diagnosis: str) -> tuple[Protocol | None, TissueRule | None]:
    """A diagnosis code gives its protocol and tissue; a tissue code gives just the tissue."""
    if tissue_or_diagnosis in kb.protocols:
        protocol = kb.protocols[tissue_or_diagnosis]
        tissue = kb.tissues.get(protocol.tissue) if protocol.tissue else None
        return protocol, tissue
    if tissue_or_diagnosis in kb.tissues:
        return None, kb.tissues[tissue_or_diagnosis]
    known = ", ".join([*kb.tissues, *kb.protocols])
    raise KeyError(f"unknown tissue or diagnosis {tissue_or_diagnosis!r}; known: {known}")


def clearance_needed(protocol: Protocol | None, tissue: TissueRule | None) -> bool:
    """Running waits for a recorded clearance: the protocol asks for one (the hip: a medical
    review ruling out a femoral-neck stress fracture), or the tissue always does (bone)."""
    if protocol is not None and protocol.running_clearance is not None:
        return True
    return bool(tissue and tissue.running_requires_clearance)


def clearance_reason(protocol: Protocol | None) -> str:
    """Why running waits, in the runner's words (empty for a bare tissue)."""
    if protocol is None or protocol.running_clearance is None:
        return ""
    return protocol.running_clearance.runner


def step_before_clearance(
    step: Step,
    *,
    protocol: Protocol | None,
    tissue: TissueRule | None,
    cleared_to_run: bool,
    kb: Knowledge | None = None,
) -> Step:
    """``step``, or while a needed clearance is not recorded the highest step of its ladder
    below it without running (brisk walking on the running ladder): what a plan may start or
    set before the clearance."""
    if not step.involves_running or cleared_to_run or not clearance_needed(protocol, tissue):
        return step
    the_ladder = (kb or knowledge()).ladder(step.ladder)
    lower: Step | None = step
    while lower is not None and lower.involves_running:
        lower = the_ladder.previous_before(lower.code)
    return lower or the_ladder.first


# --- Running advice for one run ---------------------------------------------------------------


def running_advice(
    *,
    tissue_or_diagnosis: str,
    running_pain: int | None,
    pattern: str | None = None,
    travelled: bool = False,
    next_morning: str | None = None,
    cleared_to_run: bool = False,
    kb: Knowledge | None = None,
) -> RunningAdvice:
    """The seed's running rules for one run: continue | modify | stop | stop_and_call.

    ``running_pain``: worst pain during the run (0-10) or None if not scored. ``pattern``:
    warms_up | steady | builds. ``travelled``: pain travelled down the leg. ``next_morning``:
    better | same | worse, if known. ``cleared_to_run``: a doctor has cleared a bone stress
    injury to run (ignored for other tissues).
    """
    kb = kb or knowledge()
    protocol, tissue = _resolve(kb, tissue_or_diagnosis)
    limit = tissue.pain_limit if tissue else None
    stop_pain = kb.settings["running_stop_pain"]
    pain = running_pain if running_pain is not None else 0

    def matches(code: str) -> bool:
        if code == "refer_first":
            return bool(protocol and protocol.refer_first)
        if code == "travelled":
            return travelled
        if code == "not_cleared":
            return clearance_needed(protocol, tissue) and not cleared_to_run
        if code == "stop_pain":
            return pain >= stop_pain
        if code == "built":
            return pattern == "builds"
        if code == "bone_pain":
            return pain > 0
        if code == "next_morning_worse":
            return next_morning == "worse"
        if code == "above_limit":
            return limit is not None and pain > limit
        return code == "continue"

    for rule in kb.running_rules:
        if rule.tissues and (tissue is None or tissue.code not in rule.tissues):
            continue
        if matches(rule.code):
            return RunningAdvice(
                action=rule.action,
                reason=_render(
                    rule.reason,
                    pain=pain,
                    threshold=limit,
                    tissue=tissue.phrase if tissue else "",
                    clearance=clearance_reason(protocol),
                ),
                rule=rule.code,
                pain_limit=limit,
                source=rule.source,
            )
    raise AssertionError("the 'continue' running rule always matches")  # pragma: no cover


def running_advice_from_log(
    log: SessionLog,
    *,
    tissue_or_diagnosis: str,
    cleared_to_run: bool = False,
    kb: Knowledge | None = None,
) -> RunningAdvice | None:
    """Running advice for a logged session, or None if the session had no run scored."""
    if log.running_pain is None:
        return None
    return running_advice(
        tissue_or_diagnosis=tissue_or_diagnosis,
        running_pain=log.running_pain,
        pattern=log.running_pain_pattern,
        travelled=log.pain_travelled_down_leg,
        next_morning=log.next_morning,
        cleared_to_run=cleared_to_run,
        kb=kb,
    )


# --- Progression on a ladder ------------------------------------------------------------------


def _morning_unknown(log: SessionLog, *, now: dt.datetime | None, wait: dt.timedelta) -> bool:
    """A next-morning answer still missing ``wait`` after the session was logged counts as
    unknown, so the proposal says so instead of waiting for it for ever (issue 13). Without
    ``now`` or the logging time it is still awaited."""
    return now is not None and log.logged_at is not None and now - log.logged_at >= wait


def _triggers(
    log: SessionLog, tissue: TissueRule, measure: str, stop_pain: int
) -> list[tuple[str, int]]:
    """Flare triggers in one session, as (trigger code, pain) pairs, in a fixed order."""
    found: list[tuple[str, int]] = []
    running = measure != "exercise"
    pain = log.running_pain if running else log.exercise_pain
    if pain is not None:
        if running and pain >= stop_pain:
            found.append(("running_stop_pain", pain))
        elif pain > tissue.pain_limit:
            found.append(("pain_above_limit", pain))
    if running and log.running_pain_pattern == "builds":
        found.append(("pain_built", pain or 0))
    if log.next_morning == "worse":
        found.append(("next_morning_worse", pain or 0))
    if log.pain_travelled_down_leg:
        found.append(("travelled", pain or 0))
    return found


def phase_ceiling(
    protocol: Protocol | None, phase: int | None, ladder: str, *, kb: Knowledge | None = None
) -> PhaseCeiling | None:
    """The highest step of ``ladder`` the protocol's ``phase`` allows (None: no limit); a
    ladder outside the protocol (``compose``) stays at its first step."""
    if protocol is None or phase is None or protocol.refer_first:
        return None
    return protocol.phase(phase).ceiling(ladder) or outside_ceiling(protocol, phase, ladder, kb=kb)


def phase_allowing(protocol: Protocol, step: Step, *, after: int = 0) -> int | None:
    """The first phase (after ``after``) whose ceiling lets its ladder reach ``step``; None
    when none does (e.g. a ladder outside the protocol, above its first step)."""
    for candidate in protocol.phases[after:]:
        outside = ladder_standing(protocol, candidate.number, step.ladder)[0] != "in_protocol"
        if outside and step.position > 1:  # outside the protocol: its first step only
            continue
        ceiling = candidate.ceiling(step.ladder)
        if ceiling is None or ceiling.step.position >= step.position:
            return candidate.number
    return None


def next_step(
    *, diagnosis: str, phase: int, step_code: str, kb: Knowledge | None = None
) -> NextStep:
    """What the plan may call the next step after ``step_code`` in ``phase``: the texts that name
    it (the card's "move you on to") use this, so they agree with the proposals."""
    kb = kb or knowledge()
    current = kb.step(step_code)
    higher = kb.ladder(current.ladder).next_after(current.code)
    if higher is None:
        return NextStep(step=None, in_phase=False, phase=None)
    protocol = kb.protocol(diagnosis)
    ceiling = phase_ceiling(protocol, phase, current.ladder, kb=kb)
    if ceiling is None or higher.position <= ceiling.step.position:
        return NextStep(step=higher, in_phase=True, phase=phase)
    later = phase_allowing(protocol, higher, after=phase)
    return NextStep(step=higher, in_phase=False, phase=later)


def _pain(log: SessionLog, measure: str) -> int:
    """The pain that counts for ``measure``: the running pain for a walk or run."""
    pain = log.exercise_pain if measure == "exercise" else log.running_pain
    return pain or 0


def propose_progression(
    *,
    tissue_or_diagnosis: str,
    ladder: str,
    current_step: str,
    logs: Sequence[SessionLog],
    cleared_to_run: bool = False,
    phase: int | None = None,
    kb: Knowledge | None = None,
    now: dt.datetime | None = None,  # when asked: see _morning_unknown
) -> Proposal:
    """Propose progress | hold | regress | refer on one ladder from the sessions at this step.

    ``tissue_or_diagnosis``: a cause code (its protocol's tissue applies) or a tissue code
    (tendon, strain, nerve, bone, joint). ``logs``: the sessions done at ``current_step`` (any
    order; sorted by date here). On the running ladder the running pain is judged (the exercise
    pain on a step with no running) and only sessions with a running score count.
    ``cleared_to_run``: the clearance the protocol (or the bone tissue) asks for before running
    is recorded; without it no step that includes running is proposed, and one already set is
    stepped back to the highest step without running. ``phase``: the plan's
    current phase of the diagnosis's protocol; no proposal goes above the highest step that
    phase allows (protocols.toml ceilings), and a step already above it is stepped back to it.
    Required with a diagnosis; a bare tissue (a what-if without a protocol) takes no phase.
    """
    kb = kb or knowledge()
    the_ladder = kb.ladder(ladder)
    current = kb.step(current_step)
    if current.ladder != ladder:
        raise ValueError(f"step {current_step!r} is on the {current.ladder!r} ladder, not {ladder}")
    protocol, tissue = _resolve(kb, tissue_or_diagnosis)
    if phase is not None and protocol is None:
        raise ValueError("a phase needs a diagnosis (its protocol has the phases), not a tissue")
    if phase is None and protocol is not None:
        # The phase's ceilings are a safety rule: a caller that forgets the phase must not get
        # an unbounded proposal.
        raise ValueError("a diagnosis's proposal needs the plan's current phase")
    settings = kb.settings
    n = settings["consecutive_good_sessions"]
    ceiling = phase_ceiling(protocol, phase, ladder, kb=kb)
    outside = (
        protocol is not None
        and phase is not None
        and not protocol.refer_first
        and ladder_standing(protocol, phase, ladder)[0] != "in_protocol"
    )
    higher = the_ladder.next_after(current.code)

    def proposal(
        rule_code: str,
        target_step: Step | None = None,
        *,
        at_limit: bool = False,
        trigger_codes: Sequence[str] = (),
        extra_sources: Sequence[str] = (),
        held_for_phase: int | None = None,
        **values: Any,
    ) -> Proposal:
        """``values`` fill the reason template and may override the defaults below."""
        rule = kb.progression_rules[rule_code]
        target = target_step or current
        fields: dict[str, Any] = {
            "current": current.name,
            "target": target.name,
            "ladder": the_ladder.name,
            "threshold": tissue.pain_limit if tissue else "",
            "tissue": tissue.phrase if tissue else "",
            "n": n,
            "clearance": clearance_reason(protocol),
        }
        fields.update(values)
        text = _render(rule.reason, **fields)
        latest = ordered[-1] if ordered else None
        advice = None
        if latest is not None and (the_ladder.kind != "running" or current.involves_running):
            advice = running_advice_from_log(
                latest,
                tissue_or_diagnosis=tissue_or_diagnosis,
                cleared_to_run=cleared_to_run,
                kb=kb,
            )
        sources = (
            rule.source
            + tuple(s for code in trigger_codes for s in kb.triggers[code].source)
            + tuple(extra_sources)
        )
        exit_criteria: tuple[str, ...] = ()
        if held_for_phase is not None and protocol is not None and phase is not None:
            exit_criteria = protocol.phase(phase).exit
        return Proposal(
            action=rule.action,
            ladder=ladder,
            current_step=current.code,
            target_step=target.code,
            target_name=target.name,
            reason=text,
            rule=rule.code,
            tissue=tissue.code if tissue else None,
            pain_limit=tissue.pain_limit if tissue else None,
            at_ladder_limit=at_limit,
            triggers=tuple(dict.fromkeys(trigger_codes)),
            running_advice=advice,
            knowledge_version=kb.version,
            source=tuple(dict.fromkeys(sources)),
            phase=phase,
            phase_ceiling=ceiling.step.code if ceiling else None,
            next_step_phase=held_for_phase,
            exit_criteria=exit_criteria,
        )

    def at_ceiling() -> Proposal | None:
        """Held at the phase's ceiling: the next step comes with a later phase."""
        if ceiling is None or higher is None or higher.position <= ceiling.step.position:
            return None
        if protocol is None or phase is None:  # pragma: no cover - a ceiling implies both
            return None
        if outside:
            return proposal(
                "hold_outside_protocol",
                target=higher.name,
                phase=phase,
                why=ceiling.why,
                extra_sources=ceiling.source,
            )
        later = phase_allowing(protocol, higher, after=phase)
        return proposal(
            "hold_phase_ceiling",
            target=higher.name,
            phase=phase,
            next_phase=later or "",
            why=ceiling.why,
            exit=" ".join(protocol.phase(phase).exit),
            extra_sources=ceiling.source,
            held_for_phase=later,
        )

    def hold(rule_code: str, **values: Any) -> Proposal:
        """A hold; at the phase's ceiling it says which phase the next step comes with."""
        return at_ceiling() or proposal(rule_code, **values)

    ordered = sorted(logs, key=lambda log: log.date)
    if protocol is not None and protocol.refer_first:
        return proposal("refer_first_diagnosis", refer_reason=protocol.refer_reason or "")
    if tissue is None:  # pragma: no cover - every non-refer protocol has a tissue (validated)
        raise KeyError(f"{tissue_or_diagnosis!r} has no tissue for pain thresholds")
    if ceiling is not None and current.position > ceiling.step.position:
        return proposal(
            "regress_above_phase",
            ceiling.step,
            phase=phase,
            why=ceiling.why,
            extra_sources=ceiling.source,
        )

    not_cleared = clearance_needed(protocol, tissue) and not cleared_to_run
    allowed = step_before_clearance(
        current, protocol=protocol, tissue=tissue, cleared_to_run=cleared_to_run, kb=kb
    )
    if allowed.code != current.code:
        return proposal("regress_not_cleared", allowed)

    measure = "exercise"
    if current.activity not in (None, "none"):
        # Walking or running is judged on the running pain, on the running ladder and on a
        # running activity (the strain's sprint efforts) alike.
        measure = _MEASURES[current.activity or "run"]
        if ordered and all(log.running_pain is None for log in ordered):
            return hold("hold_no_running_sessions")
        ordered = [log for log in ordered if log.running_pain is not None]
    if not ordered:
        return hold("hold_no_sessions")

    stop_pain = settings["running_stop_pain"]
    flares = [_triggers(log, tissue, measure, stop_pain) for log in ordered]

    def describe(found: list[tuple[str, int]]) -> str:
        return "; ".join(
            _render(
                kb.triggers[code].text,
                measure=measure,
                pain=pain,
                threshold=tissue.pain_limit,
                tissue=tissue.phrase,
            )
            for code, pain in found
        )

    window = ordered[-settings["refer_window"] :]
    travelled = sum(log.pain_travelled_down_leg for log in window)
    if travelled >= settings["refer_travelled_count"]:
        return proposal(
            "refer_travelled",
            trigger_codes=("travelled",),
            count=travelled,
            window=len(window),
        )
    streak = settings["refer_consecutive_flares"]
    if len(flares) >= streak and all(flares[-streak:]):
        recent = [item for found in flares[-streak:] for item in found]
        codes = list(dict.fromkeys(code for code, _ in recent))
        worst = {code: max(p for c, p in recent if c == code) for code in codes}
        return proposal(
            "refer_persistent_flare",
            trigger_codes=codes,
            count=streak,
            triggers=describe([(code, worst[code]) for code in codes]),
        )

    latest, latest_flares = ordered[-1], flares[-1]
    if latest_flares:
        codes = [code for code, _ in latest_flares]
        text = describe(latest_flares)
        lower = the_ladder.previous_before(current.code)
        if lower is None:
            return proposal("regress_at_bottom", at_limit=True, trigger_codes=codes, triggers=text)
        return proposal("regress", lower, trigger_codes=codes, triggers=text)
    if not latest.completed:
        return hold("hold_not_completed")
    if latest.next_morning is None:
        wait = dt.timedelta(days=settings["next_morning_wait_days"])
        if _morning_unknown(latest, now=now, wait=wait):
            return hold("hold_next_morning_unknown", hours=int(wait.total_seconds()) // 3600)
        return hold("hold_awaiting_next_morning")

    last_n = list(zip(ordered[-n:], flares[-n:], strict=True))
    good = len(last_n) == n and all(
        not found and session.completed and session.next_morning in ("better", "same")
        for session, found in last_n
    )
    if not good:
        return hold("hold_need_more_sessions")
    if higher is None:
        return proposal("progress_at_top", at_limit=True)
    held = at_ceiling()
    if held is not None:
        return held
    runs = current.min_sessions or n
    if len(ordered) < runs:
        return proposal(
            "hold_step_sessions", runs=runs, count=len(ordered), why=current.progress_when
        )
    entry = protocol.entry_limit(higher.code) if protocol is not None else None
    if entry is not None:
        highest_pain = max(_pain(session, measure) for session, _ in last_n)
        if highest_pain > entry.pain_limit:
            return proposal(
                "hold_entry_pain",
                target=higher.name,
                pain=entry.pain_limit,
                why=entry.why,
                extra_sources=entry.source,
            )
    if higher.involves_running and not_cleared:
        return proposal("progress_needs_clearance", target=higher.name)
    return proposal("progress", higher)
