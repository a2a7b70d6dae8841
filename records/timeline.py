"""One patient's story on one page: assessments, plans, issued PDFs, sessions and decisions.

Each kind of patient record (``clinic.patient_records``) is either drawn by one of
``ENTRIES``' builders or named in ``NOT_ON_TIMELINE``; a test holds every declared record to
one of the two. Each kind is read with one query, so the page costs the same however long the
history is, with only the columns an entry shows; the queries are compiled to SQL once per
process with a stand-in patient id (``clinic.compiled``: compiling them cost Django more than
the database took to run them) and the plans are read once for the timeline and the page's list.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Model, QuerySet
from django.utils import timezone

from assessments.models import Assessment, RedFlagClearance
from clinic.compiled import ANY_ID, compiled
from clinic.knowledge import red_flags
from clinic.links import url_for_id
from clinic.models import Patient
from rehab.chart_data import outcome_history
from rehab.models import (
    IssuedDocument,
    OutcomeMeasurement,
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


@dataclass(frozen=True)
class TimelineSource:
    """What the builders draw from: the patient and their plans (the page lists those too)."""

    patient: Patient
    plans: list[Plan]


def _of_patient(build: Callable[[], QuerySet], model: type[Model], patient: Patient) -> list:
    """``build``'s rows (a queryset written with the stand-in id) for this patient."""
    return compiled(build, model).instances({ANY_ID: patient.pk})


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _words(code: str) -> str:
    return code.replace("_", " ")


def _assessment_rows() -> QuerySet[Assessment]:
    return Assessment.objects.filter(patient=ANY_ID).only(
        "assessed_on", "status", "working_diagnosis", "ranking_at_signing"
    )


def _assessments(record: TimelineSource) -> list[TimelineEntry]:
    entries = []
    registry = red_flags()  # a clearance is an entry of its own (below)
    for assessment in _of_patient(_assessment_rows, Assessment, record.patient):
        flags = [registry.get(flag["code"]).name for flag in assessment.raised_red_flags()]
        entries.append(
            TimelineEntry(
                kind="assessment",
                on=assessment.assessed_on,
                title=f"Assessment ({assessment.get_status_display().lower()})",
                detail=assessment.get_working_diagnosis_display() or "No working diagnosis yet",
                url=url_for_id("assessment_detail", assessment.pk),
                flags=tuple(flags),
            )
        )
    return entries


def _clearance_rows() -> QuerySet[RedFlagClearance]:
    return (
        RedFlagClearance.objects.filter(assessment__patient=ANY_ID)
        .select_related("cleared_by")
        .only(
            "assessment",
            "code",
            "evidence",
            "cleared_at",
            "cleared_by__first_name",
            "cleared_by__last_name",
            "cleared_by__username",
        )
    )


def _clearances(record: TimelineSource) -> list[TimelineEntry]:
    registry = red_flags()
    return [
        TimelineEntry(
            kind="clearance",
            on=_as_date(timezone.localtime(clearance.cleared_at)),
            title=f"Red flag cleared: {registry.get(clearance.code).name}",
            detail=f"{clearance.get_evidence_display()} · "
            f"{clearance.cleared_by.get_full_name() or clearance.cleared_by.username}",
            url=url_for_id("assessment_detail", clearance.assessment_id),
        )
        for clearance in _of_patient(_clearance_rows, RedFlagClearance, record.patient)
    ]


def _patient_plans() -> QuerySet[Plan]:
    return Plan.objects.filter(patient=ANY_ID).only(
        "diagnosis", "status", "current_phase", "starts_on"
    )


def patient_plans(*, patient: Patient) -> list[Plan]:
    """The patient's plans, newest first, with what the timeline and the page's list show."""
    return _of_patient(_patient_plans, Plan, patient)


def _plans(record: TimelineSource) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            kind="plan",
            on=plan.starts_on,
            title=f"Rehab plan started ({plan.get_status_display().lower()})",
            detail=f"{plan.get_diagnosis_display()} · phase {plan.current_phase}",
            url=plan.get_absolute_url(),
        )
        for plan in record.plans
    ]


def _document_rows() -> QuerySet[IssuedDocument]:
    return IssuedDocument.objects.filter(plan__patient=ANY_ID).only(
        "version", "page_size", "large_print", "issued_at"
    )


def _documents(record: TimelineSource) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            kind="document",
            on=_as_date(document.issued_at),
            title=f"Plan PDF version {document.version} issued",
            detail=f"{document.page_size}{' · large print' if document.large_print else ''}",
            url=url_for_id("document_download", document.pk),
        )
        for document in _of_patient(_document_rows, IssuedDocument, record.patient)
    ]


def _session_rows() -> QuerySet[SessionLog]:
    return SessionLog.objects.filter(plan__patient=ANY_ID).only(
        "plan",
        "session_date",
        "exercise_pain",
        "running_pain",
        "next_morning",
        "pain_travelled_down_leg",
        "reported_by",
    )


def _sessions(record: TimelineSource) -> list[TimelineEntry]:
    entries = []
    for log in _of_patient(_session_rows, SessionLog, record.patient):
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
                url=url_for_id("plan_detail", log.plan_id),
                flags=tuple(flags),
            )
        )
    return entries


def _decision_rows() -> QuerySet[ProgressionDecision]:
    return (
        ProgressionDecision.objects.filter(prescription__plan__patient=ANY_ID)
        .select_related("prescription")
        .only(
            "prescription__ladder",
            "prescription__plan",
            "outcome",
            "from_step",
            "to_step",
            "decided_at",
        )
    )


def _decisions(record: TimelineSource) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            kind="decision",
            on=_as_date(decision.decided_at),
            title=f"{decision.prescription.get_ladder_display()}: {decision.outcome}",
            detail=f"{_words(decision.from_step)} → {_words(decision.to_step)}",
            url=url_for_id("plan_detail", decision.prescription.plan_id),
        )
        for decision in _of_patient(_decision_rows, ProgressionDecision, record.patient)
    ]


def _outcome_rows() -> QuerySet[OutcomeMeasurement]:
    """Oldest first, as ``outcome_history`` takes them."""
    return (
        OutcomeMeasurement.objects.filter(patient=ANY_ID)
        .only("measure", "measured_on", "total", "patient_reported")
        .order_by("measured_on", "created_at")
    )


def _outcomes(record: TimelineSource) -> list[TimelineEntry]:
    """Each score with its change since the previous one of its measure and whether that
    change reaches the measure's minimal important change; the runner's own answers say so."""
    entries = []
    outcomes_url = url_for_id("outcome_list", record.patient.pk)
    measurements = _of_patient(_outcome_rows, OutcomeMeasurement, record.patient)
    for history in outcome_history(measurements):
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
                    url=outcomes_url,
                )
            )
    return entries


ENTRIES: dict[str, Callable[[TimelineSource], list[TimelineEntry]]] = {
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


def patient_timeline(*, patient: Patient, plans: list[Plan]) -> list[TimelineEntry]:
    """Newest first; ``plans`` are the patient's (``patient_plans``)."""
    record = TimelineSource(patient, plans)
    entries: list[TimelineEntry] = []
    for build in ENTRIES.values():
        entries.extend(build(record))
    return sorted(entries, key=lambda entry: entry.on, reverse=True)
