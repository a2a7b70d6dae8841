"""Running distances in the clinic's unit everywhere: asked in km or miles, stored in km, shown
in the clinic's unit on the plan page, the runner's page, the PDF, the assessment and the
record's history."""

import io
import re

import pypdf
import pytest
from django.urls import reverse

from clinic import units
from clinic.models import Clinic
from rehab.models import Plan
from rehab.pdf import render_plan_pdf
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


def _build(client, assessment, distance: str) -> Plan:
    client.post(reverse("plan_create", args=[assessment.pk]), {"weekly_distance": distance})
    return Plan.objects.get(assessment=assessment)


def _pages(client, plan) -> dict[str, str]:
    return {
        "plan page": client.get(reverse("plan_detail", args=[plan.pk])).content.decode(),
        "runner's page": client.get(
            reverse("patient_plan_page", args=[plan.patient_link.token])
        ).content.decode(),
        "assessment": client.get(
            reverse("assessment_detail", args=[plan.assessment.pk])
        ).content.decode(),
    }


def _visible(page: str) -> str:
    """The main part's text as a person reads it (not ids or class names)."""
    return re.sub(r"<[^>]+>", " ", page[page.index("<main") :])


def _around(pattern, text: str) -> list[str]:
    return [text[max(m.start() - 60, 0) : m.end() + 20] for m in pattern.finditer(text)]


def _pdf_text(plan) -> str:
    reader = pypdf.PdfReader(io.BytesIO(render_plan_pdf(plan=plan)))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_in_unit_says_every_km_of_a_text_in_miles_and_leaves_km_clinics_alone():
    text = "Walk-run 1.6 km in total, then 2.4 km; later 3.2 km. Run 5 km."
    assert units.in_unit(text, units.KM) == text
    assert units.in_unit(text, units.MILES) == (
        "Walk-run 1 mile in total, then 1.5 miles; later 2 miles. Run 3.1 miles."
    )
    assert units.to_km(20, units.MILES) == units.to_km("32.2", units.KM)
    assert units.format_distance(units.to_km(23.3, units.MILES), units.MILES) == "23.3 miles"


@pytest.mark.pdf
def test_a_miles_clinic_asks_shows_and_prints_miles_and_never_km(alice_client, clinic, lumbar):
    Clinic.objects.filter(pk=clinic.pk).update(distance_unit="mi")
    form = alice_client.get(reverse("assessment_detail", args=[lumbar.pk])).content.decode()
    assert "Current weekly running (miles)" in form and 'max="186.4"' in form
    plan = _build(alice_client, lumbar, "20")
    assert str(plan.weekly_km) == "32.2"  # stored in km
    for name, page in _pages(alice_client, plan).items():
        body = _visible(page)
        assert "20 miles" in body, name
        assert not KM_WORD.search(body), (name, _around(KM_WORD, body))
    text = _pdf_text(plan)
    assert "mile" in text
    assert not KM_WORD.search(text), _around(KM_WORD, text)


@pytest.mark.pdf
def test_a_km_clinic_asks_shows_and_prints_km(alice_client, lumbar):
    plan = _build(alice_client, lumbar, "32.2")
    assert str(plan.weekly_km) == "32.2"
    for name, page in _pages(alice_client, plan).items():
        assert "32.2 km" in page, name
        assert "mile" not in _visible(page), name
    text = _pdf_text(plan)
    assert KM_WORD.search(text) and "mile" not in text


def test_a_miles_clinic_above_the_highest_distance_names_the_field_and_builds_nothing(
    alice_client, clinic, lumbar
):
    Clinic.objects.filter(pk=clinic.pk).update(distance_unit="mi")
    page = alice_client.post(
        reverse("plan_create", args=[lumbar.pk]), {"weekly_distance": "190"}, follow=True
    ).content.decode()
    assert "Current weekly running (miles)" in page and "186.4" in page
    assert not Plan.objects.exists()


def test_session_log_and_assessment_forms_take_miles_and_store_km(
    alice_client, clinic, alice, patient, lumbar
):
    Clinic.objects.filter(pk=clinic.pk).update(distance_unit="mi")
    plan = _build(alice_client, lumbar, "")
    page = alice_client.get(reverse("plan_detail", args=[plan.pk])).content.decode()
    assert "Running this week (miles)" in page
    alice_client.post(
        reverse("session_log_create", args=[plan.pk]),
        {
            "session_date": plan.starts_on.isoformat(),
            "exercise_pain": "2",
            "running_pain": "",
            "next_morning": "same",
            "completed": "True",
            "weekly_distance_km": "10",
        },
    )
    assert str(plan.session_logs.get().weekly_distance_km) == "16.1"
    form = alice_client.get(reverse("assessment_create", args=[patient.pk])).content.decode()
    assert "Usual weekly running distance (miles)" in form


def test_the_running_dose_is_edited_in_miles_and_an_unchanged_text_stays_the_standard(
    alice_client, clinic, lumbar
):
    Clinic.objects.filter(pk=clinic.pk).update(distance_unit="mi")
    plan = _build(alice_client, lumbar, "20")
    running = plan.prescriptions.get(ladder="running")
    url = reverse("prescription_edit", args=[running.pk])
    page = alice_client.get(url).content.decode()
    assert "20 miles" in page and not KM_WORD.search(_visible(page))
    stored_note = running.note
    form = alice_client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data["note"] = data["note"] + " "  # as a browser may send it back
    assert alice_client.post(url, data).status_code == 302
    running.refresh_from_db()
    assert running.note == stored_note  # sent back as shown: kept as the engine wrote it


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
    plan = _build(alice_client, lumbar, "20")
    _follow_up(alice_client, plan)
    text = _history_text(alice_client, patient)
    assert "Usual weekly running distance: 20 miles" in text  # the assessment, 32.2 km
    assert "current weekly running (miles): 20 " in text  # the plan, 32.2 km stored
    assert "running this week (miles): 10 " in text  # the session, 16.1 km stored
    assert "Run 3.1 miles easy" in text  # typed as "Run 5 km easy"
    assert "You ran about 20 miles a week" in text  # the plan's note, as the plan page says it
    assert not KM_WORD.search(text), text


def test_a_km_clinics_history_says_km(alice_client, patient, lumbar):
    plan = _build(alice_client, lumbar, "32.2")
    _follow_up(alice_client, plan)
    text = _history_text(alice_client, patient)
    assert "Usual weekly running distance: 32.2 km" in text
    assert "current weekly running (km): 32.2 " in text
    assert "running this week (km): 10.0 " in text
    assert "Run 5 km easy" in text and "You ran about 32.2 km a week" in text
    assert "mile" not in text
