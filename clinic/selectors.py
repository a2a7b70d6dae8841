"""Reads scoped to the user's clinics: the one place that decides who sees which patient."""

import datetime as dt

from django.db.models import Max, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Greatest
from django.shortcuts import get_object_or_404
from django.utils import timezone

from clinic.audit import note_read
from clinic.models import AccessEvent, Clinic, Membership, Patient


def is_anonymised(patient: Patient) -> bool:
    """Erased on request (``records.services.patient_anonymise``): the erasure is an event."""
    return patient.access_events.filter(what=AccessEvent.What.ERASURE).exists()


def clinics_for_user(*, user) -> QuerySet[Clinic]:
    return Clinic.objects.filter(memberships__user=user)


def patients_for_user(*, user, search: str = "") -> QuerySet[Patient]:
    patients = Patient.objects.filter(clinic__memberships__user=user).select_related("clinic")
    for term in search.split():
        patients = patients.filter(
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(record_number__iexact=term)
        )
    return patients


def patients_seen_recently(*, user, size: int, days: int = 30) -> list[Patient]:
    """The user's own patients (assessed or followed up by them) seen in the last ``days``,
    the ``size`` seen last.

    Only the few who can be among them are aggregated, not the whole clinic: the ``size`` last
    assessed by the user and the ``size`` last followed up by them (the (clinician, day) and
    (recorder, day) indexes), since whoever was seen last is last in one of the two.
    """
    since = timezone.localdate() - dt.timedelta(days=days)
    never = Value(dt.date(2000, 1, 1))
    assessed = (
        Patient.objects.filter(assessments__clinician=user, assessments__assessed_on__gte=since)
        .annotate(day=Max("assessments__assessed_on"))
        .order_by("-day")
        .values("pk")[:size]
    )
    followed_up = (
        Patient.objects.filter(
            plans__session_logs__recorded_by=user, plans__session_logs__session_date__gte=since
        )
        .annotate(day=Max("plans__session_logs__session_date"))
        .order_by("-day")
        .values("pk")[:size]
    )
    return list(
        patients_for_user(user=user)
        .filter(Q(pk__in=assessed) | Q(pk__in=followed_up))
        .annotate(
            last_assessed=Max("assessments__assessed_on", filter=Q(assessments__clinician=user)),
            last_followed_up=Max(
                "plans__session_logs__session_date",
                filter=Q(plans__session_logs__recorded_by=user),
            ),
        )
        .annotate(
            last_seen=Greatest(
                Coalesce("last_assessed", never), Coalesce("last_followed_up", never)
            )
        )
        .filter(last_seen__gte=since)
        .order_by("-last_seen")[:size]
    )


def get_patient_for_user(*, user, pk) -> Patient:
    """The patient, or 404 when it is not in one of the user's clinics (never 403).

    Noted as read: the request's access record names it (``clinic.audit``).
    """
    patient = get_object_or_404(patients_for_user(user=user), pk=pk)
    note_read(patient)
    return patient


def is_clinic_admin(*, user, clinic: Clinic) -> bool:
    return Membership.objects.filter(
        user=user, clinic=clinic, role=Membership.Role.CLINIC_ADMIN
    ).exists()
