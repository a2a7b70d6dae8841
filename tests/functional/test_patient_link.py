"""The runner's link (issues 12 and 13): what it accepts, how often, what its PDF names, which
address it carries, and what a dead link shows."""

import datetime as dt
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from records.services import patient_anonymise
from rehab import services
from rehab.documents import issued_document_bytes
from rehab.models import NOTES_MAX_LENGTH, IssuedDocument, OutcomeMeasurement, SessionLog
from rehab.pdf.context import _qr_svg, plan_pdf_context
from rehab.services import (
    patient_link_renew,
    patient_link_revoke,
    plan_end,
    plan_issue,
    session_log_create,
)
from tests.factories import UserFactory
from tests.rehab_factories import plan_for

TODAY = timezone.localdate()
STARTED = TODAY - dt.timedelta(days=10)


@pytest.fixture
def plan(patient, alice):
    return plan_for(patient=patient, clinician=alice, starts_on=STARTED)


@pytest.fixture
def link_url(plan):
    return reverse("patient_plan_page", args=[plan.patient_link.token])


def _session(day, **extra):
    return {"session_date": day.isoformat(), "exercise_pain": "2", "completed": "True", **extra}


# --- Dates: between the plan's start and today -----------------------------------------------


@pytest.mark.parametrize(
    ("day", "accepted"),
    [
        (dt.date(9999, 12, 31), False),
        (dt.date(1, 1, 1), False),
        (TODAY + dt.timedelta(days=1), False),
        (STARTED - dt.timedelta(days=1), False),
        (STARTED, True),
        (TODAY, True),
    ],
)
def test_runner_session_date_must_lie_between_plan_start_and_today(
    client, plan, link_url, day, accepted
):
    response = client.post(link_url, _session(day, notes="kept as typed"))
    if accepted:
        assert response.status_code == 302
        assert SessionLog.objects.get().session_date == day
        return
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["session_date"]
    assert "today" in errors["session_date"][0] or "plan started" in errors["session_date"][0]
    page = response.content.decode()
    assert f'value="{day.isoformat()}"' in page and "kept as typed" in page
    assert not SessionLog.objects.exists()


@pytest.mark.parametrize("day", [dt.date(9999, 12, 31), STARTED - dt.timedelta(days=1)])
def test_pt_session_form_has_the_same_date_bounds(alice_client, plan, day):
    response = alice_client.post(reverse("session_log_create", args=[plan.pk]), _session(day))
    assert response.status_code == 400
    assert list(response.context["log_form"].errors) == ["session_date"]
    assert not SessionLog.objects.exists()


@pytest.mark.parametrize(
    ("day", "with_plan", "accepted"),
    [
        (dt.date(9999, 12, 31), False, False),
        (TODAY + dt.timedelta(days=1), True, False),
        (STARTED - dt.timedelta(days=1), True, False),
        (STARTED - dt.timedelta(days=1), False, True),  # before any plan: a paper score typed in
        (STARTED, True, True),
    ],
)
def test_outcome_date_lies_before_today_and_within_the_chosen_plan(
    alice_client, patient, plan, day, with_plan, accepted
):
    data = {"measured_on": day.isoformat(), "plan": plan.pk if with_plan else "", "pain": "3"}
    url = reverse("outcome_record", args=[patient.pk, "pain_rest"])
    response = alice_client.post(url, data)
    if accepted:
        assert response.status_code == 302
        assert OutcomeMeasurement.objects.get().measured_on == day
        return
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["measured_on"]
    assert not OutcomeMeasurement.objects.exists()


# --- Free text is capped -----------------------------------------------------------------------


def test_notes_are_capped_with_a_clear_message_on_the_form_and_in_the_model(client, plan, link_url):
    response = client.post(link_url, _session(TODAY, notes="x" * (NOTES_MAX_LENGTH + 1)))
    assert response.status_code == 400
    (message,) = response.context["form"].errors["notes"]
    assert f"at most {NOTES_MAX_LENGTH} characters" in message
    assert f'maxlength="{NOTES_MAX_LENGTH}"' in response.content.decode()
    with pytest.raises(ValidationError) as refused:
        session_log_create(plan=plan, session_date=TODAY, exercise_pain=2, notes="x" * 2001)
    assert "notes" in refused.value.message_dict
    assert not SessionLog.objects.exists()
    assert client.post(link_url, _session(TODAY, notes="x" * NOTES_MAX_LENGTH)).status_code == 302


# --- Posts per link per hour ------------------------------------------------------------------


def test_posts_over_the_hourly_limit_get_a_friendly_429_until_the_hour_has_passed(
    client, plan, link_url, monkeypatch
):
    monkeypatch.setattr(services, "LINK_POSTS_PER_HOUR", 3)
    for _ in range(3):
        assert client.post(link_url, _session(TODAY)).status_code == 302
    response = client.post(link_url, _session(TODAY))
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert "Please try again later" in response.content.decode()
    assert SessionLog.objects.count() == 3
    assert client.get(link_url).status_code == 200  # reading the plan is not limited
    # An hour later the link takes sessions again.
    plan.patient_link.accesses.update(accessed_at=timezone.now() - dt.timedelta(minutes=61))
    assert client.post(link_url, _session(TODAY)).status_code == 302
    assert SessionLog.objects.count() == 4


# --- The PDF behind the link names the first name only ----------------------------------------


def _text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.pdf
def test_pdf_via_the_link_has_the_first_name_only_and_the_pt_pdf_the_full_name(
    alice_client, client, plan, link_url
):
    assert alice_client.post(reverse("plan_issue", args=[plan.pk])).status_code == 302
    document = plan.documents.get()
    via_link = client.get(reverse("patient_plan_pdf", args=[plan.patient_link.token]))
    assert via_link.status_code == 200
    runner_text = _text(via_link.content)
    assert "Rosa" in runner_text and "Runner" not in runner_text
    assert PdfReader(io.BytesIO(via_link.content)).metadata.title == "Your rehab plan — Rosa"
    pt_pdf = alice_client.get(reverse("document_download", args=[document.pk])).content
    assert "Rosa Runner" in _text(pt_pdf)
    assert pt_pdf == issued_document_bytes(document)
    assert via_link.content == issued_document_bytes(document, "link_pdf")


# --- An erased patient's links stay dead ------------------------------------------------------


def test_erasure_revokes_the_links_and_renewal_is_refused(client, clinic, alice, plan, link_url):
    plan_issue(plan=plan, clinician=alice, pdf=b"%PDF Rosa Runner", link_pdf=b"%PDF Rosa")
    admin = UserFactory(clinic=clinic, clinic__role="clinic_admin")
    patient_anonymise(patient=plan.patient, by=admin, reason="Asked to be forgotten")
    link = plan.patient_link
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert IssuedDocument.objects.get().link_pdf_key == ""
    with pytest.raises(ValidationError, match="anonymised"):
        patient_link_renew(link=link)
    admin_client = Client()
    admin_client.force_login(admin)
    response = admin_client.post(
        reverse("patient_link_action", args=[plan.pk, "renew"]), follow=True
    )
    assert "links stay revoked" in response.content.decode()
    assert "Make a new link" not in response.content.decode()  # the page offers no renewal
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert client.get(link_url).status_code == 404


# --- The link's address -----------------------------------------------------------------------


def _shown_link(response) -> str:
    return re.search(r'id="patient-link"><a href="([^"]+)"', response.content.decode()).group(1)


def test_link_address_comes_from_the_setting_when_set(alice_client, plan, settings):
    settings.PATIENT_LINK_BASE_URL = "https://plans.example.org/"
    page = alice_client.get(plan.get_absolute_url())
    assert _shown_link(page) == f"https://plans.example.org/p/{plan.patient_link.token}/"


def test_link_address_otherwise_comes_from_the_host_the_pt_uses(alice_client, plan, settings):
    settings.PATIENT_LINK_BASE_URL = ""
    settings.ALLOWED_HOSTS = ["clinic.example.org", "testserver"]
    token = plan.patient_link.token
    page = alice_client.get(plan.get_absolute_url(), HTTP_HOST="clinic.example.org")
    assert _shown_link(page) == f"http://clinic.example.org/p/{token}/"
    secure = alice_client.get(plan.get_absolute_url(), HTTP_HOST="clinic.example.org", secure=True)
    assert _shown_link(secure) == f"https://clinic.example.org/p/{token}/"
    # A host outside ALLOWED_HOSTS is refused by Django, never printed on a link.
    assert alice_client.get(plan.get_absolute_url(), HTTP_HOST="evil.example").status_code == 400


@pytest.mark.pdf
def test_pdf_qr_code_email_and_plan_page_show_the_same_address(
    alice_client, plan, settings, mailoutbox
):
    settings.PATIENT_LINK_BASE_URL = ""
    settings.ALLOWED_HOSTS = ["clinic.example.org"]
    host = {"HTTP_HOST": "clinic.example.org", "secure": True}
    assert alice_client.post(reverse("plan_issue", args=[plan.pk]), **host).status_code == 302
    expected = f"https://clinic.example.org/p/{plan.patient_link.token}/"
    # Later visits from another address change nothing: the issued address is kept.
    settings.ALLOWED_HOSTS = ["clinic.example.org", "testserver"]
    page_url = _shown_link(alice_client.get(plan.get_absolute_url()))
    plan.patient.email = "rosa@example.com"
    plan.patient.save()
    alice_client.post(reverse("patient_link_action", args=[plan.pk, "email"]))
    (email,) = mailoutbox
    email_url = re.search(r"https?://\S+", email.body).group(0)
    pdf_text = re.sub(r"\s+", "", _text(issued_document_bytes(plan.documents.get())))
    qr = plan_pdf_context(plan=plan)["qr_svg"]
    assert page_url == email_url == expected
    assert expected.split("://", 1)[1] in pdf_text
    assert qr == _qr_svg(expected)


# --- Dead ends: one plain page, status 404 ----------------------------------------------------


def _wrong(plan):
    return "no-such-token-" + "x" * 30


def _revoked(plan):
    patient_link_revoke(link=plan.patient_link, clinician=plan.created_by)
    return plan.patient_link.token


def _renewed_away(plan):
    token = _revoked(plan)
    patient_link_renew(link=plan.patient_link)
    return token


def _expired(plan):
    plan_end(plan=plan)
    plan.ends_on = TODAY - dt.timedelta(days=plan.patient.clinic.patient_link_days + 1)
    plan.save(update_fields=["ends_on"])
    return plan.patient_link.token


def _erased(plan):
    admin = UserFactory(clinic=plan.patient.clinic, clinic__role="clinic_admin")
    token = plan.patient_link.token
    patient_anonymise(patient=plan.patient, by=admin, reason="Asked to be forgotten")
    return token


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
@pytest.mark.parametrize(
    "spoil",
    [_wrong, _revoked, _renewed_away, _expired, _erased],
    ids=["wrong", "revoked", "renewed-away", "expired", "erased"],
)
def test_dead_link_shows_a_plain_page_with_whom_to_call(client, plan, spoil, debug):
    clinic = plan.patient.clinic
    token = spoil(plan)
    with override_settings(DEBUG=debug):
        guessed = client.get(reverse("patient_plan_page", args=["guessed-" + "y" * 30]))
        for url_name in ("patient_plan_page", "patient_plan_pdf"):
            url = reverse(url_name, args=[token])
            for response in (client.get(url), client.post(url, _session(TODAY))):
                body = response.content.decode()
                assert response.status_code == 404
                assert "This link no longer works" in body
                assert "Page not found" not in body and "URLconf" not in body  # not technical
                assert "Rosa" not in body and "Runner" not in body
                call = f"Please call {clinic.name} on"
                assert (call in body) is (spoil is not _wrong)
                if spoil is not _wrong:
                    assert clinic.phone in body
                assert 0.5 < len(body) / len(guessed.content) < 2
    assert not SessionLog.objects.exists()


def test_dead_link_leaves_out_the_phone_when_the_clinic_has_none(client, plan):
    clinic = plan.patient.clinic
    clinic.phone = ""
    clinic.save()
    body = client.get(reverse("patient_plan_page", args=[_revoked(plan)])).content.decode()
    assert f"Please call {clinic.name} for a new link" in body
    assert "tel:" not in body
