"""Every page fits a tablet and a laptop, and every form field has a label a screen reader reads."""

import io

import pytest
from django.core.management import call_command

from records.management.commands.seed_demo import DEMO_PLAN_PATIENT
from rehab.models import Plan

# Every test seeds the demo, which issues the demo plan's PDF.
pytestmark = [pytest.mark.e2e, pytest.mark.pdf]

UNLABELLED_FIELDS = """
() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => !['hidden', 'submit', 'button'].includes(el.type))
  .filter(el => el.labels.length === 0 && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id)
"""


@pytest.fixture
def demo_pages(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())
    plan = Plan.objects.get(patient__record_number=DEMO_PLAN_PATIENT)
    patient = plan.patient
    return [
        "/",
        patient.get_absolute_url(),
        f"/patients/{patient.pk}/assessments/new/",
        plan.assessment.get_absolute_url(),
        plan.get_absolute_url(),
        f"/plans/{plan.pk}/library/?show=all",
        plan.prescriptions.first() and f"/prescriptions/{plan.prescriptions.first().pk}/",
        f"/patients/{patient.pk}/outcomes/",
        f"/patients/{patient.pk}/history/",
        "/differential/knowledge/",
    ]


@pytest.mark.parametrize("width", [768, 1280], ids=["tablet", "laptop"])
def test_pages_fit_the_screen_and_label_every_field(demo_pages, page, login, width):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "demo.pt", "hamstring-demo")
    for path in demo_pages:
        response = page.goto(path)
        assert response.status == 200, path
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, width, overflow)
        assert page.evaluate(UNLABELLED_FIELDS) == [], path
        assert page.locator("h1").count() == 1, path


def test_the_assessment_form_can_be_filled_from_the_keyboard(demo_pages, page, login):
    login(page, "demo.pt", "hamstring-demo")
    page.goto(demo_pages[2])
    page.focus("#id_side_0")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")  # radios move with the arrow keys
    assert page.locator("input[name=side]:checked").get_attribute("value") == "right"
    page.keyboard.press("Tab")  # on to the next question: onset, first on the core screen
    page.keyboard.press("ArrowRight")  # from "Not asked" to the first answer
    assert page.locator("input[name=onset]:checked").get_attribute("value") == "sudden_sprint"
