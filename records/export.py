"""A patient's complete record, for an access request or a transfer to another clinic.

- ``patient_record``: every row that belongs to the patient, in every model, as JSON: the
  current rows, their change history (django-simple-history's tables), the reads of the record
  (``AccessEvent``), the issued PDFs (base64, with their SHA-256) and the people named by id.
  The patient link's token is left out: it is a credential, not data about the patient.
- ``patient_fhir_bundle``: the same record's core as a FHIR R4 ``Bundle`` (type collection):
  ``Patient``, an ``Observation`` per outcome score and per pain score logged in a session, and a
  ``CarePlan`` per plan with an activity per prescription. It is validated with
  ``fhir.resources`` (its ``R4B`` models: R4B changed nothing in these four resources) before it
  is returned, so an invalid bundle is an error here, not at the receiving end.
"""

import base64
import datetime as dt
import json
import uuid

from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.formats import date_format

from clinic.models import Patient
from clinic.patient_records import patient_records, tracked_records
from rehab import engine, outcomes
from rehab.documents import HASH_FIELD, KEY_FIELD, stored_object_read
from rehab.models import IssuedDocument, OutcomeMeasurement, Plan, SessionLog

EXPORT_FORMAT = "hamstring-clinic/patient-record"
EXPORT_VERSION = 1
SECRETS = {"rehab.patientlink": {"token"}, "rehab.historicalpatientlink": {"token"}}
# Stable ids for the bundle's resources: the same record exports to the same urn:uuid values.
FHIR_NAMESPACE = uuid.UUID("6f1c1d52-5c1b-4b7a-9a59-2f0d6b1f4e21")
FHIR_LOCAL = "https://hamstring-clinic.invalid/fhir"
LOINC = "http://loinc.org"
PAIN_NRS = {
    "system": LOINC,
    "code": "72514-3",
    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
}


class FullPrecisionJSONEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder keeps only milliseconds of a time (ECMA-262); this keeps it all."""

    def default(self, o):
        if isinstance(o, dt.datetime):
            return o.isoformat().replace("+00:00", "Z")
        if isinstance(o, dt.time):
            return o.isoformat()
        return super().default(o)


def _serialize(queryset: models.QuerySet) -> list[dict]:
    label = queryset.model._meta.label_lower
    hidden = SECRETS.get(label, set())
    rows = serializers.serialize("python", queryset.order_by("pk"))
    return [
        {
            "pk": row["pk"],
            "fields": {k: v for k, v in row["fields"].items() if k not in hidden},
        }
        for row in rows
    ]


def _user_ids(model: type[models.Model], rows: list[dict]) -> set[int]:
    user_model = get_user_model()
    names = [
        f.name
        for f in model._meta.fields
        if isinstance(f, models.ForeignKey) and f.related_model is user_model
    ]
    return {row["fields"][n] for row in rows for n in names if row["fields"].get(n) is not None}


def _add_document_bytes(rows: list[dict]) -> None:
    """Each issued PDF's bytes (base64) beside its storage key, read with the hash checked: an
    export never carries a file that is not the one issued."""
    for row in rows:
        fields = row["fields"]
        for copy, key_field in KEY_FIELD.items():
            fields[copy] = (
                base64.b64encode(
                    stored_object_read(fields[key_field], fields[HASH_FIELD[copy]])
                ).decode()
                if fields[key_field]
                else ""
            )


def patient_record(*, patient: Patient, exported_by=None, at: dt.datetime | None = None) -> dict:
    """Every row of the patient's record as JSON-ready data (see the module docstring)."""
    records, history, user_ids = {}, {}, set()
    for record in patient_records():
        rows = _serialize(record.rows(patient.pk))
        if record.model is IssuedDocument:
            _add_document_bytes(rows)
        records[record.label] = rows
        user_ids |= _user_ids(record.model, rows)
    for record in tracked_records():
        historical = record.model.history.model
        rows = _serialize(record.history_rows(patient.pk))
        history[historical._meta.label_lower] = rows
        user_ids |= _user_ids(historical, rows)
    people = {
        str(user.pk): {"username": user.get_username(), "name": user.get_full_name()}
        for user in get_user_model().objects.filter(pk__in=user_ids).order_by("pk")
    }
    data = {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_VERSION,
        "exported_at": at,
        "exported_by": exported_by.get_username() if exported_by is not None else None,
        "clinic": {"id": patient.clinic_id, "name": patient.clinic.name},
        "patient_id": patient.pk,
        "records": records,
        "history": history,
        "people": people,
        "notes": {
            "rehab.issueddocument.pdf": "The PDF exactly as issued, base64; sha256 is its hash "
            "(pdf_key: where the clinic stores it).",
            "rehab.issueddocument.link_pdf": "The same PDF naming the patient by first name "
            "only, as the link serves it; base64, link_sha256 is its hash.",
            "rehab.patientlink.token": "Left out: it is the key to the patient's page.",
            "history": "django-simple-history: one row per save or delete (+ created, "
            "~ changed, - deleted) with who (history_user) and when (history_date).",
        },
    }
    return json.loads(json.dumps(data, cls=FullPrecisionJSONEncoder))


# --- FHIR ------------------------------------------------------------------------------------


def _urn(kind: str, pk) -> str:
    return f"urn:uuid:{uuid.uuid5(FHIR_NAMESPACE, f'{kind}/{pk}')}"


def _entry(kind: str, pk, resource: dict) -> dict:
    return {"fullUrl": _urn(kind, pk), "resource": {"id": f"{kind}-{pk}", **resource}}


def _fhir_patient(patient: Patient) -> dict:
    resource = {
        "resourceType": "Patient",
        "identifier": [
            {
                "system": f"{FHIR_LOCAL}/clinic/{patient.clinic_id}/record-number",
                "value": patient.record_number,
            }
        ],
        "name": [{"family": patient.last_name, "given": [patient.first_name]}],
        "gender": {"female": "female", "male": "male"}.get(patient.sex, "other"),
        "birthDate": patient.date_of_birth.isoformat(),
        "managingOrganization": {"display": patient.clinic.name},
    }
    telecom = [
        {"system": system, "value": value}
        for system, value in (("email", patient.email), ("phone", patient.phone))
        if value
    ]
    if telecom:
        resource["telecom"] = telecom
    return _entry("patient", patient.pk, resource)


def _observation(kind, pk, *, subject, code: dict, on: dt.date, value: dict, note="") -> dict:
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "survey",
                    }
                ]
            }
        ],
        "code": code,
        "subject": {"reference": subject},
        "effectiveDateTime": on.isoformat(),
        **value,
    }
    if note:
        resource["note"] = [{"text": note}]
    return _entry(kind, pk, resource)


def _outcome_observations(patient: Patient, subject: str) -> list[dict]:
    entries = []
    for measurement in OutcomeMeasurement.objects.filter(patient=patient).order_by("pk"):
        measure = outcomes.measure(measurement.measure)
        coding = [{"system": f"{FHIR_LOCAL}/outcome-measure", "code": measure.code}]
        coding[0]["display"] = measure.name
        if measure.group == "pain":
            coding.insert(0, PAIN_NRS)
            value = {"valueInteger": int(measurement.total)}
        else:
            value = {
                "valueQuantity": {
                    "value": measurement.total,
                    "unit": f"score (of {measure.maximum})",
                    "system": "http://unitsofmeasure.org",
                    "code": "{score}",
                }
            }
        entries.append(
            _observation(
                "outcome",
                measurement.pk,
                subject=subject,
                code={"coding": coding, "text": measure.name},
                on=measurement.measured_on,
                value=value,
            )
        )
    return entries


def _session_pain_observations(patient: Patient, subject: str) -> list[dict]:
    entries = []
    logs = SessionLog.objects.filter(plan__patient=patient).order_by("pk")
    for log in logs:
        for what, score, text in (
            ("exercise", log.exercise_pain, "Worst pain during the exercises (0-10)"),
            ("running", log.running_pain, "Worst pain while running (0-10)"),
        ):
            if score is None:
                continue
            local = {"system": f"{FHIR_LOCAL}/session-pain", "code": what, "display": text}
            entries.append(
                _observation(
                    f"session-{what}-pain",
                    log.pk,
                    subject=subject,
                    code={"coding": [PAIN_NRS, local], "text": text},
                    on=log.session_date,
                    value={"valueInteger": score},
                    note=f"Reported by the {log.get_reported_by_display().lower()}.",
                )
            )
    return entries


CAREPLAN_STATUS = {"draft": "draft", "issued": "active", "ended": "completed"}
ACTIVITY_STATUS = {"draft": "not-started", "issued": "in-progress", "ended": "completed"}


def _care_plans(patient: Patient, subject: str) -> list[dict]:
    entries = []
    plans = Plan.objects.filter(patient=patient).prefetch_related("prescriptions").order_by("pk")
    for plan in plans:
        period = {"start": plan.starts_on.isoformat()}
        if plan.ends_on:
            period["end"] = plan.ends_on.isoformat()
        activities = []
        for prescription in plan.prescriptions.all():
            step = engine.step(prescription.step_code)
            detail = {
                "status": ACTIVITY_STATUS[plan.status],
                "code": {"text": f"{prescription.get_ladder_display()}: {step.name}"},
            }
            if summary := prescription.dose.summary():
                detail["description"] = summary
            activities.append({"detail": detail})
        resource = {
            "resourceType": "CarePlan",
            "status": CAREPLAN_STATUS[plan.status],
            "intent": "plan",
            "title": f"{plan.get_diagnosis_display()} rehab plan",
            "description": f"Phase {plan.current_phase}; started {date_format(plan.starts_on)}.",
            "subject": {"reference": subject},
            "period": period,
            "created": plan.created_at.isoformat(),
            "activity": activities,
        }
        entries.append(_entry("plan", plan.pk, resource))
    return entries


def patient_fhir_bundle(*, patient: Patient, at: dt.datetime) -> dict:
    """The FHIR R4 collection bundle (see the module docstring); raises if it does not validate."""
    from fhir.resources.R4B.bundle import Bundle

    subject = _urn("patient", patient.pk)
    entries = [
        _fhir_patient(patient),
        *_outcome_observations(patient, subject),
        *_session_pain_observations(patient, subject),
        *_care_plans(patient, subject),
    ]
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(FHIR_NAMESPACE, f"bundle/{patient.pk}/{at.isoformat()}")),
        "type": "collection",
        "timestamp": at.isoformat(),
        "entry": entries,
    }
    Bundle.model_validate(bundle)
    return bundle
