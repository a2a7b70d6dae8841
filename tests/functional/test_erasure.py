"""Erasure: after ``patient_anonymise`` no table — historical tables, the audit, the admin's log
included — holds the patient's name, email or record number; the clinical record stays, and
the erasure itself is in the audit with who, when and why.
"""

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment
from clinic.models import AccessEvent, Patient
from records.services import patient_anonymise
from rehab.documents import documents_storage, issued_document_bytes, stored_object_keys
from rehab.models import IssuedDocument, OutcomeMeasurement, SessionLog
from rehab.selectors import progression_proposals
from rehab.services import (
    outcome_measurement_record,
    plan_create,
    plan_issue,
    progression_decide,
    session_log_create,
)
from tests.factories import PatientFactory, UserFactory
from tests.rehab_factories import signed_assessment

FIRST, LAST, OLD_LAST = "Zelda", "Quintavalle", "Brightwater"
EMAIL, NUMBER, OLD_NUMBER = "zelda.q@example.org", "ZQ-778899", "ZQ-000001"
PHONE = "07700 900461"
IDENTIFYING = [FIRST, LAST, OLD_LAST, EMAIL, PHONE, NUMBER, OLD_NUMBER]


@pytest.fixture
def dana(clinic):
    return UserFactory(username="dana", clinic=clinic, clinic__role="clinic_admin")


@pytest.fixture
def dana_client(dana):
    client = Client()
    client.force_login(dana)
    return client


@pytest.fixture
def zelda(clinic, alice, alice_client):
    """A patient whose name, email and number are everywhere they can be: notes, an old name
    in the history, free text on every record, a PDF, link visits, the admin's log."""
    patient = PatientFactory(
        clinic=clinic,
        first_name=FIRST,
        last_name=OLD_LAST,
        email=EMAIL,
        record_number=OLD_NUMBER,
        notes=f"{FIRST} {OLD_LAST} runs with her club.",
    )
    alice_client.post(
        reverse("patient_edit", args=[patient.pk]),
        {
            "first_name": FIRST,
            "last_name": LAST,
            "date_of_birth": "1988-04-02",
            "sex": "female",
            "email": EMAIL,
            "phone": PHONE,
            "record_number": NUMBER,
            "notes": f"Married name {LAST}; call {EMAIL}.",
        },
    )
    signed = signed_assessment(
        patient=patient,
        clinician=alice,
        working_diagnosis="lumbar_referred_pain",
        reason=f"{FIRST} described leg pain like her sister's sciatica.",
    )
    other_signed = signed_assessment(patient=patient, clinician=alice)
    plan = plan_create(assessment=other_signed, clinician=alice)
    bridge = plan.prescriptions.get(ladder="bridge")
    bridge.note = f"{FIRST}: slow on the way down."
    bridge.save()
    session_log_create(
        plan=plan,
        recorded_by=None,
        session_date=plan.starts_on,
        exercise_pain=2,
        running_pain=3,
        notes=f"It's {FIRST} — felt fine.",
    )
    prescription, proposal = progression_proposals(plan=plan)[0]
    progression_decide(
        prescription=prescription,
        proposal=proposal,
        clinician=alice,
        to_step=prescription.step_code if proposal.target_step != prescription.step_code else None,
        override_reason=f"{FIRST} is travelling next week.",
    )
    outcome_measurement_record(
        patient=patient, measure="pain_rest", measured_on=plan.starts_on, responses={"pain": 3}
    )
    plan_issue(plan=plan, clinician=alice, pdf=f"%PDF-1.4 Plan for {FIRST} {LAST}".encode())
    Client().get(reverse("patient_plan_page", args=[plan.patient_link.token]))  # the runner
    alice_client.get(reverse("patient_export_json", args=[patient.pk]))
    LogEntry.objects.create(
        user=alice,
        content_type=ContentType.objects.get_for_model(Assessment),
        object_id=str(signed.pk),
        object_repr=str(signed),
        action_flag=CHANGE,
        change_message=f"Changed side for {FIRST} {LAST}.",
    )
    patient.refresh_from_db()
    return patient


class StoredObjects:
    """Stands for the issued-documents storage in the list of places that hold text."""

    class _meta:  # read like a model's ``_meta``
        label = "storage: issued_documents"


def _text_of_every_row():
    """Every value of every row of every table the ORM knows, and every stored PDF, as text."""
    for model in apps.get_models(include_auto_created=True):
        names = [f.attname for f in model._meta.concrete_fields]
        for row in model._base_manager.values_list(*names).iterator():
            for value in row:
                if isinstance(value, bytes | memoryview):
                    yield model, bytes(value).decode("latin-1")
                elif value is not None:
                    yield model, str(value)
    storage = documents_storage()
    for key in stored_object_keys():
        with storage.open(key, "rb") as handle:
            yield StoredObjects, handle.read().decode("latin-1")


def _found(strings):
    return sorted(
        {
            (model._meta.label, s)
            for model, text in _text_of_every_row()
            for s in strings
            if s.lower() in text.lower()
        }
    )


def test_the_fixture_really_spreads_the_identity_over_many_tables(zelda):
    tables = {label for label, _ in _found(IDENTIFYING)}
    assert {
        "clinic.Patient",
        "clinic.HistoricalPatient",
        "assessments.Assessment",
        "assessments.HistoricalAssessment",
        "rehab.Prescription",
        "rehab.HistoricalPrescription",
        "rehab.SessionLog",
        "rehab.HistoricalSessionLog",
        "rehab.ProgressionDecision",
        "rehab.HistoricalProgressionDecision",
        "storage: issued_documents",
        "admin.LogEntry",
    } <= tables


def test_after_erasure_no_table_holds_the_name_email_or_record_number(
    dana_client, dana, zelda, django_capture_on_commit_callbacks
):
    client = Client()
    token = zelda.plans.get().patient_link.token
    url = reverse("patient_anonymise", args=[zelda.pk])
    assert dana_client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = dana_client.post(
            url, {"reason": f"Written request from {FIRST} {LAST} ({EMAIL}).", "confirm": "on"}
        )
    assert response.status_code == 302

    assert _found(IDENTIFYING) == []

    erasure = AccessEvent.objects.get(what=AccessEvent.What.ERASURE)
    assert (erasure.user, erasure.patient_id) == (dana, zelda.pk)
    assert erasure.reason == "Written request from [removed] ([removed])."
    zelda.refresh_from_db()
    assert (zelda.first_name, zelda.last_name, zelda.email, zelda.notes) == (
        "Anonymised",
        "patient",
        "",
        "",
    )
    assert zelda.record_number.startswith("ANON-")
    assert (zelda.date_of_birth.year, zelda.date_of_birth.month, zelda.date_of_birth.day) == (
        1988,
        1,
        1,
    )
    # The link is dead; the patient's own visit addresses are gone, the clinicians' stay.
    assert client.get(reverse("patient_plan_page", args=[token])).status_code == 404
    link_visits = AccessEvent.objects.filter(patient=zelda, user__isnull=True)
    assert link_visits.exists() and not link_visits.exclude(ip=None).exists()


def test_erasure_keeps_the_clinical_record_and_the_pdf_hash(
    dana, zelda, django_capture_on_commit_callbacks
):
    document = IssuedDocument.objects.get(plan__patient=zelda)
    findings = {a.pk: a.to_findings() for a in zelda.assessments.all()}
    pain = list(SessionLog.objects.values_list("exercise_pain", "running_pain"))
    totals = list(OutcomeMeasurement.objects.values_list("measure", "total"))
    assert documents_storage().exists(document.pdf_key)

    with django_capture_on_commit_callbacks(execute=True):
        patient_anonymise(patient=zelda, by=dana, reason="Request received 1 Dec")

    assert {a.pk: a.to_findings() for a in zelda.assessments.all()} == findings
    assert zelda.assessments.filter(status="signed").count() == 2
    assert list(SessionLog.objects.values_list("exercise_pain", "running_pain")) == pain
    assert list(OutcomeMeasurement.objects.values_list("measure", "total")) == totals
    erased = IssuedDocument.objects.get(pk=document.pk)
    assert (erased.pdf_key, erased.sha256) == ("", document.sha256)
    assert erased.erased_at is not None
    # The stored object itself is gone (deleted once the erasure committed).
    assert document.pdf_key and not documents_storage().exists(document.pdf_key)


def test_the_erasure_shows_on_the_history_page(dana, zelda, alice_client):
    patient_anonymise(patient=zelda, by=dana, reason="Request received 1 Dec")
    entries = alice_client.get(reverse("patient_history", args=[zelda.pk])).context["entries"]
    erasure = next(e for e in entries if e.action == "Anonymised the record")
    assert (erasure.who, erasure.reason) == (dana.get_full_name(), "Request received 1 Dec")
    renamed = next(e for e in entries if e.reason == "Anonymised (erasure)")
    assert renamed.record == f"Patient #{zelda.pk}"


def test_only_a_clinic_admin_of_the_patients_clinic_may_erase(alice, charlie, zelda, other_clinic):
    client = Client()
    url = reverse("patient_anonymise", args=[zelda.pk])
    data = {"reason": "asked", "confirm": "on"}
    outsider_admin = UserFactory(clinic=other_clinic, clinic__role="clinic_admin")
    anonymous = client.post(url, data)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    client.force_login(alice)  # a clinician of the clinic: sees the page, may not erase
    page = client.get(url)
    assert page.status_code == 200 and "Only a clinic admin" in page.content.decode()
    assert client.post(url, data).status_code == 403
    for user in (charlie, outsider_admin):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, data).status_code == 404
    with pytest.raises(PermissionDenied), transaction.atomic():
        patient_anonymise(patient=zelda, by=alice, reason="asked")
    assert Patient.objects.get(pk=zelda.pk).last_name == LAST
    assert not AccessEvent.objects.filter(what=AccessEvent.What.ERASURE).exists()


def test_erasure_needs_a_reason_and_a_confirmation_and_happens_once(dana_client, zelda):
    url = reverse("patient_anonymise", args=[zelda.pk])
    assert dana_client.post(url, {"reason": "asked"}).status_code == 400
    assert dana_client.post(url, {"reason": " ", "confirm": "on"}).status_code == 400
    assert Patient.objects.get(pk=zelda.pk).last_name == LAST
    assert dana_client.post(url, {"reason": "asked", "confirm": "on"}).status_code == 302
    again = dana_client.post(url, {"reason": "asked again", "confirm": "on"})
    assert again.status_code == 400
    assert AccessEvent.objects.filter(what=AccessEvent.What.ERASURE).count() == 1


def test_an_erased_pdf_answers_gone_instead_of_an_empty_file(dana, zelda, alice_client):
    document = IssuedDocument.objects.get(plan__patient=zelda)
    patient_anonymise(patient=zelda, by=dana, reason="Request received 1 Dec")
    response = alice_client.get(reverse("document_download", args=[document.pk]))
    assert response.status_code == 410


def test_an_erasure_that_fails_keeps_the_pdf_and_its_stored_object(
    dana, zelda, monkeypatch, django_capture_on_commit_callbacks
):
    document = IssuedDocument.objects.get(plan__patient=zelda)

    def broken(*args, **kwargs):
        raise RuntimeError("the admin log could not be cleaned")

    monkeypatch.setattr("records.services._redact_admin_log", broken)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        patient_anonymise(patient=zelda, by=dana, reason="Request received 1 Dec")

    kept = IssuedDocument.objects.get(pk=document.pk)
    assert kept.erased_at is None and kept.pdf_key == document.pdf_key
    assert issued_document_bytes(kept).startswith(b"%PDF")
