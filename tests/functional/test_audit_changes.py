"""Audit of changes: every create, change and delete of the clinical records is in
django-simple-history with who and when, and the bulk paths that would skip it are closed.
"""

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment
from clinic.integrity import BulkWriteError
from clinic.models import Patient
from rehab.models import (
    IssuedDocument,
    OutcomeMeasurement,
    PatientLink,
    Plan,
    Prescription,
    ProgressionDecision,
    SessionLog,
)
from rehab.selectors import progression_proposals
from rehab.services import plan_create, plan_issue, progression_decide, session_log_create
from tests.rehab_factories import signed_assessment

GUARDED = [
    Patient,
    Assessment,
    Plan,
    Prescription,
    SessionLog,
    ProgressionDecision,
    IssuedDocument,
    PatientLink,
    OutcomeMeasurement,
]


@pytest.fixture
def plan(patient, alice):
    return plan_create(
        assessment=signed_assessment(patient=patient, clinician=alice), clinician=alice
    )


@pytest.mark.parametrize("model", GUARDED, ids=lambda m: m.__name__)
def test_every_clinical_model_keeps_a_change_history(model):
    assert hasattr(model, "history"), f"{model.__name__} has no HistoricalRecords"


@pytest.mark.parametrize("model", GUARDED, ids=lambda m: m.__name__)
def test_bulk_writes_that_skip_the_history_are_refused(model):
    with pytest.raises(BulkWriteError):
        model.objects.all().update(pk=0)
    with pytest.raises(BulkWriteError):
        model.objects.bulk_update([], ["pk"])
    with pytest.raises(BulkWriteError):
        model.objects.bulk_create([])


def test_patient_create_change_in_the_views_are_attributed(alice_client, alice, clinic):
    data = {
        "first_name": "Ines",
        "last_name": "Okafor",
        "date_of_birth": "1990-02-14",
        "sex": "female",
        "record_number": "RR-9001",
    }
    alice_client.post(reverse("patient_create"), data)
    patient = Patient.objects.get(record_number="RR-9001")
    alice_client.post(reverse("patient_edit", args=[patient.pk]), {**data, "notes": "Marathon"})
    created, changed = patient.history.order_by("history_date")
    assert (created.history_type, created.history_user) == ("+", alice)
    assert (changed.history_type, changed.history_user) == ("~", alice)
    delta = changed.diff_against(created)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("notes", "", "Marathon")]


def test_assessment_draft_edit_and_sign_are_attributed(alice_client, alice, assessment):
    url = reverse("assessment_edit", args=[assessment.pk])
    alice_client.post(url, {"assessed_on": "2026-11-20", "side": "right", "age": "41"})
    kinds = list(assessment.history.order_by("history_date").values_list("history_type", "age"))
    assert kinds == [("+", None), ("~", 41)]
    assert assessment.history.latest("history_date").history_user == alice


def test_plan_prescription_log_and_document_changes_are_attributed(alice_client, alice, plan):
    bridge = plan.prescriptions.get(ladder="bridge")
    alice_client.post(
        reverse("prescription_edit", args=[bridge.pk]),
        {"step_code": bridge.step_code, "sets": "3", "reps": "8", "note": "Slow down"},
    )
    alice_client.post(
        reverse("session_log_create", args=[plan.pk]),
        {
            "session_date": timezone.localdate().isoformat(),
            "exercise_pain": "2",
            "completed": "True",
        },
    )
    edit = bridge.history.latest("history_date")
    assert (edit.history_type, edit.history_user, edit.note) == ("~", alice, "Slow down")
    log = SessionLog.objects.get(plan=plan)
    assert log.history.get().history_user == alice
    # The prescription edit touched the plan (the PDF date): recorded, not a silent UPDATE.
    touch = plan.history.latest("history_date")
    assert touch.history_type == "~" and touch.history_user == alice


def test_issued_documents_and_decisions_are_in_the_history(alice, plan):
    document = plan_issue(plan=plan, clinician=alice, pdf=b"%PDF-1.4 x")
    assert document.history.get().history_type == "+"
    # The bytes never change and are not copied into every historical row; the hash is.
    assert "pdf_key" not in [f.name for f in IssuedDocument.history.model._meta.fields]
    assert document.history.get().sha256 == document.sha256
    prescription, proposal = progression_proposals(plan=plan)[0]
    decision = progression_decide(prescription=prescription, proposal=proposal, clinician=alice)
    recorded = decision.history.get()
    assert (recorded.history_type, recorded.to_step) == ("+", decision.to_step)


def test_queryset_delete_goes_row_by_row_and_every_deletion_is_in_the_history(plan, alice):
    for day in (1, 2):
        session_log_create(
            plan=plan, recorded_by=alice, session_date=dt.date(2026, 11, day), exercise_pain=1
        )
    deleted, per_model = SessionLog.objects.filter(plan=plan).delete()
    assert (deleted, per_model) == (2, {"rehab.SessionLog": 2})
    assert SessionLog.history.filter(history_type="-").count() == 2


def test_update_with_history_saves_each_row_fresh_and_records_it(plan):
    count = plan.prescriptions.update_with_history(step_since=dt.date(2026, 1, 5))
    assert count == plan.prescriptions.count()
    for prescription in plan.prescriptions.all():
        assert prescription.step_since == dt.date(2026, 1, 5)
        assert prescription.history.latest("history_date").step_since == dt.date(2026, 1, 5)
        assert prescription.version == 2


def test_cascade_from_a_deleted_plan_records_each_child_deletion(plan):
    prescriptions = plan.prescriptions.count()
    with transaction.atomic():
        Plan.objects.filter(pk=plan.pk).delete()
    assert Prescription.history.filter(history_type="-").count() == prescriptions
    assert PatientLink.history.filter(history_type="-").count() == 1
