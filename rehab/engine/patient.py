"""What the printed plan tells the runner: running now, pain zones, safety signs, training days.

The texts and their sources are knowledge (``patient_texts.toml``); the decisions about which
text applies are here, as pure functions, so the PDF only lays them out.
"""

from __future__ import annotations

from collections.abc import Sequence

from clinic.knowledge import RedFlagSign

from .knowledge import Knowledge, knowledge
from .progression import clearance_needed, clearance_reason
from .schema import (
    GlossaryEntry,
    PainZone,
    Protocol,
    RunningNow,
    SafetySign,
    SafetySigns,
    Step,
    TissueRule,
)


def running_now(
    step: Step,
    tissue: TissueRule,
    *,
    cleared_to_run: bool,
    protocol: Protocol | None = None,
    kb: Knowledge | None = None,
) -> RunningNow:
    """What to do about running now, from the running step the physio prescribed.

    The first rule of ``patient_texts.toml`` that matches decides: no running for a tissue that
    still needs a doctor's clearance, then by the step's activity and whether it is the top of
    the running ladder.
    """
    kb = kb or knowledge()
    at_top = kb.ladder(step.ladder).next_after(step.code) is None
    # Until the clearance is on record the answer is "no running, and why", whatever the step.
    needs_clearance = clearance_needed(protocol, tissue) and not cleared_to_run
    for rule in kb.patient.running_now:
        if rule.not_cleared:
            matches = needs_clearance
        else:
            matches = rule.activity in (None, step.activity) and rule.top_of_ladder in (
                None,
                at_top,
            )
        if matches:
            return RunningNow(
                action=rule.action,
                headline=rule.headline,
                explanation=rule.explanation.format(
                    step=step.name.lower(), clearance=clearance_reason(protocol)
                ).strip(),
                rule=rule.code,
                source=rule.source,
            )
    raise LookupError(f"no running-now rule for step {step.code!r}")  # the loader rules it out


def _red_from(pain_limit: int, stop_pain: int) -> int:
    """With a limit of 0 (bone) any pain is red: every step must be pain-free."""
    return 1 if pain_limit == 0 else stop_pain


def pain_zones(
    *, pain_limit: int, stop_pain: int, kb: Knowledge | None = None
) -> tuple[PainZone, ...]:
    """Green up to the tissue's limit, amber above it, red from the stop line.

    Amber also covers a next morning that is worse than usual, so it is never empty.
    """
    kb = kb or knowledge()
    green, amber, red = kb.patient.pain_zones
    red_from = _red_from(pain_limit, stop_pain)
    has_amber = pain_limit + 1 <= red_from - 1
    return (
        PainZone(
            green.code,
            green.name,
            0,
            pain_limit,
            (green.pain_free_meaning or green.meaning) if pain_limit == 0 else green.meaning,
            green.do,
            green.source,
        ),
        PainZone(
            amber.code,
            amber.name,
            pain_limit + 1 if has_amber else None,
            red_from - 1 if has_amber else None,
            amber.meaning if has_amber else (amber.no_scores_meaning or amber.meaning),
            amber.do,
            amber.source,
        ),
        PainZone(red.code, red.name, red_from, 10, red.meaning, red.do, red.source),
    )


def pain_scale(*, pain_limit: int, stop_pain: int) -> tuple[tuple[int, str], ...]:
    """Each score from 0 to 10 with its zone code (green, amber or red)."""
    red_from = _red_from(pain_limit, stop_pain)

    def zone(score: int) -> str:
        if score <= pain_limit:
            return "green"
        return "red" if score >= red_from else "amber"

    return tuple((score, zone(score)) for score in range(11))


def safety_signs(
    *, protocol: Protocol, tissue: TissueRule, kb: Knowledge | None = None
) -> SafetySigns:
    """Red-flag symptoms and the seed's see-a-professional triggers, most urgent first.

    The red flags' signs come from the registry: an emergency flag's under the emergency
    heading, an urgent one's with the same-day signs (the clinic arranges the referral). The
    protocol's own safety-net lines replace the general signs they cover and go with the
    emergency signs when they send the runner to an emergency department, else with the
    same-day ones. Signs left out for the tissue (e.g. hopping with a bone stress injury) are
    not printed.
    """
    kb = kb or knowledge()

    def merge(general: Sequence[SafetySign | RedFlagSign], *, emergency: bool) -> tuple[str, ...]:
        specific = [s for s in protocol.safety_net if ("emergency" in s.lower()) == emergency]
        items: list[str] = []
        for sign in general:
            cover = next((s for s in specific if any(w in s.lower() for w in sign.matches)), None)
            items.append(cover or sign.text)
        return tuple(dict.fromkeys(items + specific))

    def flag_signs(*, emergency: bool) -> list[RedFlagSign]:
        flags = kb.red_flags.flags.values()
        return [sign for flag in flags if flag.is_emergency == emergency for sign in flag.signs]

    return SafetySigns(
        emergency=merge(flag_signs(emergency=True), emergency=True),
        same_day=merge([*kb.patient.same_day_signs, *flag_signs(emergency=False)], emergency=False),
        review=tuple(
            sign.text for sign in kb.patient.review_signs if tissue.code not in sign.left_out_for
        ),
    )


def training_days(kind: str, per_week: int, *, kb: Knowledge | None = None) -> tuple[int, ...]:
    """Suggested days (0 = Monday) for ``per_week`` "strength" or "running" sessions."""
    kb = kb or knowledge()
    return kb.patient.training_days[kind].get(min(per_week, 7), ())


def glossary(diagnosis: str, *, kb: Knowledge | None = None) -> tuple[GlossaryEntry, ...]:
    """The diagnosis's own words first, then the words every plan uses."""
    kb = kb or knowledge()
    entries = kb.patient.glossary
    return tuple(e for e in entries if e.diagnosis == diagnosis) + tuple(
        e for e in entries if e.diagnosis is None
    )
