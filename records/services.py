"""Erasure: the right to be forgotten applied to a clinical record.

The clinical content stays (findings, plans, doses, pain scores, outcome totals, who did what
and when), everything that names the person goes, including the old values kept by
django-simple-history's historical tables. The erasure itself is an ``AccessEvent`` with who,
when and why. What to blank in which model comes from the apps' declared patient records
(``clinic.patient_records``), so a new model's free text is erased once it is declared.
"""

import datetime as dt
import re
import secrets
from functools import partial

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.audit import describe
from clinic.models import AccessEvent, Patient
from clinic.patient_records import patient_records, tracked_records
from clinic.selectors import is_anonymised, is_clinic_admin
from rehab.documents import issued_document_objects_delete
from rehab.models import PatientLink

ANONYMISED_FIRST_NAME = "Anonymised"
ANONYMISED_LAST_NAME = "patient"
REDACTED = "[removed]"


def _identifying_strings(patient: Patient) -> list[str]:
    """Every name, email and record number the patient ever had (current and in history)."""
    values = set()
    rows = Patient.history.filter(id=patient.pk).values_list(
        "first_name", "last_name", "email", "record_number"
    )
    for first, last, email, number in [
        (patient.first_name, patient.last_name, patient.email, patient.record_number),
        *rows,
    ]:
        values.update([first, last, f"{first} {last}", email, number])
    return sorted((v for v in values if v and len(v.strip()) > 1), key=len, reverse=True)


def redact(text: str, identifying: list[str]) -> str:
    """``text`` with every identifying string (any case) replaced by ``[removed]``."""
    for value in identifying:
        pattern = rf"(?<!\w){re.escape(value)}(?!\w)"
        text = re.sub(pattern, REDACTED, text, flags=re.IGNORECASE)
    return text


def _new_record_code(patient: Patient) -> str:
    while True:
        code = f"ANON-{secrets.token_hex(4).upper()}"
        if not Patient.objects.filter(clinic_id=patient.clinic_id, record_number=code).exists():
            return code


@transaction.atomic
def patient_anonymise(*, patient: Patient, by, reason: str) -> AccessEvent:
    """Remove what identifies the patient from every table, keep the clinical record.

    - Patient: names → "Anonymised patient", date of birth → 1 January of the birth year,
      email and notes emptied, record number → a random ``ANON-`` code.
    - Free text that may name them: assessment reasons, prescription notes, session notes,
      override reasons — emptied, also in every historical row.
    - Issued PDFs (they print the name): the stored objects are deleted (after the commit) and
      their keys emptied; the SHA-256 stays as proof of what was issued, ``erased_at`` says when.
    - The plan links are revoked; the addresses of the patient's own link visits are dropped.
    - The Django admin's log: names in its object descriptions are replaced.
    - The erasure is recorded (who, when, why — with the names taken out of the reason).
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the record is anonymised (e.g. the request)."})
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if not is_clinic_admin(user=by, clinic=patient.clinic):
        raise PermissionDenied("Only a clinic admin of the patient's clinic can anonymise.")
    if is_anonymised(patient):
        raise ValidationError("This patient's record is already anonymised.")

    identifying = _identifying_strings(patient)
    now = timezone.now()
    erasure = AccessEvent.objects.create(
        patient=patient,
        user=by,
        what=AccessEvent.What.ERASURE,
        object_type=Patient._meta.label_lower,
        object_id=patient.pk,
        object_repr=describe(Patient, patient.pk),
        reason=redact(reason, identifying),
        at=now,
    )

    scrubbed = {
        "first_name": ANONYMISED_FIRST_NAME,
        "last_name": ANONYMISED_LAST_NAME,
        "date_of_birth": dt.date(patient.date_of_birth.year, 1, 1),
        "email": "",
        "phone": "",
        "notes": "",
        "record_number": _new_record_code(patient),
    }
    for name, value in scrubbed.items():
        setattr(patient, name, value)
    patient._history_user = by
    patient._change_reason = "Anonymised (erasure)"
    patient.save()
    Patient.history.filter(id=patient.pk).update(**scrubbed)

    for record in patient_records():
        if record.erase:
            blank = dict.fromkeys(record.erase, "")
            record.rows(patient.pk).erase_for(erasure, **blank)
            record.history_rows(patient.pk).update(**blank)
        if record.document:
            unerased = record.rows(patient.pk).filter(erased_at__isnull=True)
            key_fields = (record.document, *record.copies)
            keys = [key for row in unerased.values_list(*key_fields) for key in row if key]
            unerased.erase_for(erasure, **dict.fromkeys(key_fields, ""), erased_at=now)
            # The objects go once the erasure is committed: a rollback keeps rows and bytes.
            transaction.on_commit(partial(issued_document_objects_delete, keys))
    PatientLink.objects.filter(plan__patient=patient, revoked_at__isnull=True).update_with_history(
        revoked_at=now, revoked_by=by
    )
    AccessEvent.objects.filter(patient=patient, user__isnull=True).update(ip=None)
    for event in AccessEvent.objects.filter(patient=patient).exclude(reason=""):
        cleaned = redact(event.reason, identifying)
        if cleaned != event.reason:
            AccessEvent.objects.filter(pk=event.pk).update(reason=cleaned)

    _redact_admin_log(
        identifying,
        {
            record.model: record.history_rows(patient.pk).values("id")
            for record in tracked_records()
        },
    )
    return erasure


def _redact_admin_log(identifying: list[str], objects: dict) -> None:
    """The admin's LogEntry keeps ``str(obj)`` of what was edited there, and a plan's or an
    assessment's ``str`` holds the patient's name."""
    for model, ids in objects.items():
        content_type = ContentType.objects.get_for_model(model)
        wanted = {str(row["id"]) if isinstance(row, dict) else str(row) for row in ids}
        entries = LogEntry.objects.filter(content_type=content_type, object_id__in=wanted)
        for entry in entries:
            entry.object_repr = redact(entry.object_repr, identifying)[:200]
            entry.change_message = redact(entry.change_message, identifying)
            entry.save(update_fields=["object_repr", "change_message"])
