"""What the plan PDF shows, as plain values: ``plan_pdf_context(*, plan, ...)``.

Everything the template needs is built in two database queries; the template then touches no
database. The clinical decisions (running now, pain zones, safety signs, training days) come
from the plan engine and its knowledge files; this module only lays them out as cards.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass

import segno
from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from clinic import units
from rehab import charts, engine
from rehab.chart_data import plan_chart_data
from rehab.models import Plan, Prescription, SessionLog
from rehab.selectors import cleared_red_flags, patient_link_url

PAGE_SIZES = {"A4": "A4", "Letter": "letter"}  # clinic setting -> CSS @page size
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_SCHEDULE_WEEKS = {False: 6, True: 4}
MIN_PHASE_SHARE = 0.2
LOG_ROWS = {False: 18, True: 8}


# --- What the patient reads -------------------------------------------------------------------


@dataclass(frozen=True)
class Signal:
    """A traffic-light state, read in black and white by its label and shape."""

    action: str  # continue | modify | stop | stop_and_call
    label: str  # GO, CHANGE, STOP, STOP AND CALL
    shape: str  # circle | triangle | octagon
    spoken: str  # the label for a screen reader: "Change"

    @property
    def alt(self) -> str:
        return f"{self.spoken} sign, {self.shape}"


SIGNALS = {
    "continue": Signal("continue", "GO", "circle", "Go"),
    "modify": Signal("modify", "CHANGE", "triangle", "Change"),
    "stop": Signal("stop", "STOP", "octagon", "Stop"),
    "stop_and_call": Signal("stop_and_call", "STOP AND CALL", "octagon", "Stop and call"),
}


@dataclass(frozen=True)
class DoseLine:
    label: str
    value: str


@dataclass(frozen=True)
class ExerciseCard:
    key: str  # A, B, C ... used in the weekly schedule
    step: engine.Step
    dose: engine.Dose
    dose_summary: str
    dose_lines: tuple[DoseLine, ...]
    note: str
    next_step: engine.NextStep  # named as "next" only when the plan's phase allows it
    days: tuple[int, ...]
    dose_edited: bool  # the dose differs from the step's standard one: amounts in how_to differ
    # A phase's other prescribed item (the Askling extender, sitting advice ...); ``advice``:
    # not stepped up (sitting, crutches, the morning check), so no "next step" is named.
    is_activity: bool = False
    advice: bool = False


@dataclass(frozen=True)
class RunningCard:
    key: str
    step: engine.Step
    dose: engine.Dose
    dose_summary: str
    dose_lines: tuple[DoseLine, ...]
    note: str
    next_step: engine.NextStep
    days: tuple[int, ...]
    dose_edited: bool
    now: Signal
    headline: str
    explanation: str
    rules: tuple[tuple[Signal, engine.RunningRuleText], ...]
    stop_pain: int


@dataclass(frozen=True)
class CallGroup:
    heading: str
    urgency: str  # emergency | same_day | review
    items: tuple[str, ...]


@dataclass(frozen=True)
class PhaseBar:
    number: int
    name: str
    goal: str
    weeks: tuple[int, int]
    width: float  # percent of the timeline
    is_current: bool
    is_done: bool


def plan_pdf_context(
    *, plan: Plan, large_print: bool = False, base_url: str = "", for_link: bool = False
) -> dict:
    """Everything the plan template needs, built in two queries (plan with its relations, then
    the prescriptions). The result holds plain values and engine dataclasses only.

    ``for_link``: the copy served through the patient's link names the runner by first name
    only, like the link page (whoever holds the link may not be the runner).

    Every date comes from the plan, never the clock, so the same plan renders the same bytes:
    the document's date is when the plan last changed.
    """
    plan = (
        Plan.objects.select_related("patient__clinic", "assessment", "created_by", "patient_link")
        .annotate(has_logs=Exists(SessionLog.objects.filter(plan=OuterRef("pk"))))
        .prefetch_related(
            Prefetch("prescriptions", queryset=Prescription.objects.order_by("position", "pk"))
        )
        .get(pk=plan.pk)
    )
    prescriptions = list(plan.prescriptions.all())
    patient = plan.patient
    clinic = patient.clinic
    protocol = engine.protocol(plan.diagnosis)
    tissue = engine.tissue(protocol.tissue or "")
    stop_pain = engine.knowledge().settings["running_stop_pain"]

    exercises, running = prescription_cards(plan=plan, prescriptions=prescriptions, tissue=tissue)
    link_url = _patient_link_url(plan, base_url)
    name = patient.first_name if for_link else patient.full_name
    clinician = plan.created_by.get_full_name() or plan.created_by.get_username()
    updated = timezone.localtime(plan.updated_at)
    phases = _phase_bars(protocol, plan.current_phase)
    current_phase = next((p for p in phases if p.is_current), None)
    context = {
        "title": f"Your rehab plan — {name}",
        "large_print": large_print,
        "page_size": PAGE_SIZES.get(clinic.pdf_page_size, "A4"),
        "created_iso": timezone.localtime(plan.created_at).replace(microsecond=0).isoformat(),
        "modified_iso": updated.replace(microsecond=0).isoformat(),
        "document_date": updated.date(),
        "patient": {"name": name},
        "side": plan.assessment.get_side_display().lower(),
        "clinic": {
            "name": clinic.name,
            "address": clinic.address,
            "phone": clinic.phone,
            "email": clinic.email,
        },
        "clinician": clinician,
        "starts_on": plan.starts_on,
        "diagnosis_name": protocol.name,
        "what_is_going_on": protocol.what_is_going_on,
        "referral_note": protocol.referral_note,
        "phases": phases,
        "current_phase": current_phase,
        # What moves the plan on when a card is at the highest step its phase allows.
        "phase_exit": protocol.phase(plan.current_phase).exit,
        # The phase's activities not yet carded (e.g. a bike session): listed, never hidden.
        "phase_other": protocol.phase(plan.current_phase).other,
        "timeline": protocol.timeline,
        "avoid": protocol.avoid,
        "exercises": exercises,
        "running": running,
        "tissue": tissue,
        "pain_zones": engine.pain_zones(pain_limit=tissue.pain_limit, stop_pain=stop_pain),
        "pain_scale": engine.pain_scale(pain_limit=tissue.pain_limit, stop_pain=stop_pain),
        "call_groups": call_groups(protocol=protocol, tissue=tissue),
        "schedule": _schedule(exercises, running, current_phase, MAX_SCHEDULE_WEEKS[large_print]),
        "day_names": DAY_NAMES,
        "log_rows": range(LOG_ROWS[large_print]),
        "link_url": link_url,
        "link_text": link_url.split("://", 1)[-1] if link_url else "",
        "qr_svg": _qr_svg(link_url) if link_url else "",
        # Re-issued after follow-ups: the runner sees their progress (same charts as the page).
        "charts": charts.plan_charts(plan_chart_data(plan=plan)) if plan.has_logs else [],
        "cleared_red_flags": _cleared_red_flags(plan),
    }
    context["glossary"] = used_glossary(plan.diagnosis, " ".join(_words(context)))
    return context


# --- Pieces -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClearedFlag:
    name: str
    urgency: str
    by: str
    on: dt.date
    evidence: str
    note: str


# Context values that are not words the runner reads (or are the PT's: hip-flexion notes).
_NOT_READ = frozenset({"source", "hip_flexion", "illustration", "qr_svg", "charts", "link_url"})


def _words(value, key: str = ""):
    """Every string the runner can read in a context value, walking dicts, sequences and
    dataclasses (the engine's and the cards'), skipping sources and the PT-only notes."""
    if key in _NOT_READ:
        return
    if isinstance(value, engine.TissueRule):  # only its phrase is printed; why/note are the PT's
        yield value.phrase
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _words(item, str(name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _words(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _words(getattr(value, field.name), field.name)


def _term_words(term: str) -> list[str]:
    """A glossary term and its parts: "Set and repetition (rep)" -> set, repetition, rep."""
    return [w.strip() for w in re.split(r"\(|\)| and ", term.lower()) if w.strip()]


def used_glossary(diagnosis: str, text: str) -> tuple[tuple[str, str], ...]:
    """The glossary entries whose term the document uses: a word another tissue's plan needs
    (e.g. "tendon" in a bone plan) is not explained where it is never printed."""
    text = text.lower()
    return tuple(
        (e.term, e.meaning)
        for e in engine.glossary(diagnosis)
        if any(re.search(rf"\b{re.escape(w)}(s|es)?\b", text) for w in _term_words(e.term))
    )


def _cleared_red_flags(plan: Plan) -> tuple[ClearedFlag, ...]:
    """The clinician section: each red flag cleared before the plan, by whom, when and why."""
    return tuple(
        ClearedFlag(
            name=status.info.name,
            urgency=status.info.urgency,
            by=status.clearance.cleared_by.get_full_name() or status.clearance.cleared_by.username,
            on=timezone.localtime(status.clearance.cleared_at).date(),
            evidence=status.clearance.get_evidence_display().lower(),
            note=status.clearance.note,
        )
        for status in cleared_red_flags(assessment=plan.assessment)
    )


def prescription_cards(
    *, plan: Plan, prescriptions, tissue: engine.TissueRule | None = None
) -> tuple[list[ExerciseCard], RunningCard | None]:
    """One card per prescribed item: the PDF prints them and the runner's link page shows them,
    so both read the same how-to, dose, illustration and feel from the one source. The
    activities (the Askling exercises, the morning check, advice) are cards like the exercises."""
    if tissue is None:
        tissue = engine.tissue(engine.protocol(plan.diagnosis).tissue or "")
    unit = plan.patient.clinic.distance_unit
    exercises: list[ExerciseCard] = []
    running: RunningCard | None = None
    for prescription in prescriptions:
        if prescription.ladder == "running":
            running = _running_card(plan, prescription, tissue, unit)
        else:
            key = chr(ord("A") + len(exercises))
            exercises.append(_exercise_card(key, plan, prescription, unit))
    return exercises, running


def _step_in_unit(step: engine.Step, unit: str) -> engine.Step:
    """The step's runner texts with every distance in the clinic's unit (``clinic.units``)."""
    if unit == units.KM:
        return step
    return dataclasses.replace(
        step,
        purpose=units.in_unit(step.purpose, unit),
        how_to=tuple(units.in_unit(line, unit) for line in step.how_to),
        cues=tuple(units.in_unit(line, unit) for line in step.cues),
        should_feel=units.in_unit(step.should_feel, unit),
        progress_when=units.in_unit(step.progress_when, unit),
        dose=_dose_in_unit(step.dose, unit),
    )


def _dose_in_unit(dose: engine.Dose, unit: str) -> engine.Dose:
    if unit == units.KM or not dose.session:
        return dose
    return dataclasses.replace(dose, session=units.in_unit(dose.session, unit))


def prescription_dose(prescription: Prescription, *, effort: str | None = None) -> engine.Dose:
    """The PT's dose as the engine's Dose (for its one-line summary), with the step's effort."""
    return dataclasses.replace(prescription.dose, effort=effort)


def _dose_lines(dose: engine.Dose, *, session_label: str = "Each session") -> tuple[DoseLine, ...]:
    lines: list[DoseLine] = []
    if dose.session:
        lines.append(DoseLine(session_label, dose.session))
    if dose.sets and dose.hold_seconds:
        lines.append(DoseLine("Sets", f"{dose.sets} holds of {dose.hold_seconds} seconds"))
    elif dose.sets and dose.reps:
        lines.append(DoseLine("Sets × reps", f"{dose.sets} × {dose.reps}"))
    elif dose.sets:
        lines.append(DoseLine("Sets", str(dose.sets)))
    if dose.tempo:
        lines.append(DoseLine("Speed", dose.tempo))
    if dose.rest_seconds:
        lines.append(DoseLine("Rest between sets", _duration(dose.rest_seconds)))
    if dose.load:
        lines.append(DoseLine("Load", dose.load))
    if dose.effort:
        lines.append(DoseLine("Effort", dose.effort))
    if dose.sessions_per_week:
        lines.append(DoseLine("How often", _how_often(dose.sessions_per_week)))
    return tuple(lines)


def _duration(seconds: int) -> str:
    minutes, seconds = divmod(seconds, 60)
    if minutes and seconds:
        return f"{minutes} min {seconds} s"
    return f"{minutes} min" if minutes else f"{seconds} s"


def _how_often(per_week: int) -> str:
    if per_week >= 14:
        return "Twice a day"
    if per_week >= 7:
        return "Every day"
    return f"{per_week} times a week" if per_week > 1 else "Once a week"


def _dose_edited(dose: engine.Dose, standard: engine.Dose) -> bool:
    return any(getattr(dose, name) != getattr(standard, name) for name in Prescription.DOSE_FIELDS)


def _next_step(plan: Plan, step: engine.Step) -> engine.NextStep:
    return engine.next_step(diagnosis=plan.diagnosis, phase=plan.current_phase, step_code=step.code)


def _exercise_card(key: str, plan: Plan, prescription: Prescription, unit: str) -> ExerciseCard:
    step = _step_in_unit(engine.step(prescription.step_code), unit)
    dose = _dose_in_unit(prescription_dose(prescription), unit)
    is_activity = prescription.is_activity
    return ExerciseCard(
        key=key,
        step=step,
        dose=dose,
        dose_summary=dose.summary(),
        dose_lines=_dose_lines(dose, session_label="When" if is_activity else "Each session"),
        note=units.in_unit(prescription.note, unit),
        next_step=_next_step(plan, step),
        days=engine.training_days("strength", prescription.sessions_per_week or 0),
        dose_edited=_dose_edited(dose, step.dose),
        is_activity=is_activity,
        advice=not prescription.is_progressed,
    )


def _running_card(
    plan: Plan, prescription: Prescription, tissue: engine.TissueRule, unit: str
) -> RunningCard:
    step = _step_in_unit(engine.step(prescription.step_code), unit)
    dose = _dose_in_unit(prescription_dose(prescription, effort=step.dose.effort), unit)
    protocol = engine.protocol(plan.diagnosis)
    guidance = engine.running_guidance(step, prescription.note, tissue, protocol=protocol)
    now = engine.running_now(step, tissue, cleared_to_run=plan.cleared_to_run, protocol=protocol)
    return RunningCard(
        key="R",
        step=step,
        dose=dose,
        dose_summary=dose.summary(),
        dose_lines=_dose_lines(dose),
        note=units.in_unit(prescription.note, unit),
        next_step=_next_step(plan, step),
        days=engine.training_days("running", prescription.sessions_per_week or 0),
        dose_edited=_dose_edited(dose, step.dose),
        now=SIGNALS[now.action],
        headline=now.headline,
        explanation=now.explanation,
        rules=tuple((SIGNALS[rule.action], rule) for rule in guidance.rules),
        stop_pain=guidance.stop_pain,
    )


def call_groups(*, protocol: engine.Protocol, tissue: engine.TissueRule) -> tuple[CallGroup, ...]:
    """The engine's safety signs under the headings the runner reads, most urgent first."""
    signs = engine.safety_signs(protocol=protocol, tissue=tissue)
    return (
        CallGroup(
            "Go to an emergency department now (call an ambulance if you need to)",
            "emergency",
            signs.emergency,
        ),
        CallGroup("Stop and call the clinic the same day", "same_day", signs.same_day),
        CallGroup("Call the clinic to book a review", "review", signs.review),
    )


def _phase_bars(protocol: engine.Protocol, current: int) -> tuple[PhaseBar, ...]:
    # Widths follow the weeks, but no phase is squeezed below a readable share.
    spans = [max(phase.weeks[1] - phase.weeks[0], 1) for phase in protocol.phases]
    shares = [max(span / sum(spans), MIN_PHASE_SHARE) for span in spans]
    bars = []
    for phase, share in zip(protocol.phases, shares, strict=True):
        bars.append(
            PhaseBar(
                number=phase.number,
                name=phase.name,
                goal=phase.goal,
                weeks=phase.weeks,
                width=round(100 * share / sum(shares), 1),
                is_current=phase.number == current,
                is_done=phase.number < current,
            )
        )
    return tuple(bars)


def _schedule(exercises, running, current_phase: PhaseBar | None, max_weeks: int):
    """Week-by-week tick grid for the current phase: one row per week, a cell per day listing
    the keys of that day's exercises (A, B ...) and the running session (R)."""
    cards = [*exercises, *([running] if running else [])]
    if current_phase is None:
        first, last = 1, 4
    else:
        first = current_phase.weeks[0] + 1
        last = max(current_phase.weeks[1], first)
    weeks = []
    shown = range(first, min(last, first + max_weeks - 1) + 1)
    for week in shown:
        days = [[card.key for card in cards if day in card.days] for day in range(7)]
        weeks.append({"number": week, "days": days})
    return {
        "weeks": weeks,
        "cards": cards,
        "more_weeks": last > shown[-1],
        "last_week": last,
    }


def _patient_link_url(plan: Plan, base_url: str) -> str:
    """The link as the plan page shows it; none when revoked or when no base URL is known
    (neither stored at issue, nor given, nor configured)."""
    try:
        link = plan.patient_link
    except Plan.patient_link.RelatedObjectDoesNotExist:
        return ""
    base = base_url or settings.PATIENT_LINK_BASE_URL
    if link.revoked_at is not None or not (link.base_url or base):
        return ""
    return patient_link_url(link, base_url=base)


def _qr_svg(url: str) -> SafeString:
    """The link as an inline SVG QR code; its <title> is the figure's alternative text."""
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(
        scale=4,
        border=2,
        dark="#000",
        light="#fff",
        title="QR code: scan it to open your plan online",
        svgclass="qr",
        lineclass=None,
        omitsize=True,
    )
    # segno's output is generated from the URL (our base URL and a URL-safe token), not typed text.
    return mark_safe(svg)  # noqa: S308  # nosec B308 B703
