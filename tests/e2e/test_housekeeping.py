"""Issue 14 in a real browser: the clinic admin's team page (invite, set-password email, role,
deactivation), the inbox, the quick assessment, no duplicates on a double click or Back, and
the clinical note PDF.

Screenshots (``shot``) for the README's tour: team, inbox, quick_assessment, clinical_note
(the note's first page, drawn by pdftoppm as scripts/pdf_previews.py does).
"""

import io
import re
import shutil
import subprocess

import pypdf
import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from clinic.models import Membership
from rehab.models import Plan
from rehab.services import session_log_create
from tests.e2e.conftest import ARTIFACTS, CLINICIAN_PASSWORD, new_context, shot
from tests.factories import PatientFactory, UserFactory
from tests.rehab_factories import plan_for, signed_assessment

pytestmark = pytest.mark.e2e

ADMIN_PASSWORD = "e2e-admin-pass"
NEW_PASSWORD = "hip-thrust-Tuesday-42"


@pytest.fixture
def clinic_admin(clinician):
    """The clinic admin of the clinician's clinic."""
    return UserFactory(
        username="e2e.admin",
        first_name="Sam",
        last_name="Manager",
        clinic=clinician.memberships.get().clinic,
        clinic__role="clinic_admin",
        password=ADMIN_PASSWORD,
    )


@pytest.fixture
def runner(clinician):
    return PatientFactory(
        clinic=clinician.memberships.get().clinic, first_name="Ines", last_name="Okafor"
    )


def _team(page):
    page.goto("/")
    with page.expect_navigation():
        page.click("nav >> text=Team")
    assert page.locator("h1").inner_text().startswith("Team of")


def test_clinic_admin_invites_a_pt_who_sets_a_password_from_the_emailed_link(
    page, browser, live_server, login, clinic_admin
):
    login(page, "e2e.admin", ADMIN_PASSWORD)
    _team(page)
    page.fill("#id_invite-first_name", "Noor")
    page.fill("#id_invite-last_name", "Haddad")
    page.fill("#id_invite-email", "noor.haddad@example.com")
    page.select_option("#id_invite-role", "clinician")
    with page.expect_navigation():
        page.click("input[type=submit][value='Invite and email the link']")
    assert "Noor Haddad is invited" in page.content()
    row = page.locator("#team-members tr", has_text="Noor Haddad")
    assert "Invited: no password yet" in row.inner_text()
    assert "added as clinician" in page.locator("#team-changes").inner_text()
    shot(page, "team")

    (message,) = mail.outbox
    assert message.to == ["noor.haddad@example.com"]
    link = re.search(r"https?://\S+/password-reset/\S+/", message.body).group(0)
    assert link.startswith(live_server.url)

    invitee = new_context(browser).new_page()
    invitee.goto(link)
    assert "Choose a new password" in invitee.content()
    invitee.fill("#id_new_password1", NEW_PASSWORD)
    invitee.fill("#id_new_password2", NEW_PASSWORD)
    with invitee.expect_navigation():
        invitee.click("button[type=submit]")
    assert "Password changed" in invitee.content()
    invitee.goto(f"{live_server.url}/login/")
    invitee.fill("#id_username", "noor.haddad@example.com")
    invitee.fill("#id_password", NEW_PASSWORD)
    with invitee.expect_navigation():
        invitee.click("button[type=submit]")
    assert "/login/" not in invitee.url
    assert "Noor Haddad" in invitee.locator("nav").inner_text()
    assert invitee.locator("nav >> text=Team").count() == 0  # a clinician manages no team

    page.reload()
    assert "Active" in page.locator("#team-members tr", has_text="Noor Haddad").inner_text()


def test_clinic_admin_changes_a_role_and_deactivates_an_account(
    page, browser, live_server, login, clinic_admin, clinician
):
    login(page, "e2e.admin", ADMIN_PASSWORD)
    _team(page)
    row = page.locator("#team-members tr", has_text="Erin Physio")
    row.locator("select[name=role]").select_option("clinic_admin")
    with page.expect_navigation():
        row.locator("button", has_text="Change role").click()
    assert "Erin Physio is now clinic admin." in page.content()
    assert Membership.objects.get(user=clinician).role == "clinic_admin"

    row = page.locator("#team-members tr", has_text="Erin Physio")
    row.locator("summary", has_text="Deactivate").click()
    with page.expect_navigation():
        row.locator("button", has_text="Yes, deactivate").click()
    assert "Erin Physio's account is deactivated." in page.content()
    changes = page.locator("#team-changes").inner_text()
    assert "role changed to clinic admin" in changes and "account deactivated" in changes
    assert "Sam Manager" in changes
    # No "Deactivate" on the admin's own row: they cannot lock themselves out.
    own = page.locator("#team-members tr", has_text="Sam Manager")
    assert own.locator("summary", has_text="Deactivate").count() == 0

    other = new_context(browser, base_url=live_server.url).new_page()
    other.goto("/login/")
    other.fill("#id_username", "e2e.pt")
    other.fill("#id_password", CLINICIAN_PASSWORD)
    with other.expect_navigation():
        other.click("button[type=submit]")
    assert "/login/" in other.url
    assert not get_user_model().objects.get(username="e2e.pt").is_active


def test_the_inbox_shows_the_runners_news_until_the_pt_opens_the_plan(
    page, login, clinician, runner
):
    plan = plan_for(patient=runner, clinician=clinician)
    session_log_create(
        plan=plan,
        session_date=timezone.localdate(),
        exercise_pain=2,
        next_morning="same",
        notes="Sitting at work still niggles",
    )
    login(page, "e2e.pt", CLINICIAN_PASSWORD)
    inbox = page.locator("#inbox")
    assert "1 new session from the runner" in inbox.inner_text()
    assert "Sitting at work still niggles" in inbox.inner_text()
    page.locator("#inbox-heading").scroll_into_view_if_needed()
    shot(page, "inbox")
    with page.expect_navigation():
        inbox.locator(f"a[href='{plan.get_absolute_url()}']").first.click()
    assert "Sitting at work still niggles" in page.content()  # beside the session
    page.goto("/")
    assert page.locator("#inbox").count() == 0


def test_the_assessment_opens_on_the_core_screen_and_other_sections_on_demand(
    page, login, clinician, runner
):
    login(page, "e2e.pt", CLINICIAN_PASSWORD)
    page.goto(f"/patients/{runner.pk}/")
    with page.expect_navigation():
        page.click("text=New assessment")
    assert page.locator("#section-core").is_visible()
    examination = page.locator("#section-examination")
    assert examination.get_attribute("open") is None
    assert not page.locator("input[name=bent_knee_stretch]").first.is_visible()
    with page.expect_response(lambda r: "/assessments/preview/" in r.url):
        page.check("input[name=pain_locations][value=sit_bone]")
    page.click("#section-examination > summary")
    assert page.locator("input[name=bent_knee_stretch]").first.is_visible()
    shot(page, "quick_assessment")


def test_a_double_click_builds_one_plan_and_back_shows_it(page, login, clinician, runner):
    assessment = signed_assessment(patient=runner, clinician=clinician)
    login(page, "e2e.pt", CLINICIAN_PASSWORD)
    page.goto(assessment.get_absolute_url())
    page.dblclick("#plan-create button[type=submit]")
    page.wait_for_url("**/plans/*/")
    assert Plan.objects.filter(assessment=assessment).count() == 1
    # Back: the page is fetched again (no-store), so it shows the plan just built and offers
    # "Build another plan" as a deliberate second plan with a new form.
    page.go_back()
    page.wait_for_url(f"**{assessment.get_absolute_url()}")
    plan = Plan.objects.get(assessment=assessment)
    assert page.locator(f"a[href='{plan.get_absolute_url()}']").count() >= 1
    button = page.locator("#plan-create button[type=submit]")
    assert button.inner_text() == "Build another plan"


@pytest.mark.pdf
def test_the_signed_assessment_prints_a_clinical_note(page, login, clinician, runner):
    assessment = signed_assessment(patient=runner, clinician=clinician)
    login(page, "e2e.pt", CLINICIAN_PASSWORD)
    page.goto(assessment.get_absolute_url())
    link = page.locator("a", has_text="Clinical note (PDF)")
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "Ines Okafor" in text and "Erin Physio" in text
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm not found (poppler-utils): no picture of the note")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    note = ARTIFACTS / "clinical_note.pdf"
    note.write_bytes(pdf)
    subprocess.run(  # noqa: S603  # a fixed program on our own file
        [
            pdftoppm,
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(note),
            str(ARTIFACTS / "clinical_note"),
        ],
        check=True,
    )
    assert (ARTIFACTS / "clinical_note.png").stat().st_size > 1000
