"""The runner's page on a 390 px phone, at normal and at 200 % text size (issue 13)."""

import datetime as dt

import pytest
from django.utils import timezone

from rehab.models import SessionLog
from rehab.services import plan_create
from tests.e2e.conftest import csp_violations
from tests.rehab_factories import signed_assessment

pytestmark = pytest.mark.e2e

# Every pain and choice button: the label drawn as the button, and the radio laid over it that
# takes the tap.
BUTTON_SIZES = """
() => [...document.querySelectorAll('.pain-scale .form-check, .choice-buttons .form-check')]
  .flatMap(box => [box.querySelector('label'), box.querySelector('input')])
  .map(el => {
    const r = el.getBoundingClientRect();
    return [el.id || el.htmlFor, r.width, r.height];
  })
"""


@pytest.fixture
def link_path(patient, alice):
    plan = plan_create(
        assessment=signed_assessment(patient=patient, clinician=alice), clinician=alice
    )
    plan.starts_on = timezone.localdate() - dt.timedelta(days=7)
    plan.save(update_fields=["starts_on"])
    return f"/p/{plan.patient_link.token}/"


@pytest.mark.parametrize("text_size", ["100%", "200%"])
def test_runner_logs_a_session_on_a_phone_with_large_buttons(page, link_path, text_size):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(link_path)
    # The reader's text size: the root font size, as a browser setting changes it.
    page.evaluate(f"document.documentElement.style.fontSize = '{text_size}'")

    sizes = page.evaluate(BUTTON_SIZES)
    assert len(sizes) >= 2 * (11 + 12 + 3 + 3 + 2)
    small = [(name, w, h) for name, w, h in sizes if w < 44 or h < 44]
    assert small == [], small
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

    first = page.locator("details.plan-item").first
    assert not first.locator("ol").is_visible()
    first.locator("summary").click()
    assert first.locator("ol li").first.is_visible()

    page.locator("#id_exercise_pain_2").click()  # a tap anywhere on the button
    page.locator("#id_completed_1").click()  # No
    assert page.locator("#id_exercise_pain_2").is_checked()
    with page.expect_navigation():
        page.locator("input[type=submit][value='Send to my physio']").click()
    assert "your physio will see this session" in page.content()
    log = SessionLog.objects.get()
    assert (log.exercise_pain, log.completed, log.running_pain) == (2, False, None)
    assert csp_violations(page) == []
