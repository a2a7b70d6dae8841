"""One patient's story on one page: assessments, plans, issued PDFs, sessions and decisions.

Each kind of patient record (``clinic.patient_records``) is either drawn by one of
``ENTRIES``' builders or named in ``NOT_ON_TIMELINE``; a test holds every declared record to
one of the two. Each kind is read with one query, so the page costs the same however long the
history is.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, RedFlagClearance
from clinic.knowledge import red_flags
from clinic.models import Patient
from rehab.chart_data import outcome_history, outcome_measurements_for_patient
from rehab.models import (
    IssuedDocument,
    Plan,
    ProgressionDecision,
    SessionLog,
)


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # assessment | clearance | plan | document | session | decision | outcome
    on: dt.date
    title: str
    detail: str = ""
    url: str = ""
    flags: tuple[str, ...] = field(default=())


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _words(code: str) -> str:
    return code.replace("_", " ")


def _assessments(patient: Patient) -> list[TimelineEntry]:
    entries = []
    registry = red_flags()  # a clearance is an entry of its own (below)
    for assessment in Assessment.objects.filter(patient=patient).select_related("clinician"):
        flags = [registry.get(flag["code"]).name for flag in assessment.raised_red_flags()]
        entries.append(
            TimelineEntry(
                kind="assessment",
                on=assessment.assessed_on,
                title=f"Assessment ({assessment.get_status_display().lower()})",
                detail=assessment.get_working_diagnosis_display() or "No working diagnosis yet",
                url=assessment.get_absolute_url(),
                flags=tuple(flags),
            )
        )
    return entries


def _clearances(patient: Patient) -> list[TimelineEntry]:
    registry = red_flags()
    clearances = RedFlagClearance.objects.filter(assessment__patient=patient)
    return [
        TimelineEntry(
            kind="clearance",
            on=_as_date(timezone.localtime(clearance.cleared_at)),
            title=f"Red flag cleared: {registry.get(clearance.code).name}",
            detail=f"{clearance.get_evidence_display()} · "
            f"{clearance.cleared_by.get_full_name() or clearance.cleared_by.username}",
            url=reverse("assessment_detail", args=[clearance.assessment_id]),
        )
        for clearance in clearances.select_related("cleared_by")
    ]


def _plans(patient: Patient) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            kind="plan",
            on=plan.starts_on,
            title=f"Rehab plan started ({plan.get_status_display().lower()})",
            detail=f"{plan.get_diagnosis_display()} · phase {plan.current_phase}",
            url=plan.get_absolute_url(),
        )
        for plan in Plan.objects.filter(patient=patient)
    ]


def _documents(patient: Patient) -> list[TimelineEntry]:
    documents = IssuedDocument.objects.filter(plan__patient=patient)
    return [
        TimelineEntry(
            kind="document",
            on=_as_date(document.issued_at),
            title=f"Plan PDF version {document.version} issued",
            detail=f"{document.page_size}{' · large print' if document.large_print else ''}",
            url=reverse("document_download", args=[document.pk]),
        )
        for document in documents.select_related("issued_by")
    ]


def _sessions(patient: Patient) -> list[TimelineEntry]:
    entries = []
    for log in SessionLog.objects.filter(plan__patient=patient):
        flags = []
        if log.pain_travelled_down_leg:
            flags.append("pain travelled down the leg")
        if log.next_morning == SessionLog.NextMorning.WORSE:
            flags.append("next morning worse")
        running = f", running {log.running_pain}/10" if log.running_pain is not None else ""
        entries.append(
            TimelineEntry(
                kind="session",
                on=log.session_date,
                title=f"Session ({log.get_reported_by_display().lower()}-reported)",
                detail=f"Exercise pain {log.exercise_pain}/10{running}",
                url=reverse("plan_detail", args=[log.plan_id]),
                flags=tuple(flags),
            )
        )
    return entries


def _decisions(patient: Patient) -> list[TimelineEntry]:
    decisions = ProgressionDecision.objects.filter(prescription__plan__patient=patient)
    return [
        TimelineEntry(
            kind="decision",
            on=_as_date(decision.decided_at),
            title=f"{decision.prescription.get_ladder_display()}: {decision.outcome}",
            detail=f"{_words(decision.from_step)} → {_words(decision.to_step)}",
            url=reverse("plan_detail", args=[decision.prescription.plan_id]),
        )
        for decision in decisions.select_related("prescription")
    ]


def _outcomes(patient: Patient) -> list[TimelineEntry]:
    """Each score with its change since the previous one of its measure and whether that
    change reaches the measure's minimal important change; the runner's own answers say so."""
    entries = []
    for history in outcome_history(outcome_measurements_for_patient(patient=patient)):
        measure = history.measure
        for row in history.rows:
            measurement = row.measurement
            reported = " (patient-reported)" if measurement.patient_reported else ""
            change = f" · {row.change.signed}: {row.change.explanation}" if row.change else ""
            entries.append(
                TimelineEntry(
                    kind="outcome",
                    on=measurement.measured_on,
                    title=f"{measure.name}{reported}",
                    detail=f"{measurement.total:g} of {measure.maximum:g}{change}",
                    url=reverse("outcome_list", args=[patient.pk]),
                )
            )
    return entries


ENTRIES: dict[str, Callable[[Patient], list[TimelineEntry]]] = {
    "assessments.assessment": _assessments,
    "assessments.redflagclearance": _clearances,
    "rehab.plan": _plans,
    "rehab.issueddocument": _documents,
    "rehab.sessionlog": _sessions,
    "rehab.progressiondecision": _decisions,
    "rehab.outcomemeasurement": _outcomes,
}
# Declared patient records the timeline leaves out, and why.
NOT_ON_TIMELINE = {
    "clinic.patient": "the page is the patient's own",
    "clinic.accessevent": "reads are on the history page",
    "rehab.prescription": "shown on the plan; its changes are decisions",
    "rehab.patientlink": "shown on the plan",
    "rehab.patientlinkaccess": "shown on the plan",
    "rehab.questionnairerequest": "shown on the plan; its answer is an outcome entry",
    "rehab.issuerequest": "shown on the plan while in the works; the issued PDF is an entry",
}


def patient_timeline(*, patient: Patient) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for build in ENTRIES.values():
        entries.extend(build(patient))
    return sorted(entries, key=lambda entry: entry.on, reverse=True)
