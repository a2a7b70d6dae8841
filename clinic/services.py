"""Writes to patients: numbered by the clinic when asked, and an edit that cannot overwrite a
colleague's."""

from django.db import transaction

from clinic.models import Clinic, Patient


@transaction.atomic
def patient_create(*, clinic: Clinic, details: dict[str, object]) -> Patient:
    """A new patient of ``clinic``; a blank record number is given the clinic's next one.

    The clinic row is locked (on PostgreSQL) while its counter moves, so two PTs adding patients
    at once never get the same number; a number already typed by hand is skipped.
    """
    patient = Patient(clinic=clinic, **details)
    if not patient.record_number:
        clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
        number = clinic.record_number_next
        while Patient.objects.filter(
            clinic=clinic, record_number=f"{clinic.record_number_prefix}{number:05d}"
        ).exists():
            number += 1
        patient.record_number = f"{clinic.record_number_prefix}{number:05d}"
        clinic.record_number_next = number + 1
        clinic.save(update_fields=["record_number_next"])
    patient.save()
    return patient


@transaction.atomic
def patient_update(*, patient: Patient, details: dict[str, object]) -> Patient:
    """Save an edit of the patient's details.

    ``details`` maps the patient's fields to their new values. Raises
    ``clinic.integrity.StaleVersionError`` (nothing saved) when someone else saved the patient
    after the version ``patient.version`` holds was loaded.
    """
    for name, value in details.items():
        setattr(patient, name, value)
    patient.save()
    return patient
