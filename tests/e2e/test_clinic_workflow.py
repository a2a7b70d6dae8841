"""A PT's day in a real browser, from login to a progression accepted on the patient's logs.

Screenshots of each step go to test-artifacts/e2e/ (kept by CI as artifacts; a few are
copied into docs/screenshots/ for the README).
"""

import io
import re

import pypdf
import pytest
from django.core.management import call_command

from assessments.vocabulary import load_vocabulary
from records.management.commands.seed_demo import DEMO_PLAN_PATIENT
from rehab.models import Plan
from tests.e2e.conftest import CLINICIAN_PASSWORD, shot
from tests.factories import ClinicFactory, UserFactory

# Every test seeds the demo, which issues the demo plan's PDF.
pytestmark = [pytest.mark.e2e, pytest.mark.pdf]

DEMO_LOGIN = ("demo.pt", "hamstring-demo")


RED_FLAG_QUESTIONS = [f.name for f in load_vocabulary().fields if f.section == "red_flags"]


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())


def demo_plan() -> Plan:
    return Plan.objects.select_related("patient", "assessment").get(
        patient__record_number=DEMO_PLAN_PATIENT
    )


def top_cause(page) -> str:
    return page.locator("#ranked-causes > li").first.get_attribute("data-cause")


def create_patient(page, last_name="Okafor"):
    page.goto("/patients/new/")
    page.fill("#id_first_name", "Ines")
    page.fill("#id_last_name", last_name)
    page.fill("#id_date_of_birth", "1990-02-14")
    page.select_option("#id_sex", "female")
    page.fill("#id_record_number", f"E2E-{last_name}")
    with page.expect_navigation():
        page.click("input[type=submit][value='Save patient']")
    return page.url


def record_tendinopathy_assessment(page):
    """Sit-bone pain, worse with sitting, positive bent-knee stretch tests."""
    page.click("text=New assessment")
    for section in ("runner", "behaviour", "examination"):  # beyond the core screen
        page.click(f"#section-{section} > summary")
    page.check("#id_side_1")  # right
    page.fill("#id_age", "38")
    page.check("input[name=onset][value=gradual]")
    with page.expect_response(lambda r: "/assessments/preview/" in r.url):
        page.check("input[name=pain_locations][value=sit_bone]")
    page.check("input[name=aggravated_by_sitting][value=True]")
    for question in RED_FLAG_QUESTIONS:  # the whole red-flag screen, answered "no"
        page.check(f"input[name={question}][value=False]")
    page.check("input[name=sit_bone_tenderness][value=True]")
    page.check("input[name=bent_knee_stretch][value=positive]")
    with page.expect_response(lambda r: "/assessments/preview/" in r.url):
        page.check("input[name=modified_bent_knee_stretch][value=positive]")
    page.wait_for_function(
        "document.querySelector('#ranked-causes > li').dataset.cause "
        "=== 'proximal_hamstring_tendinopathy'"
    )
    # The last finding ticked has reached the panel as a reason for the leading cause.
    page.locator("#ranked-causes > li").first.get_by_text("Modified bent-knee stretch").wait_for()


def test_pt_assesses_plans_issues_and_progresses_a_runner(demo, page, browser, login, live_server):
    login(page, *DEMO_LOGIN)
    shot(page, "01-dashboard")
    create_patient(page)
    shot(page, "02-patient")

    page.click("text=New assessment")
    page.go_back()
    record_tendinopathy_assessment(page)
    assert top_cause(page) == "proximal_hamstring_tendinopathy"
    shot(page, "03-assessment-form-with-differential")
    with page.expect_navigation():
        page.click("input[type=submit][value='Save draft']")

    assert page.locator("#sign-form select[name=working_diagnosis]").input_value() == (
        "proximal_hamstring_tendinopathy"
    )
    with page.expect_navigation():
        page.click("#sign-form button[type=submit]")
    assert "Assessment signed." in page.content()
    shot(page, "04-signed-assessment")

    with page.expect_navigation():
        page.click("text=Build rehab plan")
    assert page.locator("#prescriptions [data-ladder=bridge]").count() == 1
    plan_url = page.url
    with page.expect_navigation():
        page.click("#issue-heading ~ form button[type=submit]")
    shot(page, "05-plan")
    with page.expect_download() as download_info:
        page.click("#documents a")
    pdf = pypdf.PdfReader(download_info.value.path())
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "Ines Okafor" in text
    assert "Bridge hold (both legs)" in text

    link_path = re.sub(r"^https?://[^/]+", "", page.locator("#patient-link a").inner_text())
    runner = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    phone = runner.new_page()
    for _ in range(2):  # two sessions today (isometric holds are a daily exercise)
        phone.goto(link_path)
        assert "Hello Ines" in phone.content()
        assert "Okafor" not in phone.content()
        phone.check("input[name=exercise_pain][value='1']")
        phone.check("input[name=running_pain][value='1']")
        phone.check("input[name=completed][value=True]")
        phone.check("input[name=running_pain_pattern][value=warms_up]")
        phone.check("input[name=next_morning][value=same]")
        with phone.expect_navigation():
            phone.click("input[type=submit]")
        assert "your physio will see this session" in phone.content()
    shot(phone, "06-patient-phone-log")
    runner.close()

    page.goto(plan_url)
    # Phase 1 keeps the bridge on holds: two good sessions meet its exit criteria, and the
    # proposal says the next step comes with phase 2, which the PT moves the plan to.
    proposal = page.locator("#progression form[data-ladder=bridge]")
    assert proposal.get_attribute("data-action") == "hold"
    assert "comes with phase 2" in proposal.inner_text()
    shot(page, "07-progression-proposed")
    with page.expect_navigation():
        page.click("details.confirm-action:has(form[action$='/next-phase/']) > summary")
        page.click("form[action$='/next-phase/'] button[type=submit]")
    assert "Bridge (both legs)" in page.locator("#prescriptions [data-ladder=bridge]").inner_text()
    chart = page.locator("img[alt*='ain']").first
    assert chart.is_visible()
    shot(page, "08-progress-accepted-with-chart")
    assert page.console_errors == [], page.console_errors


def test_pain_travelling_down_the_leg_alerts_the_clinician(demo, page, browser, login, live_server):
    login(page, *DEMO_LOGIN)
    page.goto(demo_plan().get_absolute_url())
    link_path = re.sub(r"^https?://[^/]+", "", page.locator("#patient-link a").inner_text())
    runner = browser.new_context(base_url=live_server.url)
    phone = runner.new_page()
    phone.goto(link_path)
    phone.check("input[name=exercise_pain][value='4']")
    phone.check("input[name=running_pain][value='6']")
    phone.check("input[name=completed][value=True]")
    phone.check("input[name=pain_travelled_down_leg]")
    with phone.expect_navigation():
        phone.click("input[type=submit]")
    runner.close()
    page.goto("/")
    alert = page.locator("#worsening-alerts")
    assert "pain travelled down the leg" in alert.inner_text()
    assert "Tom Archer" in alert.inner_text()
    shot(page, "09-dashboard-alert")


def test_a_clinician_of_another_clinic_reaches_none_of_it(demo, page, login):
    UserFactory(
        username="other.pt", clinic=ClinicFactory(name="Hilltop"), password=CLINICIAN_PASSWORD
    )
    login(page, "other.pt", CLINICIAN_PASSWORD)
    assert "Archer" not in page.content()
    for path in [
        "/patients/1/",
        "/assessments/1/",
        "/plans/1/",
        "/patients/1/outcomes/",
        "/documents/1/",
    ]:
        response = page.goto(path)
        assert response.status == 404, path
        assert "Archer" not in page.content(), path
