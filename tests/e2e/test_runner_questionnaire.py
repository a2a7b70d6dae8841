"""A LEFS filled on the phone and charted for the PT, in a real browser (issue 13, item 7).

The PT asks for the questionnaire from the plan page; the runner opens their link on a 390 px
phone, taps one large button per item (the radio lies over its label, so the radio is what is
tapped), leaves one out and is told which, then sends it. The PT sees the score on the timeline
and the outcome chart marked patient-reported, with its change since the clinic's earlier LEFS
and whether that reaches the minimal important change (9 points).
Screenshots go to test-artifacts/e2e/ (copied into docs/screenshots/ for the README's tour).
"""

import datetime as dt

import pytest
from django.utils import timezone

from rehab import outcomes
from rehab.models import OutcomeMeasurement, QuestionnaireRequest
from rehab.services import outcome_measurement_record, plan_create
from tests.e2e.conftest import csp_violations, new_context, shot
from tests.factories import ClinicFactory, PatientFactory, UserFactory
from tests.rehab_factories import signed_assessment

pytestmark = pytest.mark.e2e

PASSWORD = "e2e-questionnaire-pass"
TODAY = timezone.localdate()
STARTED = TODAY - dt.timedelta(days=21)
LEFS = outcomes.measure("lefs")
CHOICES = {option.points: option.label for option in LEFS.items[0].options}
# The runner's answer to each of the 20 items, in points (the label tapped is looked up).
ANSWERS = [4, 3, 3, 2, 4, 2, 3, 4, 4, 3, 2, 3, 4, 4, 3, 2, 3, 4, 3, 4]
LEFT_OUT = 7  # "Lifting an object, like a bag of groceries from the floor."
CLINIC_POINTS = 2  # every item of the PT's LEFS three weeks ago


@pytest.fixture
def clinic(transactional_db):
    return ClinicFactory(name="Harbour Physio")


@pytest.fixture
def pt(clinic, settings):
    settings.PATIENT_LINK_BASE_URL = ""  # the link takes the host the PT works on
    return UserFactory(
        username="questionnaire.pt",
        first_name="Sam",
        last_name="Okoye",
        clinic=clinic,
        password=PASSWORD,
    )


@pytest.fixture
def plan(clinic, pt):
    """A plan three weeks in, with the LEFS the PT entered in the clinic on its first day."""
    patient = PatientFactory(clinic=clinic, first_name="Maya", last_name="Lindqvist")
    plan = plan_create(assessment=signed_assessment(patient=patient, clinician=pt), clinician=pt)
    plan.starts_on = STARTED
    plan.save(update_fields=["starts_on"])
    outcome_measurement_record(
        patient=patient,
        measure="lefs",
        measured_on=STARTED,
        responses={item.code: CLINIC_POINTS for item in LEFS.items},
        recorded_by=pt,
        plan=plan,
    )
    return plan


@pytest.fixture
def pt_page(browser, live_server, pt, login):
    """The PT at a desk, logged in through the real form."""
    context = new_context(browser, base_url=live_server.url)
    yield login(context.new_page(), pt.username, PASSWORD)
    context.close()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def item(page, number: int):
    return page.locator(f"fieldset#id_lefs_{number:02d}")


def tap_answer(page, number: int) -> None:
    item(page, number).get_by_role("radio", name=CHOICES[ANSWERS[number - 1]], exact=True).tap()


def test_runner_fills_a_lefs_on_the_phone_and_the_pt_sees_it_charted(pt_page, phone, plan, pt):
    # The PT asks from the plan page.
    pt_page.goto(plan.get_absolute_url())
    pt_page.select_option("#questionnaires select", "lefs")
    with pt_page.expect_navigation():
        pt_page.get_by_role("button", name="Ask the runner").click()
    assert "Lower Extremity Functional Scale sent" in pt_page.content()
    waiting = pt_page.locator("#questionnaire-requests li")
    assert waiting.count() == 1
    assert "Lower Extremity Functional Scale: asked" in waiting.inner_text()
    assert waiting.inner_text().endswith("waiting")
    asked = QuestionnaireRequest.objects.get(plan=plan)
    assert (asked.measure, asked.requested_by, asked.answered_at) == ("lefs", pt, None)
    link = pt_page.locator("#patient-link a").inner_text().strip()
    assert csp_violations(pt_page) == []

    # The runner opens the link and the questionnaire.
    assert phone.goto(link).status == 200
    questions = phone.locator("#questionnaires")
    assert questions.get_by_role("heading").inner_text() == "Questions from your physio"
    with phone.expect_navigation():
        questions.get_by_role("link", name="Answer: Lower Extremity Functional Scale").tap()
    assert phone.locator("h1").inner_text() == "Lower Extremity Functional Scale"
    assert phone.locator("form fieldset").count() == len(LEFS.items) == len(ANSWERS)
    assert phone.get_by_role("radio").count() == len(ANSWERS) * len(CHOICES)
    assert phone.locator("input[type=radio]:checked").count() == 0  # nothing pre-chosen
    assert no_sideways_scroll(phone)
    assert csp_violations(phone) == []

    # Every item but one, then send: the missing one is named and the others are kept.
    for number in range(1, len(ANSWERS) + 1):
        if number != LEFT_OUT:
            tap_answer(phone, number)
    phone.locator("h1").evaluate(
        "heading => heading.scrollIntoView({block: 'start', behavior: 'instant'})"
    )
    shot(phone, "14-runner-lefs-questionnaire")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Send to my physio").tap()
    summary = phone.locator("#form-errors")
    assert summary.is_visible()
    missing = LEFS.items[LEFT_OUT - 1].label
    assert summary.locator("li").all_inner_texts() == [f"{missing}: This question is required."]
    assert "Nothing has been saved yet" in summary.inner_text()
    assert not OutcomeMeasurement.objects.filter(patient_reported=True).exists()
    for number, points in enumerate(ANSWERS, start=1):
        chosen = item(phone, number).locator("input[type=radio]:checked")
        if number == LEFT_OUT:
            assert chosen.count() == 0
        else:
            assert chosen.get_attribute("value") == str(points), number
    assert item(phone, LEFT_OUT).locator(".invalid-feedback").inner_text() == (
        "This question is required."
    )
    assert no_sideways_scroll(phone)
    assert csp_violations(phone) == []

    # The summary's link leads to the item; answer it and send.
    summary.get_by_role("link", name=missing).tap()
    assert phone.url.endswith(f"#id_lefs_{LEFT_OUT:02d}_0")
    tap_answer(phone, LEFT_OUT)
    with phone.expect_navigation():
        phone.get_by_role("button", name="Send to my physio").tap()
    assert phone.url == link
    assert "Thank you — your physio will see your answers." in phone.locator("main").inner_text()
    assert phone.locator("#questionnaires").count() == 0  # answered: no longer asked
    assert csp_violations(phone) == []

    total = sum(ANSWERS)
    change = total - CLINIC_POINTS * len(LEFS.items)
    assert change >= LEFS.mcid  # the figures below must show the verdict "reaches"
    measurement = OutcomeMeasurement.objects.get(patient_reported=True)
    assert (measurement.total, measurement.measured_on, measurement.recorded_by) == (
        total,
        TODAY,
        None,
    )

    # The PT's timeline: the score, patient-reported, its change and the MIC verdict.
    pt_page.goto(plan.patient.get_absolute_url())
    entry = pt_page.locator(
        "#timeline li[data-kind=outcome]",
        has_text="Lower Extremity Functional Scale (patient-reported)",
    )
    assert entry.count() == 1
    assert f"{total} of 80 · +{change}: Better by {change} points: " in entry.inner_text()
    assert "reaches the minimal important change of 9 points." in entry.inner_text()
    clinic_entry = pt_page.locator(
        "#timeline li[data-kind=outcome]", has_text="Lower Extremity Functional Scale"
    ).filter(has_not_text="patient-reported")
    assert clinic_entry.inner_text().count(f"{CLINIC_POINTS * len(LEFS.items)} of 80") == 1
    entry.scroll_into_view_if_needed()
    shot(pt_page, "15-pt-timeline-patient-reported-lefs")
    assert csp_violations(pt_page) == []

    # The outcome page: the chart draws the runner's score as its own series, the table says
    # who recorded each and whether the change reaches the MIC.
    with pt_page.expect_navigation():
        pt_page.get_by_role("link", name="Outcome measures").first.click()
    chart = pt_page.locator("#outcome-charts figure[data-chart=lefs] img")
    alt = chart.get_attribute("alt")
    assert f"LEFS (patient-reported): {total}/80 on" in alt
    assert "reaches the minimal important change of 9 points" in alt
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    rows = pt_page.locator("section[data-measure=lefs] tbody tr")
    assert rows.count() == 2
    runner_row = rows.filter(has_text=f"{total}/80")
    assert runner_row.locator("td").last.inner_text() == "Patient"
    assert f"+{change}" in runner_row.inner_text()
    assert "Better: reaches the MCID" in runner_row.inner_text()
    pt_page.locator("#outcome-charts").evaluate(
        "charts => charts.scrollIntoView({block: 'start', behavior: 'instant'})"
    )
    shot(pt_page, "16-pt-outcome-chart-patient-reported-lefs")
    assert csp_violations(pt_page) == []

    # The plan page says the request is answered.
    pt_page.goto(plan.get_absolute_url())
    answered = pt_page.locator("#questionnaire-requests li").inner_text()
    assert f"answered {TODAY.day} " in answered and f"{total} (patient-reported)" in answered
