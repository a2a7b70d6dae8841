"""The PDF issued by the task worker, in a real browser (issue 16): the PT presses Issue, sees
"preparing the PDF…", and the page updates itself (htmx polling) once the worker has issued it.

The other browser tests run their tasks in the live server's request (the suite's immediate
backend); here tasks wait in the database and this test runs the worker, ``db_worker --batch``,
while the page polls.
"""

import pytest
from django.core.management import call_command

from rehab.models import IssuedDocument, IssueRequest
from tests.e2e.conftest import CLINICIAN_PASSWORD, csp_violations
from tests.factories import PatientFactory
from tests.rehab_factories import plan_for

pytestmark = [pytest.mark.e2e, pytest.mark.pdf]


def test_the_plan_page_says_preparing_then_updates_itself_when_the_pdf_is_issued(
    page, login, clinician, settings
):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    patient = PatientFactory(
        clinic=clinician.memberships.get().clinic, first_name="Nia", last_name="Okafor"
    )
    plan = plan_for(patient=patient, clinician=clinician)
    login(page, clinician.username, CLINICIAN_PASSWORD)
    page.goto(plan.get_absolute_url())
    with page.expect_navigation():
        page.click("#issue-heading ~ form button[type=submit]")

    status = page.locator("#issue-status")
    assert "Preparing the PDF…" in status.inner_text()
    assert status.locator("a", has_text="Refresh").get_attribute("href") == (
        plan.get_absolute_url()
    )
    assert not IssuedDocument.objects.exists()
    # The block asks the server again by itself, and stays while nothing is ready.
    with page.expect_response(lambda response: "/issue/status/" in response.url) as polled:
        pass
    assert polled.value.status == 200
    assert "Preparing the PDF…" in page.locator("#issue-status").inner_text()

    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")
    assert IssueRequest.objects.get().status == IssueRequest.Status.DONE

    # No click, no navigation by the test: the next poll reloads the page with version 1.
    page.locator("#documents a", has_text="Version 1").wait_for()
    assert page.locator("#issue-status").count() == 0
    assert "Version 1 issued." in page.locator("body").inner_text()
    assert csp_violations(page) == []
    assert page.console_errors == []
