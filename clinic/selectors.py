"""Reads scoped to the user's clinics: the one place that decides who sees which patient."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from clinic.models import Clinic, Membership, Patient


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


def get_patient_for_user(*, user, pk) -> Patient:
    """The patient, or 404 when it is not in one of the user's clinics (never 403)."""
    return get_object_or_404(patients_for_user(user=user), pk=pk)


def is_clinic_admin(*, user, clinic: Clinic) -> bool:
    return Membership.objects.filter(
        user=user, clinic=clinic, role=Membership.Role.CLINIC_ADMIN
    ).exists()
