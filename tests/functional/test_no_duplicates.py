"""A double click, or Back and resend, never makes a second patient, assessment or plan.

Each create form carries a one-time key (``clinic.submissions``); the tests read the key off
the page the PT was shown, post it twice, and count rows.
"""

import datetime as dt
import re
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import get_history_model_for_model

from assessments.models import Assessment
from assessments.services import assessment_sign
from clinic.models import FormSubmission, Patient
from rehab.models import Plan
from tests.factories import NOT_SCREENED, AssessmentFactory
from tests.rehab_factories import PHT_FINDINGS

NEW_PATIENT = {
    "first_name": "Ines",
    "last_name": "Okafor",
    "date_of_birth": "1990-02-14",
    "sex": "female",
    "record_number": "RR-9001",
}


def _key_on(page: str) -> str:
    found = re.search(r'name="submission_key" value="([0-9a-f-]{36})"', page)
    assert found, "the form carries no submission key"
    return found.group(1)


@pytest.fixture
def signed_assessment(patient, alice):
    assessment = AssessmentFactory(patient=patient, clinician=alice, **PHT_FINDINGS)
    return assessment_sign(
        red_flag_screen_reason=NOT_SCREENED, assessment=assessment, clinician=alice
    )


def test_building_a_plan_twice_with_one_form_makes_one_plan(alice_client, signed_assessment):
    page = alice_client.get(signed_assessment.get_absolute_url()).content.decode()
    key = _key_on(page)
    url = reverse("plan_create", args=[signed_assessment.pk])
    first = alice_client.post(url, {"submission_key": key})
    second = alice_client.post(url, {"submission_key": key})
    plan = Plan.objects.get()
    assert first.url == second.url == plan.get_absolute_url()
    followed = alice_client.get(second.url)
    assert "already sent" in followed.content.decode()


def test_a_new_form_builds_another_plan_on_purpose(alice_client, signed_assessment):
    url = reverse("plan_create", args=[signed_assessment.pk])
    for _ in range(2):
        key = _key_on(alice_client.get(signed_assessment.get_absolute_url()).content.decode())
        alice_client.post(url, {"submission_key": key})
    assert Plan.objects.count() == 2


def test_resending_a_new_assessment_form_makes_one_draft(alice_client, patient):
    page = alice_client.get(reverse("assessment_create", args=[patient.pk])).content.decode()
    data = {"assessed_on": "2026-03-02", "side": "left", "onset": "gradual"}
    data["submission_key"] = _key_on(page)
    url = reverse("assessment_create", args=[patient.pk])
    first = alice_client.post(url, data)
    second = alice_client.post(url, {**data, "onset": "sudden_sprint"})
    draft = Assessment.objects.get()
    assert first.url == second.url == draft.get_absolute_url()
    assert draft.onset == "gradual"


def test_a_form_with_errors_frees_its_key_for_the_corrected_post(alice_client, patient):
    page = alice_client.get(reverse("assessment_create", args=[patient.pk])).content.decode()
    key = _key_on(page)
    url = reverse("assessment_create", args=[patient.pk])
    visit = {"assessed_on": "2026-03-02", "side": "left", "submission_key": key}
    bad = alice_client.post(url, {**visit, "age": "400"})
    assert bad.status_code == 200 and "age" in bad.context["form"].errors
    assert f'value="{key}"' in bad.content.decode()  # the same form, kept as typed
    assert not FormSubmission.objects.exists()
    good = alice_client.post(url, {**visit, "age": "40"})
    assert good.status_code == 302
    assert Assessment.objects.get().age == 40
    assert FormSubmission.objects.get(key=key).result_url == good.url


def test_resending_a_new_patient_form_makes_one_patient(alice_client):
    page = alice_client.get(reverse("patient_create")).content.decode()
    data = {**NEW_PATIENT, "submission_key": _key_on(page)}
    first = alice_client.post(reverse("patient_create"), data)
    second = alice_client.post(reverse("patient_create"), data)
    assert (
        first.url == second.url == Patient.objects.get(record_number="RR-9001").get_absolute_url()
    )


def test_another_users_key_is_refused_not_followed(alice_client, bob, signed_assessment):
    key = _key_on(alice_client.get(signed_assessment.get_absolute_url()).content.decode())
    alice_client.post(reverse("plan_create", args=[signed_assessment.pk]), {"submission_key": key})
    bob_client = Client()
    bob_client.force_login(bob)
    response = bob_client.post(
        reverse("plan_create", args=[signed_assessment.pk]), {"submission_key": key}
    )
    assert response.status_code == 400
    assert Plan.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_make_one_plan(alice, signed_assessment):
    key = str(uuid.uuid4())
    url = reverse("plan_create", args=[signed_assessment.pk])
    answers = []

    def click():
        browser = Client()
        browser.force_login(alice)
        answers.append(browser.post(url, {"submission_key": key}))
        connection.close()

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    assert Plan.objects.count() == 1
    assert {answer.url for answer in answers} == {Plan.objects.get().get_absolute_url()}


# A draft can be discarded; a signed assessment never.


def test_a_draft_is_discarded_and_its_history_kept(alice_client, assessment, alice):
    response = alice_client.post(reverse("assessment_discard", args=[assessment.pk]))
    assert response.url == assessment.patient.get_absolute_url()
    assert not Assessment.objects.filter(pk=assessment.pk).exists()
    deleted = get_history_model_for_model(Assessment).objects.get(
        id=assessment.pk, history_type="-"
    )
    assert deleted.history_user == alice


def test_the_draft_page_offers_discard_and_a_signed_one_does_not(
    alice_client, assessment, signed_assessment
):
    draft_page = alice_client.get(assessment.get_absolute_url()).content.decode()
    signed_page = alice_client.get(signed_assessment.get_absolute_url()).content.decode()
    assert reverse("assessment_discard", args=[assessment.pk]) in draft_page
    assert "assessment_discard" not in signed_page and "Discard draft" not in signed_page


def test_a_signed_assessment_is_not_discarded(alice_client, signed_assessment):
    response = alice_client.post(reverse("assessment_discard", args=[signed_assessment.pk]))
    assert response.url == signed_assessment.get_absolute_url()
    assert Assessment.objects.filter(pk=signed_assessment.pk).exists()
    assert "cannot be discarded" in alice_client.get(response.url).content.decode()


def test_discarding_needs_a_post_and_the_same_clinic(client, charlie, assessment):
    client.force_login(charlie)
    assert client.post(reverse("assessment_discard", args=[assessment.pk])).status_code == 404
    assert client.get(reverse("assessment_discard", args=[assessment.pk])).status_code == 405
    assert Assessment.objects.filter(pk=assessment.pk).exists()


# The same name and date of birth in the same clinic: "same person?" first.


def test_a_namesake_born_the_same_day_is_asked_about_first(alice_client, patient):
    data = {
        **NEW_PATIENT,
        "first_name": patient.first_name.upper(),
        "last_name": patient.last_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
    }
    asked = alice_client.post(reverse("patient_create"), data)
    assert asked.status_code == 200
    assert list(asked.context["form"].errors) == ["different_person"]
    page = asked.content.decode()
    assert "Is this the same person?" in page and 'value="RR-9001"' in page
    assert Patient.objects.count() == 1
    confirmed = alice_client.post(reverse("patient_create"), {**data, "different_person": "on"})
    assert confirmed.status_code == 302
    assert Patient.objects.count() == 2


def test_a_namesake_with_another_birthday_or_clinic_is_not_questioned(
    client, alice_client, charlie, patient
):
    same_name = {**NEW_PATIENT, "first_name": patient.first_name, "last_name": patient.last_name}
    other_day = alice_client.post(
        reverse("patient_create"), {**same_name, "date_of_birth": "1950-01-01"}
    )
    assert other_day.status_code == 302
    client.force_login(charlie)
    other_clinic = client.post(
        reverse("patient_create"),
        {**same_name, "date_of_birth": patient.date_of_birth.isoformat()},
    )
    assert other_clinic.status_code == 302


BACK_AND_SAVE = {
    "assessed_on": "2026-03-02",
    "side": "left",
    "onset": "gradual",
    "pain_locations": ["sit_bone", "deep_buttock"],
    "weekly_distance_km": "42.5",
    "aggravated_by_sitting": "True",
    "note_subjective": "Sitting at work niggles.",
}


def _save_new_assessment(client, patient, answers):
    """Open the form afresh (what Back does: pages are never cached) and save it."""
    url = reverse("assessment_create", args=[patient.pk])
    key = _key_on(client.get(url).content.decode())
    return client.post(url, {**answers, "submission_key": key})


def test_back_then_save_again_with_a_new_form_makes_one_draft(alice_client, patient):
    first = _save_new_assessment(alice_client, patient, BACK_AND_SAVE)
    second = _save_new_assessment(alice_client, patient, BACK_AND_SAVE)
    draft = Assessment.objects.get()
    assert first.url == second.url == draft.get_absolute_url()
    page = alice_client.get(second.url).content.decode()
    assert "already saved as this draft" in page


def test_other_answers_or_a_later_hour_make_a_second_assessment(alice_client, patient):
    _save_new_assessment(alice_client, patient, BACK_AND_SAVE)
    _save_new_assessment(alice_client, patient, {**BACK_AND_SAVE, "onset": "sudden_sprint"})
    assert Assessment.objects.count() == 2
    for draft in Assessment.objects.all():  # saved 31 minutes ago
        draft.created_at = timezone.now() - dt.timedelta(minutes=31)
        draft.save()
    _save_new_assessment(alice_client, patient, BACK_AND_SAVE)
    assert Assessment.objects.count() == 3


def test_another_pt_saving_the_same_answers_makes_their_own_draft(alice_client, patient, bob):
    _save_new_assessment(alice_client, patient, BACK_AND_SAVE)
    bob_client = Client()
    bob_client.force_login(bob)
    _save_new_assessment(bob_client, patient, BACK_AND_SAVE)
    assert Assessment.objects.count() == 2
