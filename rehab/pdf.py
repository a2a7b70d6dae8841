"""The patient's plan as a printable, accessible PDF (WeasyPrint over a Django template).

Public API:

* ``plan_pdf_context(*, plan, large_print=False, base_url=None) -> dict``: everything the
  template needs, in two database queries; the template then touches no database.
* ``render_plan_html(*, plan, large_print=False, base_url=None) -> str``
* ``render_plan_pdf(*, plan, large_print=False, base_url=None) -> bytes``
* ``html_to_pdf(html) -> bytes``: WeasyPrint alone, with the locked-down fetcher.
* ``StaticAssetFetcher``: the only URL fetcher the renderer uses. It serves the project's static
  files (found through ``django.contrib.staticfiles`` finders) under ``ASSET_BASE_URL`` and
  refuses everything else: no network, no ``file://``, no ``data:``. Text a user typed is
  escaped by the template, and even a URL that slipped through could fetch nothing.

The same plan renders to the same bytes: the PDF's dates come from the plan, never the clock,
and the document carries no random identifier. Issued PDFs are stored as bytes
(``IssuedDocument``), so a later re-render never changes what the patient was given.
"""

from __future__ import annotations

import base64
import dataclasses
import posixpath
import tomllib
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import segno
import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db.models import Exists, OuterRef, Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from weasyprint.urls import URLFetcherResponse

from rehab import charts, engine
from rehab.chart_data import plan_chart_data
from rehab.models import Plan, Prescription, SessionLog

TEMPLATE = "rehab/pdf/plan.html"
STYLESHEET = "rehab/pdf/plan.css"
# A reserved, never-resolving origin (RFC 2606 ".invalid"): relative asset paths in the template
# resolve under it and the fetcher maps them to static files. Nothing is ever requested from it.
ASSET_BASE_URL = "https://assets.pdf.invalid/"
ASSET_TYPES = {
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}
CHART_DATA_PREFIX = "data:image/svg+xml;base64,"
PAGE_SIZES = {"A4": "A4", "Letter": "letter"}  # clinic setting -> CSS @page size
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1"}  # tagged, with the document language and title
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Suggested days (0 = Monday) by sessions a week. Strength and running are offset so that runs
# fall on non-consecutive days while there are three or fewer of them.
STRENGTH_DAYS = {
    1: (0,),
    2: (0, 3),
    3: (0, 2, 4),
    4: (0, 1, 3, 4),
    5: (0, 1, 2, 3, 4),
    6: (0, 1, 2, 3, 4, 5),
    7: (0, 1, 2, 3, 4, 5, 6),
}
RUNNING_DAYS = {
    1: (5,),
    2: (1, 5),
    3: (1, 3, 5),
    4: (0, 2, 4, 6),
    5: (0, 1, 3, 4, 6),
    6: (0, 1, 2, 3, 4, 5),
    7: (0, 1, 2, 3, 4, 5, 6),
}
MAX_SCHEDULE_WEEKS = {False: 6, True: 4}
MIN_PHASE_SHARE = 0.2
LOG_ROWS = {False: 18, True: 8}


class PdfAssetRefused(ValueError):
    """The renderer asked for something other than one of the project's static files."""


class StaticAssetFetcher(weasyprint.URLFetcher):
    """Serve ``ASSET_BASE_URL/<path>`` from the static files finders; refuse anything else.

    Refusals raise ``PdfAssetRefused`` (a ``ValueError``): WeasyPrint logs a warning and leaves
    the resource out, so a missing illustration never stops a plan from printing.
    """

    def fetch(self, url, headers=None):
        if url.startswith(CHART_DATA_PREFIX):
            # Progress charts are SVG drawn by rehab.charts, embedded by our own template; typed
            # text is escaped, so it can never become such a URI.
            body = base64.b64decode(url.removeprefix(CHART_DATA_PREFIX), validate=True)
            return URLFetcherResponse(url, body, headers={"Content-Type": "image/svg+xml"})
        path = self.static_path(url)
        found = finders.find(path)
        if not found:
            raise PdfAssetRefused(f"No static file {path!r}")
        with open(found, "rb") as handle:
            body = handle.read()
        return URLFetcherResponse(
            url, body, headers={"Content-Type": ASSET_TYPES[_extension(path)]}
        )

    @staticmethod
    def static_path(url: str) -> str:
        """The static file path behind an asset URL, or ``PdfAssetRefused``."""
        if not url.startswith(ASSET_BASE_URL):
            raise PdfAssetRefused(f"Only the project's static files are fetched, not {url!r}")
        parts = urlsplit(url)
        if parts.query or parts.fragment:
            raise PdfAssetRefused(f"Unexpected query or fragment in {url!r}")
        raw = unquote(parts.path).lstrip("/")
        path = posixpath.normpath(raw) if raw else ""
        if (
            not path
            or path != raw
            or path.startswith("..")
            or "\\" in path
            or "\x00" in path
            or _extension(path) not in ASSET_TYPES
        ):
            raise PdfAssetRefused(f"Not a static asset path: {url!r}")
        return path


def _extension(path: str) -> str:
    return posixpath.splitext(path)[1].lower()


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
    next_step: engine.Step | None
    days: tuple[int, ...]
    dose_edited: bool  # the dose differs from the step's standard one: amounts in how_to differ


@dataclass(frozen=True)
class RunningCard:
    key: str
    step: engine.Step
    dose: engine.Dose
    dose_summary: str
    dose_lines: tuple[DoseLine, ...]
    note: str
    next_step: engine.Step | None
    days: tuple[int, ...]
    dose_edited: bool
    now: Signal
    headline: str
    explanation: str
    rules: tuple[tuple[Signal, engine.RunningRuleText], ...]
    stop_pain: int


@dataclass(frozen=True)
class PainZone:
    name: str  # Green | Amber | Red
    css: str  # zone-green | zone-amber | zone-red
    low: int | None
    high: int | None
    meaning: str
    do: str

    @property
    def range_text(self) -> str:
        if self.low is None:
            return "—"
        if self.low == self.high:
            return f"{self.low}"
        return f"{self.low}–{self.high}"


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


# Patient-facing safety net. Sources: evidence.md section 5 (red flags; "safety-net every patient
# with leg pain") and the seed article ("See a professional if ...", "Red flag: if pain starts
# traveling down your leg during the run"). Each general sign carries the words that show a
# protocol's own safety-net line already covers it (that line is printed in its place).
def _patient_texts() -> dict:
    """The safety signs and glossary, reviewable data in rehab/knowledge/patient_texts.toml."""
    with open(engine.KNOWLEDGE_DIR / "patient_texts.toml", "rb") as handle:
        return tomllib.load(handle)


_TEXTS = _patient_texts()
# (text, words that mean a protocol's own safety line already says it)
EMERGENCY_SIGNS = tuple((s["text"], tuple(s["matches"])) for s in _TEXTS["emergency_sign"])
SAME_DAY_SIGNS = tuple((s["text"], tuple(s["matches"])) for s in _TEXTS["same_day_sign"])
REVIEW_SIGNS = tuple(s["text"] for s in _TEXTS["review_sign"])  # the seed's triggers
GLOSSARY_COMMON = tuple(
    (g["term"], g["meaning"]) for g in _TEXTS["glossary"] if "diagnosis" not in g
)
GLOSSARY_BY_DIAGNOSIS: dict[str, tuple[tuple[str, str], ...]] = {}
for _entry in _TEXTS["glossary"]:
    if "diagnosis" in _entry:
        GLOSSARY_BY_DIAGNOSIS[_entry["diagnosis"]] = (
            *GLOSSARY_BY_DIAGNOSIS.get(_entry["diagnosis"], ()),
            (_entry["term"], _entry["meaning"]),
        )


def plan_pdf_context(*, plan: Plan, large_print: bool = False, base_url: str | None = None) -> dict:
    """Everything the plan template needs, built in two queries (plan with its relations, then
    the prescriptions). The result holds plain values and engine dataclasses only.

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

    exercises: list[ExerciseCard] = []
    running: RunningCard | None = None
    for prescription in prescriptions:
        if prescription.ladder == "running":
            running = _running_card(plan, prescription, tissue)
        else:
            exercises.append(_exercise_card(chr(ord("A") + len(exercises)), prescription))

    link_url = _patient_link_url(plan, base_url)
    clinician = plan.created_by.get_full_name() or plan.created_by.get_username()
    updated = timezone.localtime(plan.updated_at)
    phases = _phase_bars(protocol, plan.current_phase)
    current_phase = next((p for p in phases if p.is_current), None)
    return {
        "title": f"Your rehab plan — {patient.full_name}",
        "large_print": large_print,
        "page_size": PAGE_SIZES.get(clinic.pdf_page_size, "A4"),
        "created_iso": timezone.localtime(plan.created_at).replace(microsecond=0).isoformat(),
        "modified_iso": updated.replace(microsecond=0).isoformat(),
        "document_date": updated.date(),
        "patient": {"full_name": patient.full_name},
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
        "timeline": protocol.timeline,
        "avoid": protocol.avoid,
        "exercises": exercises,
        "running": running,
        "tissue": tissue,
        "pain_zones": pain_zones(pain_limit=tissue.pain_limit, stop_pain=stop_pain),
        "pain_scale": _pain_scale(tissue.pain_limit, stop_pain),
        "call_groups": call_groups(protocol=protocol, tissue=tissue),
        "glossary": GLOSSARY_BY_DIAGNOSIS.get(plan.diagnosis, ()) + GLOSSARY_COMMON,
        "schedule": _schedule(exercises, running, current_phase, MAX_SCHEDULE_WEEKS[large_print]),
        "day_names": DAY_NAMES,
        "log_rows": range(LOG_ROWS[large_print]),
        "link_url": link_url,
        "link_text": link_url.split("://", 1)[-1] if link_url else "",
        "qr_svg": _qr_svg(link_url) if link_url else "",
        # Re-issued after follow-ups: the runner sees their progress (same charts as the page).
        "charts": charts.plan_charts(plan_chart_data(plan=plan)) if plan.has_logs else [],
    }


def render_plan_html(*, plan: Plan, large_print: bool = False, base_url: str | None = None) -> str:
    context = plan_pdf_context(plan=plan, large_print=large_print, base_url=base_url)
    return render_to_string(TEMPLATE, context)


def render_plan_pdf(*, plan: Plan, large_print: bool = False, base_url: str | None = None) -> bytes:
    return html_to_pdf(render_plan_html(plan=plan, large_print=large_print, base_url=base_url))


def html_to_pdf(html: str) -> bytes:
    """WeasyPrint on rendered plan HTML: tagged PDF/UA-1, static assets only."""
    document = weasyprint.HTML(
        string=html, base_url=ASSET_BASE_URL, url_fetcher=StaticAssetFetcher()
    )
    return document.write_pdf(**PDF_OPTIONS)


# --- Pieces -----------------------------------------------------------------------------------


def prescription_dose(prescription: Prescription, *, effort: str | None = None) -> engine.Dose:
    """The PT's dose as the engine's Dose (for its one-line summary), with the step's effort."""
    return dataclasses.replace(prescription.dose, effort=effort)


def _dose_lines(dose: engine.Dose) -> tuple[DoseLine, ...]:
    lines: list[DoseLine] = []
    if dose.session:
        lines.append(DoseLine("Each session", dose.session))
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
    if per_week >= 7:
        return "Every day"
    return f"{per_week} times a week" if per_week > 1 else "Once a week"


def _dose_edited(dose: engine.Dose, standard: engine.Dose) -> bool:
    return any(getattr(dose, name) != getattr(standard, name) for name in Prescription.DOSE_FIELDS)


def _next_step(step: engine.Step) -> engine.Step | None:
    return engine.ladder(step.ladder).next_after(step.code)


def _exercise_card(key: str, prescription: Prescription) -> ExerciseCard:
    step = engine.step(prescription.step_code)
    dose = prescription_dose(prescription)
    per_week = min(prescription.sessions_per_week or 0, 7)
    return ExerciseCard(
        key=key,
        step=step,
        dose=dose,
        dose_summary=dose.summary(),
        dose_lines=_dose_lines(dose),
        note=prescription.note,
        next_step=_next_step(step),
        days=STRENGTH_DAYS.get(per_week, ()),
        dose_edited=_dose_edited(dose, step.dose),
    )


def running_now(
    step: engine.Step, tissue: engine.TissueRule, *, cleared_to_run: bool
) -> tuple[Signal, str, str]:
    """What to do about running now, from the running step the PT prescribed.

    Returns ``(Signal, headline, explanation)``: stop for no running (cross-training, walking, or
    a bone stress injury not yet cleared), change for walk-run and every running step short of
    full training, go at the top of the running ladder.
    """
    if step.involves_running and tissue.running_requires_clearance and not cleared_to_run:
        return (
            SIGNALS["stop"],
            "No running until a doctor clears you.",
            "A bone stress injury has to be cleared by a doctor before any running.",
        )
    if step.activity == "none":
        return (
            SIGNALS["stop"],
            "No running for now.",
            "Keep fit with the pain-free activities on your running card instead.",
        )
    if step.activity == "walk":
        return (
            SIGNALS["stop"],
            "No running yet: brisk walking only.",
            "Pain-free brisk walking comes first; your physio will tell you when to start.",
        )
    if step.activity == "walk_run":
        return (
            SIGNALS["modify"],
            "Walk-run only.",
            "Run in short bouts with walking breaks, on flat ground, within the pain rules.",
        )
    if _next_step(step) is None:
        return (
            SIGNALS["continue"],
            "Run as usual, within the pain rules.",
            "Keep checking your pain and the next morning after each run.",
        )
    return (
        SIGNALS["modify"],
        "Keep running, but changed.",
        f"Run as on your running card ({step.name.lower()}), within the pain rules.",
    )


def _running_card(plan: Plan, prescription: Prescription, tissue: engine.TissueRule) -> RunningCard:
    step = engine.step(prescription.step_code)
    dose = prescription_dose(prescription, effort=step.dose.effort)
    guidance = engine.running_guidance(step, prescription.note, tissue)
    signal, headline, explanation = running_now(step, tissue, cleared_to_run=plan.cleared_to_run)
    per_week = min(prescription.sessions_per_week or 0, 7)
    return RunningCard(
        key="R",
        step=step,
        dose=dose,
        dose_summary=dose.summary(),
        dose_lines=_dose_lines(dose),
        note=prescription.note,
        next_step=_next_step(step),
        days=RUNNING_DAYS.get(per_week, ()),
        dose_edited=_dose_edited(dose, step.dose),
        now=signal,
        headline=headline,
        explanation=explanation,
        rules=tuple((SIGNALS[rule.action], rule) for rule in guidance.rules),
        stop_pain=guidance.stop_pain,
    )


def pain_zones(*, pain_limit: int, stop_pain: int) -> tuple[PainZone, ...]:
    """Green up to the tissue's limit, amber above it, red from the stop line.

    With a limit of 0 (bone) any pain is red: every step must be pain-free. Amber also covers a
    next morning that is worse than usual, so it is never empty.
    """
    red_from = 1 if pain_limit == 0 else stop_pain
    amber = (pain_limit + 1, red_from - 1) if pain_limit + 1 <= red_from - 1 else (None, None)
    return (
        PainZone(
            "Green",
            "zone-green",
            0,
            pain_limit,
            "Pain free" if pain_limit == 0 else "Acceptable: the tissue is coping",
            "Carry on. If the next morning is no worse, you are on track.",
        ),
        PainZone(
            "Amber",
            "zone-amber",
            *amber,
            (
                "Too much for now, or the next morning is worse than usual"
                if amber[0] is not None
                else "The next morning is worse than usual"
            ),
            "Finish gently. Next time do less: fewer reps, less weight, shorter or slower runs.",
        ),
        PainZone(
            "Red",
            "zone-red",
            red_from,
            10,
            "Stop",
            "Stop this exercise or run and walk home. Next time go back a step. "
            "Call the clinic if it does not settle within a day or two.",
        ),
    )


def _pain_scale(pain_limit: int, stop_pain: int) -> tuple[tuple[int, str], ...]:
    red_from = 1 if pain_limit == 0 else stop_pain

    def zone(score: int) -> str:
        if score <= pain_limit:
            return "zone-green"
        return "zone-red" if score >= red_from else "zone-amber"

    return tuple((score, zone(score)) for score in range(11))


def call_groups(*, protocol: engine.Protocol, tissue: engine.TissueRule) -> tuple[CallGroup, ...]:
    """Red-flag symptoms and the seed's see-a-professional triggers, most urgent first.

    The protocol's own safety-net lines replace the general signs they cover and go with the
    emergency signs when they send the runner to an emergency department, else with the
    same-day ones. With a bone stress injury the runner must not hop to test the leg, so the
    hop trigger is left out.
    """

    def merge(general, *, emergency: bool) -> tuple[str, ...]:
        specific = [s for s in protocol.safety_net if ("emergency" in s.lower()) == emergency]
        items: list[str] = []
        for text, words in general:
            cover = next((s for s in specific if any(w in s.lower() for w in words)), None)
            items.append(cover or text)
        return tuple(dict.fromkeys(items + specific))

    review = REVIEW_SIGNS
    if tissue.code == "bone":
        review = tuple(s for s in REVIEW_SIGNS if "hop" not in s)
    return (
        CallGroup(
            "Go to an emergency department now (call an ambulance if you need to)",
            "emergency",
            merge(EMERGENCY_SIGNS, emergency=True),
        ),
        CallGroup(
            "Stop and call the clinic the same day",
            "same_day",
            merge(SAME_DAY_SIGNS, emergency=False),
        ),
        CallGroup("Call the clinic to book a review", "review", review),
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


def _patient_link_url(plan: Plan, base_url: str | None) -> str:
    try:
        link = plan.patient_link
    except Plan.patient_link.RelatedObjectDoesNotExist:
        return ""
    if link.revoked_at is not None:
        return ""
    base = base_url if base_url is not None else settings.PATIENT_LINK_BASE_URL
    return f"{base.rstrip('/')}{reverse('patient_plan_page', args=[link.token])}"


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
