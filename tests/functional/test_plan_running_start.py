"""The build-plan form asks the runner's current weekly running; the running ladder starts from
it (issue 11). Bad input names the field and builds nothing; one form still builds one plan."""

import re

import pytest
from django.urls import reverse

from rehab import engine
from rehab.models import Plan
from tests.rehab_factories import signed_assessment


def _key_on(page: str) -> str:
    found = re.search(r'name="submission_key" value="([0-9a-f-]{36})"', page)
    assert found, "the build-plan form carries no submission key"
    return found.group(1)


@pytest.fixture
def lumbar(patient, alice):
    return signed_assessment(
        patient=patient,
        clinician=alice,
        working_diagnosis="lumbar_referred_pain",
        reason="Back-related leg pain.",
    )


def _running(plan):
    return plan.prescriptions.get(ladder="running")


def test_the_assessment_page_shows_the_weekly_km_field_in_the_build_form(alice_client, lumbar):
    page = alice_client.get(reverse("assessment_detail", args=[lumbar.pk])).content.decode()
    form = page[page.index('id="plan-create"') :]
    form = form[: form.index("</form>")]
    assert 'name="weekly_distance"' in form and "Current weekly running (km)" in form
    assert 'name="not_running"' in form and "Not running now" in form
    assert 'name="submission_key"' in form


def test_posting_the_km_starts_running_from_it_and_stores_it(alice_client, lumbar):
    page = alice_client.get(reverse("assessment_detail", args=[lumbar.pk])).content.decode()
    url = reverse("plan_create", args=[lumbar.pk])
    response = alice_client.post(url, {"weekly_distance": "32.5", "submission_key": _key_on(page)})
    plan = Plan.objects.get()
    assert response.url == plan.get_absolute_url()
    assert str(plan.weekly_km) == "32.5"
    expected = engine.build_plan(diagnosis="lumbar_referred_pain", weekly_km=32.5).running.step
    assert expected.code != engine.protocol("lumbar_referred_pain").phases[0].running.code
    running = _running(plan)
    assert running.step_code == expected.code
    assert running.note.startswith("You ran about 32.5 km a week; start with ")
    assert plan.history.first().weekly_km == plan.weekly_km
    page = alice_client.get(plan.get_absolute_url()).content.decode()
    assert "about 32.5 km a week" in page


def test_not_running_starts_at_the_protocols_first_step(alice_client, lumbar):
    alice_client.post(reverse("plan_create", args=[lumbar.pk]), {"not_running": "on"})
    plan = Plan.objects.get()
    assert plan.weekly_km == 0
    first = engine.protocol("lumbar_referred_pain").phases[0].running
    assert _running(plan).step_code == first.code
    assert _running(plan).note.startswith("You are not running now")
    assert "not running" in alice_client.get(plan.get_absolute_url()).content.decode()


def test_left_empty_the_plan_starts_conservatively_and_says_not_asked(alice_client, lumbar):
    alice_client.post(reverse("plan_create", args=[lumbar.pk]), {"weekly_distance": ""})
    plan = Plan.objects.get()
    assert plan.weekly_km is None
    first = engine.protocol("lumbar_referred_pain").phases[0].running
    assert _running(plan).step_code == first.code
    assert "not asked" in alice_client.get(plan.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"weekly_distance": "301"}, "less than or equal to 300"),
        ({"weekly_distance": "-2"}, "greater than or equal to 0"),
        ({"weekly_distance": "lots"}, "Enter a number"),
        ({"weekly_distance": "20", "not_running": "on"}, "when not running now"),
    ],
)
def test_bad_km_names_the_field_on_the_assessment_page_and_builds_nothing(
    alice_client, lumbar, data, error
):
    page = alice_client.get(reverse("assessment_detail", args=[lumbar.pk])).content.decode()
    key = _key_on(page)
    url = reverse("plan_create", args=[lumbar.pk])
    response = alice_client.post(url, {**data, "submission_key": key}, follow=True)
    assert not Plan.objects.exists()
    assert response.redirect_chain[-1][0] == lumbar.get_absolute_url()
    text = response.content.decode()
    assert "Current weekly running (km):" in text and error in text
    # The key is free again: the corrected form builds the plan, once.
    alice_client.post(url, {"weekly_distance": "12", "submission_key": key})
    alice_client.post(url, {"weekly_distance": "12", "submission_key": key})
    assert Plan.objects.count() == 1
