"""build_plan(): a staged plan for a working diagnosis, or "refer first"."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from .knowledge import Knowledge, knowledge
from .progression import clearance_needed, clearance_reason, step_before_clearance
from .schema import (
    URGENCY_ORDER,
    PlanDraft,
    Protocol,
    RedFlagAction,
    ReferFirst,
    RunningGuidance,
    RunningRuleText,
    RunningStart,
    Step,
    TissueRule,
)

MAX_WEEKLY_KM = 300  # the highest current weekly running a plan accepts


def build_plan(
    *,
    diagnosis: str,
    red_flags: Sequence[str] = (),
    weekly_km: float | None = None,
    cleared_to_run: bool = False,
    kb: Knowledge | None = None,
) -> PlanDraft | ReferFirst:
    """Build the plan draft for ``diagnosis`` (a cause code from findings.json).

    Returns ``ReferFirst`` when any red flag is passed (codes of the differential's red flags
    not cleared by a clinician; see the registry, clinic/knowledge/red_flags.toml) or when the
    diagnosis itself needs a specialist first (proximal hamstring avulsion). Otherwise returns
    ``PlanDraft`` with all phases, the phase-1 exercises and running guidance, what to avoid,
    the timeline and the knowledge version. Raises KeyError for an unknown diagnosis.

    ``weekly_km``: the runner's current weekly running (0 = not running now; None = not asked,
    which starts at the protocol's phase-1 step, as "not running" does). It sets where the
    running ladder starts and the first weeks' volume (``running_start``). Raises ValueError
    outside 0 to ``MAX_WEEKLY_KM``. ``cleared_to_run``: the clearance the protocol asks for
    before running is recorded; without it the running ladder starts below any running.
    """
    kb = kb or knowledge()
    if isinstance(red_flags, str):
        raise TypeError("red_flags must be a sequence of codes, not a single string")
    protocol = kb.protocol(diagnosis)
    flags = tuple(dict.fromkeys(code.strip() for code in red_flags if code and code.strip()))
    if flags or protocol.refer_first:
        return _refer_first(kb, protocol, flags)
    tissue = kb.tissue(protocol.tissue or "")
    first = protocol.phases[0]
    start, start_note = running_start(
        protocol, tissue, weekly_km, cleared_to_run=cleared_to_run, kb=kb
    )
    running = running_guidance(start, first.running_note, tissue, protocol=protocol, kb=kb)
    if weekly_km is not None:
        running = replace(running, weekly_km=float(weekly_km), start_note=start_note)
    return PlanDraft(
        diagnosis=protocol.diagnosis,
        diagnosis_name=protocol.name,
        tissue=tissue,
        pain_limit=tissue.pain_limit,
        what_is_going_on=protocol.what_is_going_on,
        phases=protocol.phases,
        exercises=first.exercises,
        activities=first.activities,
        running=running,
        avoid=protocol.avoid,
        timeline=protocol.timeline,
        safety_net=protocol.safety_net,
        referral_note=protocol.referral_note,
        knowledge_version=kb.version,
        sources=_collect_sources((protocol, tissue, running)),
    )


def running_guidance(
    step: Step,
    note: str,
    tissue: TissueRule,
    *,
    protocol: Protocol | None = None,
    kb: Knowledge | None = None,
) -> RunningGuidance:
    """The runner's rules (seed) for ``tissue``, with its pain limit filled in; the "not
    cleared" rule only where the protocol or tissue asks for a clearance before running."""
    kb = kb or knowledge()
    needs_clearance = clearance_needed(protocol, tissue)
    rules = tuple(
        RunningRuleText(
            action=rule.action,
            when=rule.when.format(threshold=tissue.pain_limit),
            do=rule.do or "",
            source=rule.source,
        )
        for rule in kb.running_rules
        if rule.in_plan
        and (rule.code != "not_cleared" or needs_clearance)
        and (not rule.tissues or tissue.code in rule.tissues)
        and (tissue.pain_limit > 0 or rule.pain_free_plans)
    )
    return RunningGuidance(
        step=step,
        note=note,
        pain_limit=tissue.pain_limit,
        stop_pain=kb.settings["running_stop_pain"],
        requires_clearance=needs_clearance,
        rules=rules,
    )


def running_start(
    protocol: Protocol,
    tissue: TissueRule,
    weekly_km: float | None,
    *,
    cleared_to_run: bool = False,
    kb: Knowledge | None = None,
) -> tuple[Step, str]:
    """The running step a new plan starts at and what to tell the runner about it.

    Never above the tissue's highest start or the phase-1 running ceiling, never below the
    protocol's phase-1 step; not asked (None) or not running (0) is that phase-1 step. Until
    the clearance the protocol asks for is recorded, never a step with running in it.
    """
    kb = kb or knowledge()
    step, note = _running_start(protocol, tissue, weekly_km, kb)
    allowed = step_before_clearance(
        step, protocol=protocol, tissue=tissue, cleared_to_run=cleared_to_run, kb=kb
    )
    if allowed.code != step.code:
        step = allowed
        note = " ".join(
            part
            for part in (
                _start_note(kb.running_starts[tissue.code], step, weekly_km, kb)
                if weekly_km is not None
                else "",
                clearance_reason(protocol),
            )
            if part
        )
    return step, note


def _running_start(
    protocol: Protocol, tissue: TissueRule, weekly_km: float | None, kb: Knowledge
) -> tuple[Step, str]:
    first = protocol.phases[0]
    if weekly_km is None:
        return first.running, ""
    if not 0 <= weekly_km <= MAX_WEEKLY_KM:  # also refuses NaN
        raise ValueError(f"weekly_km must be from 0 to {MAX_WEEKLY_KM}, not {weekly_km!r}")
    rule = kb.running_starts[tissue.code]
    step = first.running
    if weekly_km > 0:
        band = [b.step for b in rule.bands if b.min_km <= weekly_km][-1]
        step = max(step, band, key=lambda s: s.position)
    caps = [rule.highest_start, *(c.step for c in [first.ceiling("running")] if c is not None)]
    step = min(step, *caps, key=lambda s: s.position)
    return step, _start_note(rule, step, weekly_km, kb)


def _start_note(rule: RunningStart, step: Step, weekly_km: float, kb: Knowledge) -> str:
    texts = kb.running_start_texts
    km = f"{weekly_km:.1f}".removesuffix(".0")
    fields = {"km": km, "step": step.name, "dose": step.dose.summary()}
    if weekly_km == 0:
        return texts.not_running.format(**fields)
    parts = [texts.ran.format(**fields)]
    if step.involves_running and rule.volume_percent and rule.volume_weeks:
        cap = f"{weekly_km * rule.volume_percent / 100:.1f}".removesuffix(".0")
        parts.append(
            texts.volume.format(cap=cap, percent=rule.volume_percent, weeks=rule.volume_weeks)
        )
    elif not step.involves_running:
        parts.append(texts.later.format(**fields))
    return " ".join(parts)


def _refer_first(kb: Knowledge, protocol: Protocol, flags: tuple[str, ...]) -> ReferFirst:
    actions = tuple(_red_flag_action(kb, code) for code in flags)
    reasons: list[str] = []
    urgencies: list[str] = []
    if actions:
        # The registry's name is what a person reads; only an unlisted code needs its code.
        listed = "; ".join(
            f"{a.condition}{'' if a.known else f' ({a.code})'}: {a.action}" for a in actions
        )
        reasons.append(
            f"Refer before any exercise plan: unresolved red flag{'s' if len(actions) > 1 else ''}"
            f". {listed}"
        )
        urgencies.extend(a.urgency for a in actions)
    if protocol.refer_first:
        reasons.append(protocol.refer_reason or "")
        urgencies.append(protocol.refer_urgency or "urgent")
    urgency = min(urgencies, key=URGENCY_ORDER.index)
    return ReferFirst(
        diagnosis=protocol.diagnosis,
        diagnosis_name=protocol.name,
        reason=" ".join(reasons),
        urgency=urgency,
        red_flags=actions,
        what_is_going_on=protocol.what_is_going_on,
        avoid=protocol.avoid,
        safety_net=protocol.safety_net,
        timeline=protocol.timeline,
        knowledge_version=kb.version,
        sources=_collect_sources((protocol, actions)),
    )


def _red_flag_action(kb: Knowledge, code: str) -> RedFlagAction:
    entry = kb.red_flags.get(code)
    return RedFlagAction(
        code=code,
        condition=entry.name,
        urgency=entry.urgency,
        action=entry.action,
        runner=entry.runner,
        known=kb.red_flags.is_known(code),
        source=entry.source,
    )


def _collect_sources(objects: Iterable[Any]) -> tuple[str, ...]:
    """Every ``source`` string found anywhere inside ``objects``, sorted, without duplicates."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                item = getattr(value, name)
                if name == "source":
                    found.update(item)
                else:
                    walk(item)
        elif isinstance(value, tuple | list):
            for item in value:
                walk(item)

    for obj in objects:
        walk(obj)
    return tuple(sorted(found, key=lambda s: (s.startswith(("EST:", "GK:")), s.lower())))
