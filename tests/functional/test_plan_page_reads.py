"""What the plan page reads less of (issue 16): its latest PDF request only when it shows it,
the choices to start a phase from only when there are some, and a blank session form kept
between requests that holds nothing of anyone's."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from clinic import form_rendering
from rehab.models import IssueRequest, PlanTemplate
from tests.factories import PatientFactory
from tests.rehab_factories import plan_for


@pytest.fixture
def plan(patient, alice):
    return plan_for(patient=patient, clinician=alice)


def _page(client, plan) -> str:
    return client.get(reverse("plan_detail", args=[plan.pk])).content.decode()


def _request(plan, alice, status, reason=""):
    return IssueRequest.objects.create(
        plan=plan, requested_by=alice, status=status, reason=reason, attempts=1
    )


def test_a_request_in_the_works_is_shown_and_polled(alice_client, plan, alice):
    _request(plan, alice, IssueRequest.Status.RUNNING)
    page = _page(alice_client, plan)
    assert 'id="issue-status"' in page and "Preparing the PDF" in page and "data-hx-get" in page


def test_a_failed_request_is_shown_with_its_reason(alice_client, plan, alice):
    _request(plan, alice, IssueRequest.Status.FAILED, reason="The PDF could not be made.")
    page = _page(alice_client, plan)
    assert escape("The PDF could not be made.") in page and "data-hx-get" not in page


def test_an_earlier_failure_is_not_shown_once_a_later_request_issued(alice_client, plan, alice):
    _request(plan, alice, IssueRequest.Status.FAILED, reason="The PDF could not be made.")
    _request(plan, alice, IssueRequest.Status.DONE)
    page = _page(alice_client, plan)
    assert 'id="issue-status"' not in page and "could not be made" not in page


def test_the_kept_session_form_holds_no_csrf_token_or_one_time_key(alice_client, plan):
    page = _page(alice_client, plan)
    assert 'name="session_date"' in page
    kept = " ".join(form_rendering._rendered.values())
    assert "csrfmiddlewaretoken" not in kept and "submission_key" not in kept
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
    assert tokens and not any(token in kept for token in tokens)


def test_with_nothing_to_start_from_the_choice_is_not_offered(alice_client, plan, alice):
    plan_for(patient=PatientFactory(clinic=plan.patient.clinic), clinician=alice)  # another's
    assert 'id="start-from"' not in _page(alice_client, plan)


def test_an_earlier_plan_of_the_runner_is_offered_to_start_from(alice_client, plan, alice):
    earlier = plan_for(patient=plan.patient, clinician=alice)
    page = _page(alice_client, plan)
    assert 'id="start-from"' in page and f'value="plan-{earlier.pk}"' in page


def test_a_clinic_template_is_offered_to_start_from(alice_client, plan, alice):
    template = PlanTemplate.objects.create(
        clinic=plan.patient.clinic,
        name="Desk worker",
        diagnosis=plan.diagnosis,
        phase=1,
        items=[],
        created_by=alice,
    )
    page = _page(alice_client, plan)
    assert 'id="start-from"' in page and f'value="template-{template.pk}"' in page


def test_the_sql_compiled_once_reads_each_request_its_own_plan_and_user(
    client, plan, alice, charlie
):
    """The plan page's SQL is kept between requests (``clinic.compiled``); the ids are
    not: another patient's plan shows that patient, and another clinic's user gets a 404."""
    other = plan_for(
        patient=PatientFactory(clinic=plan.patient.clinic, last_name="Otherly"), clinician=alice
    )
    client.force_login(alice)
    assert "Runner" in _page(client, plan) and "Otherly" not in _page(client, plan)
    assert "Otherly" in _page(client, other)
    client.force_login(charlie)
    assert client.get(reverse("plan_detail", args=[plan.pk])).status_code == 404
