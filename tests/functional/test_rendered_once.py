"""What the pages keep between requests (issue 16): fields rendered once per state, charts drawn
once per data. Nothing kept may show a PT stale data or keep a patient's words."""

import datetime as dt
import re

import pytest
from crispy_forms.utils import render_crispy_form
from django.urls import reverse
from django.utils import timezone

from assessments.forms import AssessmentForm
from clinic import form_rendering
from rehab.forms import SessionLogForm
from tests.rehab_factories import plan_for


@pytest.fixture
def plan(patient, alice):
    return plan_for(
        patient=patient, clinician=alice, starts_on=timezone.localdate() - dt.timedelta(days=7)
    )


def _page(client, plan) -> str:
    return client.get(reverse("plan_detail", args=[plan.pk])).content.decode()


def test_a_session_logged_after_the_plan_page_was_drawn_is_on_it_with_its_chart(alice_client, plan):
    before = _page(alice_client, plan)
    assert "No sessions logged yet." in before
    alice_client.post(
        reverse("session_log_create", args=[plan.pk]),
        {
            "session_date": timezone.localdate().isoformat(),
            "exercise_pain": "6",
            "next_morning": "worse",
            "completed": "True",
            "notes": "Sore on the stairs.",
        },
    )
    after = _page(alice_client, plan)
    assert "Sore on the stairs." in after and "6/10" in after
    assert "Exercise pain (sessions): 6/10" in after  # the pain chart's text version


def test_a_prescription_edit_is_on_the_plan_page_at_once(alice_client, plan):
    bridge = plan.prescriptions.get(ladder="bridge")
    _page(alice_client, plan)
    alice_client.post(
        reverse("prescription_edit", args=[bridge.pk]),
        {"step_code": bridge.step_code, "sets": "4", "reps": "7", "note": "Slow on the way down."},
    )
    after = _page(alice_client, plan)
    bridge.refresh_from_db()
    assert bridge.sets == 4 and bridge.dose.summary() in after
    assert "Slow on the way down." in after


def test_the_session_form_shows_todays_date_and_a_posted_error_afresh(alice_client, plan):
    _page(alice_client, plan)  # rendered once: kept
    today = timezone.localdate().isoformat()
    assert f'value="{today}"' in _page(alice_client, plan)
    response = alice_client.post(
        reverse("session_log_create", args=[plan.pk]),
        {"session_date": today, "exercise_pain": "11", "completed": "True"},
    )
    assert response.status_code == 400
    assert "Select a valid choice. 11 is not one of the available choices." in (
        response.content.decode()
    )


def test_a_field_showing_free_text_or_a_one_time_key_is_never_kept(plan, alice_client):
    form = SessionLogForm(
        data={"notes": "My knee hurts after the 5 km run.", "exercise_pain": "3"}, plan=plan
    )
    form.errors  # noqa: B018 - validate, so notes has no error but others may
    bound = form["notes"]
    assert not bound.errors
    form_rendering.as_crispy_field_once(bound)
    page = _page(alice_client, plan)
    kept = " ".join(repr(key) + html for key, html in form_rendering._rendered.items())
    assert "My knee hurts" not in kept
    keys = re.findall(r'name="submission_key" value="([^"]+)"', page)
    assert keys and not any(key in kept for key in keys)


def test_the_assessment_and_session_forms_have_no_widget_media_to_include(plan):
    """Their helpers leave crispy's media include out: nothing may be lost by that."""
    for form in (AssessmentForm(), SessionLogForm(plan=plan)):
        assert not form.helper.include_media
        assert str(form.media) == ""


def test_a_form_drawn_again_with_other_helper_settings_shows_them(assessment):
    """The helper's settings are read once per render, not once per form."""
    form = AssessmentForm(instance=assessment)
    with_labels = render_crispy_form(form)
    form.helper.form_show_labels = False
    without = render_crispy_form(form)
    label = 'for="id_assessed_on" class="form-label'
    assert label in with_labels and label not in without
    form.helper.form_show_labels = True
    assert render_crispy_form(form) == with_labels
