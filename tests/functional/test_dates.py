"""Dates are entered with the browser's date picker on every date field of the clinic's forms
and shown in one format ("2 Dec 2026", config/formats), in pages and in messages alike."""

import datetime as dt

from django import forms
from django.urls import reverse
from django.utils.formats import date_format

from assessments.forms import AssessmentForm
from assessments.models import Assessment
from clinic.forms import PatientForm
from rehab import outcomes
from rehab.forms import SessionLogForm
from rehab.forms_outcomes import OutcomeMeasurementForm
from tests.rehab_factories import plan_for


def _date_fields(form):
    return {name: f for name, f in form.fields.items() if isinstance(f, forms.DateField)}


def test_every_date_field_of_the_clinic_forms_is_a_date_picker(alice, patient):
    plan = plan_for(patient=patient, clinician=alice)
    made = [
        PatientForm(user=alice),
        AssessmentForm(instance=Assessment(patient=patient, clinician=alice)),
        SessionLogForm(plan=plan),
        OutcomeMeasurementForm(measure=outcomes.measures()[0], patient=patient),
    ]
    seen = 0
    for form in made:
        for name, field in _date_fields(form).items():
            seen += 1
            assert field.widget.input_type == "date", (type(form).__name__, name)
            assert 'type="date"' in str(form[name]), (type(form).__name__, name)
    assert seen == 4


def test_one_date_format_in_pages_and_in_messages(alice_client, alice, patient):
    day = dt.date(2026, 3, 2)
    assert date_format(day) == "2 Mar 2026"
    page = alice_client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert date_format(patient.date_of_birth) in page
    plan = plan_for(patient=patient, clinician=alice)
    too_late = plan.starts_on + dt.timedelta(days=400)
    response = alice_client.post(
        reverse("session_log_create", args=[plan.pk]),
        {"session_date": too_late.isoformat(), "exercise_pain": "2", "completed": "True"},
    )
    assert f"cannot be after today ({date_format(plan.starts_on.today())})" in (
        response.content.decode().replace("&#x27;", "'")
    )
