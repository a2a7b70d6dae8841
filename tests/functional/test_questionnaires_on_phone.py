"""Questionnaires on the phone (issue 13, item 6): the PT asks from the plan page, the runner
answers item by item on their link, the answers are scored by ``rehab.outcomes`` and stored
patient-reported, and the change with its minimal-important-change verdict reaches the PT's
timeline and the charts."""

import datetime as dt
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from rehab import outcomes, services
from rehab.chart_data import plan_chart_data
from rehab.charts import plan_charts
from rehab.models import OutcomeMeasurement, PatientLinkAccess, QuestionnaireRequest
from rehab.services import (
    outcome_measurement_record,
    plan_create,
    plan_end,
    questionnaire_request_create,
)
from tests.factories import PatientFactory
from tests.rehab_factories import plan_for, signed_assessment

TODAY = timezone.localdate()
STARTED = TODAY - dt.timedelta(days=10)


@pytest.fixture
def plan(patient, alice):
    return plan_for(patient=patient, clinician=alice, starts_on=STARTED)


@pytest.fixture
def token(plan):
    return plan.patient_link.token


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _ask(plan, alice, measure="lefs") -> QuestionnaireRequest:
    return questionnaire_request_create(plan=plan, measure=measure, requested_by=alice)


def _answer_url(token, asked):
    return reverse("patient_questionnaire", args=[token, asked.pk])


def _lefs(points: int, *, leave_out=()) -> dict:
    return {f"lefs_{n:02d}": str(points) for n in range(1, 21) if n not in leave_out}


# --- The PT asks ------------------------------------------------------------------------


def test_the_pt_asks_for_a_lefs_from_the_plan_page_and_sees_it_waiting(alice_client, plan, alice):
    page = _page(alice_client.get(reverse("plan_detail", args=[plan.pk])))
    assert "Questionnaires on the phone" in page
    assert 'value="lefs"' in page and 'value="visa_h"' not in page  # VISA-H is not sent
    assert "VISA-H: enter it from the paper form" in page

    response = alice_client.post(
        reverse("questionnaire_request", args=[plan.pk]), {"measure": "lefs"}
    )

    assert response.status_code == 302
    asked = QuestionnaireRequest.objects.get()
    assert (asked.plan, asked.measure, asked.requested_by, asked.answered_at) == (
        plan,
        "lefs",
        alice,
        None,
    )
    assert asked.history.count() == 1  # attributable
    assert asked.history.first().history_user == alice
    page = _page(alice_client.get(reverse("plan_detail", args=[plan.pk])))
    assert "Lower Extremity Functional Scale: asked" in page and "waiting" in page


@pytest.mark.parametrize(
    ("measure", "message"),
    [
        ("visa_h", "Select a valid choice"),  # wording not verified: not offered
        ("koos", "Select a valid choice"),
        ("", "This field is required"),
    ],
)
def test_a_measure_that_cannot_go_to_the_phone_is_refused_on_the_field(
    alice_client, plan, measure, message
):
    response = alice_client.post(
        reverse("questionnaire_request", args=[plan.pk]), {"measure": measure}
    )
    assert response.status_code == 400
    assert message in response.context["questionnaire_form"].errors["measure"][0]
    assert not QuestionnaireRequest.objects.exists()


def test_a_second_open_request_for_the_same_measure_is_refused(alice_client, plan, alice):
    _ask(plan, alice)
    response = alice_client.post(
        reverse("questionnaire_request", args=[plan.pk]), {"measure": "lefs"}
    )
    assert response.status_code == 400
    assert "already waits" in response.context["questionnaire_form"].errors["measure"][0]
    assert QuestionnaireRequest.objects.count() == 1


def test_the_service_refuses_visa_h_and_an_ended_plan(plan, alice):
    with pytest.raises(services.ValidationError) as refused:
        _ask(plan, alice, "visa_h")
    assert "measure" in refused.value.message_dict
    plan_end(plan=plan)
    with pytest.raises(services.ValidationError):
        _ask(plan, alice, "pain_rest")


def test_another_clinics_plan_is_a_404_and_nothing_is_asked(client, charlie, plan):
    client.force_login(charlie)
    response = client.post(reverse("questionnaire_request", args=[plan.pk]), {"measure": "lefs"})
    assert response.status_code == 404
    assert not QuestionnaireRequest.objects.exists()


# --- The runner answers -----------------------------------------------------------------


def test_the_runner_sees_the_request_and_answers_it_item_by_item(client, plan, alice, token):
    asked = _ask(plan, alice)
    page = _page(client.get(reverse("patient_plan_page", args=[token])))
    assert "Questions from your physio" in page
    assert _answer_url(token, asked) in page

    form = _page(client.get(_answer_url(token, asked)))
    assert form.count("<fieldset") == 20 and form.count("<legend") == 20
    assert form.count('type="radio"') == 20 * 5
    assert "1. Any of your usual work, housework, or school activities." in form
    assert 'class="mb-4 choice-buttons"' in form

    response = client.post(_answer_url(token, asked), _lefs(3))

    assert response.status_code == 302
    assert response.url == reverse("patient_plan_page", args=[token])
    measurement = OutcomeMeasurement.objects.get()
    assert measurement.patient_reported is True
    assert measurement.recorded_by is None
    assert (measurement.total, measurement.measured_on, measurement.plan) == (60, TODAY, plan)
    assert measurement.measures_version == outcomes.measures_version()
    asked.refresh_from_db()
    assert asked.measurement == measurement and asked.answered_at is not None
    assert plan.patient_link.accesses.filter(what=PatientLinkAccess.What.FORM).count() == 1
    page = _page(client.get(reverse("patient_plan_page", args=[token])))
    assert "Questions from your physio" not in page  # answered: gone from the runner's page


def test_pain_items_are_a_0_to_10_row_of_large_buttons(client, plan, alice, token):
    asked = _ask(plan, alice, "pain_running")
    form = _page(client.get(_answer_url(token, asked)))
    assert 'class="mb-4 pain-scale"' in form
    assert form.count('type="radio"') == 11
    assert "checked" not in form  # nothing pre-chosen

    assert client.post(_answer_url(token, asked), {"pain": "4"}).status_code == 302
    assert OutcomeMeasurement.objects.get().total == 4


def test_a_missing_item_is_named_the_other_answers_kept_and_nothing_saved(
    client, plan, alice, token
):
    asked = _ask(plan, alice)
    response = client.post(_answer_url(token, asked), _lefs(2, leave_out=(7,)))

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"lefs_07"}
    page = _page(response)
    assert (
        "Lifting an object, like a bag of groceries from the floor.</a>: This question is required."
        in page
    )
    assert 'id="id_lefs_07_error"' in page
    assert 'value="2" checked' in page  # the answers given are still chosen
    assert page.count("checked") == 19
    assert not OutcomeMeasurement.objects.exists()
    asked.refresh_from_db()
    assert asked.answered_at is None


def test_an_out_of_range_answer_is_refused_on_its_item(client, plan, alice, token):
    asked = _ask(plan, alice, "pain_rest")
    response = client.post(_answer_url(token, asked), {"pain": "11"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"pain"}
    assert not OutcomeMeasurement.objects.exists()


def test_an_answered_request_cannot_be_answered_again(client, plan, alice, token):
    asked = _ask(plan, alice, "pain_rest")
    client.post(_answer_url(token, asked), {"pain": "3"})
    response = client.post(_answer_url(token, asked), {"pain": "9"})
    assert response.status_code == 302
    assert list(OutcomeMeasurement.objects.values_list("total", flat=True)) == [3]


def test_another_plans_request_is_a_404_on_this_link(client, plan, alice, token, clinic):
    other_patient = PatientFactory(clinic=clinic)
    other = plan_create(
        assessment=signed_assessment(patient=other_patient, clinician=alice), clinician=alice
    )
    theirs = _ask(other, alice, "pain_rest")
    assert client.get(_answer_url(token, theirs)).status_code == 404
    assert client.post(_answer_url(token, theirs), {"pain": "1"}).status_code == 404
    assert not OutcomeMeasurement.objects.exists()


def test_a_plan_that_starts_after_today_refuses_the_answer(client, plan, alice, token):
    asked = _ask(plan, alice, "pain_rest")
    plan.starts_on = TODAY + dt.timedelta(days=3)
    plan.save(update_fields=["starts_on"])
    response = client.post(_answer_url(token, asked), {"pain": "2"})
    assert response.status_code == 400
    assert "before the plan started" in response.context["form"].non_field_errors()[0]
    assert not OutcomeMeasurement.objects.exists()


def test_a_revoked_link_shows_the_dead_link_page(client, plan, alice, token):
    asked = _ask(plan, alice, "pain_rest")
    services.patient_link_revoke(link=plan.patient_link, clinician=alice)
    response = client.post(_answer_url(token, asked), {"pain": "2"})
    assert response.status_code == 404
    assert "rehab/patient_link_dead.html" in [t.name for t in response.templates]
    assert not OutcomeMeasurement.objects.exists()


def test_the_hourly_post_limit_applies_and_counts_questionnaires(
    client, plan, alice, token, monkeypatch
):
    monkeypatch.setattr(services, "LINK_POSTS_PER_HOUR", 2)
    first, second, third = (_ask(plan, alice, m) for m in ("pain_rest", "pain_running", "lefs"))
    assert client.post(_answer_url(token, first), {"pain": "2"}).status_code == 302
    assert client.post(_answer_url(token, second), {"pain": "2"}).status_code == 302
    response = client.post(_answer_url(token, third), _lefs(4))
    assert response.status_code == 429
    assert OutcomeMeasurement.objects.count() == 2


# --- The PT sees it ---------------------------------------------------------------------


def test_change_and_mic_of_a_patient_reported_score_are_on_the_timeline_and_chart_data(
    client, alice_client, plan, alice, token, patient
):
    outcome_measurement_record(
        patient=patient,
        measure="lefs",
        measured_on=STARTED,
        responses={k: int(v) for k, v in _lefs(2).items()},
        recorded_by=alice,
        plan=plan,
    )  # 40 in the clinic
    client.post(_answer_url(token, _ask(plan, alice)), _lefs(3))  # 60 on the phone
    outcome_measurement_record(
        patient=patient, measure="pain_rest", measured_on=STARTED, responses={"pain": 3}, plan=plan
    )
    client.post(_answer_url(token, _ask(plan, alice, "pain_rest")), {"pain": "2"})

    page = _page(alice_client.get(reverse("patient_detail", args=[patient.pk])))
    assert "Lower Extremity Functional Scale (patient-reported)" in page
    assert (
        "60 of 80 · +20: Better by 20 points: reaches the minimal important change of 9 points."
        in page
    )
    assert (
        "2 of 10 · -1: Better by 1 point: reaches the minimal important change of 2 points or 30 %."
        in page
    )  # 1 of 3 is 33 %

    data = plan_chart_data(plan=plan)
    assert data.outcomes["lefs"] == [(STARTED, 40), (TODAY, 60)]
    assert data.reported == {"lefs": [(TODAY, 60)]}
    assert data.changes["lefs"].important is True
    assert data.pain["Pain at rest (patient-reported)"] == [(TODAY, 2)]
    assert data.pain["Pain at rest (measured)"] == [(STARTED, 3)]
    lefs_chart = next(chart for chart in plan_charts(data) if chart.key == "lefs")
    assert "LEFS (patient-reported): 60/80 on" in lefs_chart.alt
    assert "reaches the minimal important change of 9 points" in lefs_chart.alt
    assert "LEFS (patient-reported)" in lefs_chart.svg
