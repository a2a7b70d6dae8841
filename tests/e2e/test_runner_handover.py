"""The runner's side of the handover in a real browser (issue 13): the link a PT issues on the
clinic's own host name, opened on a 390 px phone; a revoked link's plain page; a session logged
straight after, then the next-morning answer that moves the PT's proposal.

The PT works on ``clinic.test`` (not loopback): Chromium maps that name to the live server, and
ALLOWED_HOSTS lets Django accept it, so the link's host comes from the request as in a clinic.
Screenshots go to test-artifacts/e2e/ (as in test_clinic_workflow; copied into docs/screenshots/
for the README's tour of the runner's side).
"""

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlsplit

import pypdf
import pytest
from django.utils import timezone

from rehab.models import PatientLink, Plan, SessionLog
from rehab.services import plan_create, session_log_create
from tests.e2e.conftest import CHROMIUM, LAUNCH_ARGS, csp_violations, new_context, shot
from tests.factories import ClinicFactory, PatientFactory, UserFactory
from tests.rehab_factories import signed_assessment

pytestmark = pytest.mark.e2e

HOST = "clinic.test"
PASSWORD = "e2e-handover-pass"
TODAY = timezone.localdate()
STARTED = TODAY - dt.timedelta(days=10)


@pytest.fixture(scope="module")
def browser():
    """Chromium that resolves clinic.test to the live server (and keeps plain http on it)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set E2E_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    args = [
        *LAUNCH_ARGS,
        f"--host-resolver-rules=MAP {HOST} 127.0.0.1",
        "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        yield browser
        browser.close()


@pytest.fixture
def clinic_url(live_server, settings):
    """The live server under the clinic's host name, accepted by ALLOWED_HOSTS; no configured
    base URL, so links take the host the PT issues on."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    settings.PATIENT_LINK_BASE_URL = ""
    return f"http://{HOST}:{urlsplit(live_server.url).port}"


@pytest.fixture
def clinic(transactional_db):
    return ClinicFactory(name="Harbour Physio", phone="01632 960123")


@pytest.fixture
def pt(clinic):
    return UserFactory(
        username="handover.pt",
        first_name="Sam",
        last_name="Okoye",
        clinic=clinic,
        password=PASSWORD,
    )


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic, first_name="Maya", last_name="Lindqvist")


@pytest.fixture
def pt_page(browser, clinic_url, pt, login):
    """The PT, logged in through the real form on clinic.test."""
    context = new_context(browser, base_url=clinic_url)
    yield login(context.new_page(), pt.username, PASSWORD)
    context.close()


def shown_link(pt_page) -> str:
    return pt_page.locator("#patient-link a").inner_text().strip()


def bridge_proposal(pt_page, plan):
    pt_page.goto(plan.get_absolute_url())
    return pt_page.locator("#progression form[data-ladder=bridge]")


@pytest.mark.pdf
def test_pt_issues_on_the_clinic_host_and_the_printed_link_opens_the_runner_page(
    pt_page, phone, clinic_url, patient, pt
):
    assessment = signed_assessment(patient=patient, clinician=pt)
    pt_page.goto(assessment.get_absolute_url())
    with pt_page.expect_navigation():
        pt_page.click("text=Build rehab plan")
    with pt_page.expect_navigation():
        pt_page.click("#issue-heading ~ form button[type=submit]")
    plan = Plan.objects.get(patient=patient)
    link = shown_link(pt_page)
    token = plan.patient_link.token
    assert link == f"{clinic_url}/p/{token}/"
    assert PatientLink.objects.get(plan=plan).base_url == clinic_url
    pt_page.locator("#link-heading").scroll_into_view_if_needed()
    shot(pt_page, "13-plan-patient-link")

    with pt_page.expect_download() as download:
        pt_page.click("#documents a")
    pdf = pypdf.PdfReader(download.value.path())
    # The link as printed under the QR code (without its scheme); the QR code draws the same
    # URL (both come from patient_link_url; no QR decoder is installed here to read it back).
    printed = re.sub(r"\s+", "", "".join(p.extract_text() for p in pdf.pages))
    assert f"clinic.test:{urlsplit(clinic_url).port}/p/{token}/" in printed

    response = phone.goto(link)
    assert response.status == 200
    assert phone.url == link
    assert "Hello Maya" in phone.content()
    assert "Lindqvist" not in phone.content()
    assert "Harbour Physio" in phone.locator("#call-heading ~ p").inner_text()
    card = phone.locator("details.plan-item").first
    assert not card.locator(".plan-item-how-to").is_visible()
    card.locator("summary").click()
    card.locator(".plan-item-how-to li").first.wait_for()
    phone.get_by_role("heading", name="Your exercises now").evaluate(
        "heading => heading.scrollIntoView({block: 'start', behavior: 'instant'})"
    )
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(phone, "10-runner-plan-card-open")
    assert csp_violations(phone) == []


def test_a_revoked_link_shows_only_the_plain_call_the_clinic_page(pt_page, phone, patient, pt):
    plan = plan_create(assessment=signed_assessment(patient=patient, clinician=pt), clinician=pt)
    pt_page.goto(plan.get_absolute_url())
    link = shown_link(pt_page)
    assert phone.goto(link).status == 200

    with pt_page.expect_navigation():
        pt_page.click("details.confirm-action:has(form[action$='/link/revoke/']) > summary")
        pt_page.click("form[action$='/link/revoke/'] button[type=submit]")
    assert "Link revoked" in pt_page.content()
    assert pt_page.locator("#patient-link").count() == 0

    response = phone.goto(link)
    assert response.status == 404
    heading = phone.locator("h1")
    assert heading.inner_text() == "This link no longer works"
    assert "Please call Harbour Physio on 01632 960123" in phone.locator("main").inner_text()
    assert phone.locator("a[href='tel:01632960123']").count() == 1
    assert "Maya" not in phone.content()
    assert phone.locator("form").count() == 0
    shot(phone, "12-dead-link")

    # A new link works; the old one stays dead, still naming the clinic.
    with pt_page.expect_navigation():
        pt_page.click("form[action$='/link/renew/'] button[type=submit]")
    renewed = shown_link(pt_page)
    assert renewed != link
    assert renewed.startswith(f"http://{HOST}:")
    assert phone.goto(renewed).status == 200
    assert "Hello Maya" in phone.content()
    assert phone.goto(link).status == 404
    assert "Please call Harbour Physio" in phone.locator("main").inner_text()


@pytest.fixture
def plan_in_phase_3(patient, pt):
    """A plan ten days in, at phase 3 (no phase ceiling holds the bridge), with one earlier
    session whose next morning was the same: one more good session makes two in a row."""
    plan = plan_create(assessment=signed_assessment(patient=patient, clinician=pt), clinician=pt)
    plan.starts_on = STARTED
    plan.current_phase = 3
    plan.save(update_fields=["starts_on", "current_phase"])
    for prescription in plan.prescriptions.all():
        prescription.step_since = STARTED
        prescription.save(update_fields=["step_since"])
    session_log_create(
        plan=plan,
        session_date=TODAY - dt.timedelta(days=3),
        exercise_pain=1,
        completed=True,
        next_morning="same",
    )
    return plan


def test_runner_logs_straight_after_then_answers_next_morning_and_the_proposal_moves(
    pt_page, phone, plan_in_phase_3
):
    plan = plan_in_phase_3
    pt_page.goto(plan.get_absolute_url())
    link = shown_link(pt_page)

    phone.goto(link)
    assert phone.locator("#morning-heading").count() == 0  # the earlier one is answered
    phone.locator("#id_exercise_pain_1").click()
    phone.check("input[name=running_pain][value=none]")
    phone.check("input[name=next_morning][value=not_yet]")
    phone.locator("#id_completed_0").click()  # Yes
    with phone.expect_navigation():
        phone.locator("input[type=submit][value='Send to my physio']").click()
    assert "your physio will see this session" in phone.content()
    assert phone.locator("#morning-heading").count() == 0  # today's morning has not come
    log = plan.session_logs.get(session_date=TODAY)
    assert (log.exercise_pain, log.completed, log.next_morning) == (1, True, "")
    assert log.reported_by == SessionLog.ReportedBy.PATIENT

    proposal = bridge_proposal(pt_page, plan)
    assert proposal.get_attribute("data-action") == "hold"
    assert "next-morning response to the latest session is not logged yet" in (
        proposal.inner_text()
    )

    # The night passes: the session becomes yesterday's, logged last evening.
    log.session_date = TODAY - dt.timedelta(days=1)
    log.created_at = timezone.now() - dt.timedelta(hours=14)
    log.save(update_fields=["session_date", "created_at"])

    phone.goto(link)
    question = phone.locator("#morning-heading ~ form")
    assert "How does it feel this morning compared with before yesterday's session?" in (
        question.inner_text()
    )
    phone.locator("#morning-heading").scroll_into_view_if_needed()
    shot(phone, "11-runner-next-morning")
    question.get_by_role("radio", name="Better", exact=True).click()  # the tap target
    assert phone.locator("input[name='morning-next_morning'][value=better]").is_checked()
    with phone.expect_navigation():
        question.locator("input[type=submit][value='Send my answer']").click()
    assert "your answer is added to that session" in phone.content()
    assert phone.locator("#morning-heading").count() == 0
    recent = phone.locator("h2:has-text('Your recent logs') + ul li").first
    assert "next morning better" in recent.inner_text()
    assert recent.get_by_role("link", name="Correct this log").count() == 1  # within 48 hours
    assert csp_violations(phone) == []
    log.refresh_from_db()
    assert log.next_morning == "better"

    proposal = bridge_proposal(pt_page, plan)
    assert proposal.get_attribute("data-action") == "progress"
    assert "not logged yet" not in proposal.inner_text()
    row = pt_page.locator("#session-logs tbody tr").first
    assert "Better" in row.inner_text()
