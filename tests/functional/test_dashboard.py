"""The dashboard surfaces who needs attention: worsening alerts, due follow-ups, recent patients."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.services import assessment_sign
from clinic.models import Membership
from rehab.services import plan_create, session_log_create
from tests.factories import NOT_SCREENED, AssessmentFactory, PatientFactory
from tests.rehab_factories import PHT_FINDINGS, plan_for

TODAY = timezone.localdate()


@pytest.fixture
def plan(patient, alice):
    assessment = AssessmentFactory(
        patient=patient, clinician=alice, assessed_on=TODAY, **PHT_FINDINGS
    )
    assessment_sign(red_flag_screen_reason=NOT_SCREENED, assessment=assessment, clinician=alice)
    return plan_create(assessment=assessment, clinician=alice)


def _patient_log(plan, days_ago, **fields):
    values = {"exercise_pain": 2, "next_morning": "same", **fields}
    return session_log_create(plan=plan, session_date=TODAY - dt.timedelta(days=days_ago), **values)


def _alerts(client):
    return client.get(reverse("dashboard")).context["plans"].alerts


def test_next_morning_worse_twice_raises_an_alert_until_the_clinician_acts(
    alice_client, alice, plan
):
    _patient_log(plan, 2, next_morning="worse")
    assert _alerts(alice_client) == []
    _patient_log(plan, 1, next_morning="worse")
    page = alice_client.get(reverse("dashboard")).content.decode()
    assert "next morning worse 2 times" in page
    session_log_create(
        plan=plan, recorded_by=alice, session_date=TODAY, exercise_pain=2, next_morning="same"
    )
    assert _alerts(alice_client) == []


def test_pain_travelling_down_the_leg_raises_an_alert_at_once(alice_client, plan):
    _patient_log(plan, 0, pain_travelled_down_leg=True)
    page = alice_client.get(reverse("dashboard")).content.decode()
    assert 'id="worsening-alerts"' in page
    assert "pain travelled down the leg" in page


def test_another_clinics_alerts_are_not_shown(client, charlie, plan):
    _patient_log(plan, 0, pain_travelled_down_leg=True)
    client.force_login(charlie)
    assert _alerts(client) == []


def test_plan_without_a_session_for_a_week_is_due_for_follow_up(alice_client, plan):
    plan.starts_on = TODAY - dt.timedelta(days=8)
    plan.save()
    assert alice_client.get(reverse("dashboard")).context["plans"].due == [plan]
    _patient_log(plan, 1)
    assert alice_client.get(reverse("dashboard")).context["plans"].due == []


def test_seen_recently_lists_the_clinicians_own_patients(client, alice, bob, plan, patient):
    client.force_login(alice)
    assert client.get(reverse("dashboard")).context["seen_recently"] == [patient]
    client.force_login(bob)
    assert client.get(reverse("dashboard")).context["seen_recently"] == []


def test_seen_recently_forgets_a_clinic_the_clinician_has_left(client, alice, other_clinic, plan):
    """Its SQL is compiled once; the clinician's id goes into the membership filter too."""
    client.force_login(alice)
    assert client.get(reverse("dashboard")).context["seen_recently"] == [plan.patient]
    Membership.objects.filter(user=alice).update(clinic=other_clinic)
    assert client.get(reverse("dashboard")).context["seen_recently"] == []


def test_seen_recently_lists_the_last_seen_first_assessed_or_followed_up_by_the_clinician(
    alice_client, alice, bob, clinic
):
    def ago(days):
        return TODAY - dt.timedelta(days=days)

    followed_up, assessed, earlier = PatientFactory.create_batch(3, clinic=clinic)
    session_log_create(
        plan=plan_for(patient=followed_up, clinician=alice, assessed_on=ago(10)),
        recorded_by=alice,
        session_date=ago(2),
        exercise_pain=2,
        next_morning="same",
    )
    AssessmentFactory(patient=assessed, clinician=alice, assessed_on=ago(2))
    AssessmentFactory(patient=earlier, clinician=alice, assessed_on=ago(5))
    AssessmentFactory(patient=PatientFactory(clinic=clinic), clinician=alice, assessed_on=ago(31))
    AssessmentFactory(patient=PatientFactory(clinic=clinic), clinician=bob, assessed_on=ago(1))
    seen = alice_client.get(reverse("dashboard")).context["seen_recently"]
    # On the same day, whoever was assessed last comes first.
    assert [(patient, patient.full_name, patient.last_seen) for patient in seen] == [
        (assessed, assessed.full_name, ago(2)),
        (followed_up, followed_up.full_name, ago(2)),
        (earlier, earlier.full_name, ago(5)),
    ]


def test_patient_timeline_shows_everything_newest_first_in_bounded_queries(
    alice_client, alice, plan, patient, django_assert_max_num_queries
):
    _patient_log(plan, 3, pain_travelled_down_leg=True)
    url = reverse("patient_detail", args=[patient.pk])
    with django_assert_max_num_queries(16) as first:
        page = alice_client.get(url).content.decode()
    assert page.index('data-kind="assessment"') < page.index('data-kind="session"')
    assert "pain travelled down the leg" in page
    for days in range(10):
        _patient_log(plan, days)
    with django_assert_max_num_queries(len(first.captured_queries)):
        alice_client.get(url)
