"""The record's history says running distances in the clinic's unit, as its other pages do."""

import re

import pytest
from django.urls import reverse

from clinic.models import Clinic
from rehab.models import Plan
from tests.rehab_factories import signed_assessment

KM_WORD = re.compile(r"\bkm\b")


@pytest.fixture
def lumbar(patient, alice):
    return signed_assessment(
        patient=patient,
        clinician=alice,
        working_diagnosis="lumbar_referred_pain",
        reason="Back-related leg pain.",
        weekly_distance_km=32.2,
    )


def _history_text(client, patient) -> str:
    page = client.get(reverse("patient_history", args=[patient.pk])).content.decode()
    table = page[page.index('<table class="table table-sm align-top" id="history">') :]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table[: table.index("</table>")]))
    return text.replace(" : ", ": ")


def _follow_up(client, plan: Plan) -> None:
    """A session with the week's running, and the running dose rewritten with a distance."""
    client.post(
        reverse("session_log_create", args=[plan.pk]),
        {
            "session_date": plan.starts_on.isoformat(),
            "exercise_pain": "2",
            "next_morning": "same",
            "completed": "True",
            "weekly_distance_km": "10",
        },
    )
    running = plan.prescriptions.get(ladder="running")
    client.post(
        reverse("prescription_edit", args=[running.pk]),
        {"step_code": running.step_code, "sessions_per_week": "3", "session": "Run 5 km easy"},
    )


def test_a_miles_clinics_history_says_distances_in_miles(alice_client, clinic, patient, lumbar):
    Clinic.objects.filter(pk=clinic.pk).update(distance_unit="mi")
    alice_client.post(reverse("plan_create", args=[lumbar.pk]), {"weekly_distance": "20"})
    plan = Plan.objects.get(assessment=lumbar)
    _follow_up(alice_client, plan)
    text = _history_text(alice_client, patient)
    assert "Usual weekly running distance: 20 miles" in text  # the assessment, 32.2 km
    assert "current weekly running (miles): 20 " in text  # the plan, 32.2 km stored
    assert "running this week (miles): 10 " in text  # the session, 16.1 km stored
    assert "Run 3.1 miles easy" in text  # typed as "Run 5 km easy"
    assert "You ran about 20 miles a week" in text  # the plan's note, as the plan page says it
    assert not KM_WORD.search(text), text


def test_a_km_clinics_history_says_km(alice_client, patient, lumbar):
    alice_client.post(reverse("plan_create", args=[lumbar.pk]), {"weekly_distance": "32.2"})
    plan = Plan.objects.get(assessment=lumbar)
    _follow_up(alice_client, plan)
    text = _history_text(alice_client, patient)
    assert "Usual weekly running distance: 32.2 km" in text
    assert "current weekly running (km): 32.2 " in text
    assert "running this week (km): 10.0 " in text
    assert "Run 5 km easy" in text and "You ran about 32.2 km a week" in text
    assert "mile" not in text
