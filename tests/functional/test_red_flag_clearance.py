"""Clearing a red flag: its own record beside the signed assessment, then the plan may be built.

A bone stress injury ruled out on MRI, or a cancer history from twenty years ago, must not block
the plan for good; an emergency flag needs a second confirmation; the signed assessment stays
exactly as signed; the plan page and the printed plan say who cleared what, when and why.
"""

import io
import re

import pypdf
import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessments.models import RedFlagClearance
from assessments.services import clear_red_flag
from clinic.knowledge import red_flags
from clinic.models import AccessEvent
from records.services import patient_anonymise
from rehab.models import Plan
from rehab.pdf import render_plan_pdf
from rehab.services import plan_create
from tests.factories import UserFactory
from tests.rehab_factories import PHT_FINDINGS, plan_for, signed_assessment

NOTE = "Breast cancer treated in 2005, discharged by oncology in 2010; no recurrence."


@pytest.fixture
def cancer_history(patient, alice):
    """Tendinopathy signed with a cancer history: serious_pathology (urgent) bars the plan."""
    return signed_assessment(
        patient=patient, clinician=alice, findings={**PHT_FINDINGS, "cancer_history": True}
    )


@pytest.fixture
def saddle(patient, alice):
    """Tendinopathy signed with saddle numbness and a cancer history: cauda_equina (emergency)
    and serious_pathology (urgent)."""
    return signed_assessment(
        patient=patient,
        clinician=alice,
        findings={**PHT_FINDINGS, "saddle_numbness": True, "cancer_history": True},
    )


def _clear_url(assessment, code=None):
    url = reverse("red_flag_clear", args=[assessment.pk])
    return f"{url}?code={code}" if code else url


def _name(user):
    return user.get_full_name() or user.username


def _codes(assessment):
    return [flag["code"] for flag in assessment.raised_red_flags()]


def test_the_fixtures_raise_the_flags_they_say(cancer_history, saddle):
    assert _codes(cancer_history) == ["serious_pathology"]
    assert set(_codes(saddle)) == {"cauda_equina", "serious_pathology"}


def test_a_plan_refused_for_an_emergency_says_emergency_to_the_physio_and_the_runner(
    alice_client, saddle
):
    page = alice_client.get(saddle.get_absolute_url()).content.decode()
    refusal = page[page.index('id="refer-first"') :]
    assert "refer first</strong> (emergency)" in refusal
    assert red_flags().get("cauda_equina").action in refusal  # the physio's words
    assert "Emergency: send to hospital" in refusal
    assert "Tell the runner: Go to the emergency department now" in refusal
    assert _clear_url(saddle) in refusal
    response = alice_client.post(reverse("plan_create", args=[saddle.pk]))
    assert response.status_code == 302
    assert not Plan.objects.exists()


def test_clearing_a_flag_records_who_when_why_and_lets_the_plan_be_built(
    alice_client, alice, cancer_history
):
    signed_ranking, signed_version = cancer_history.ranking_at_signing, cancer_history.version
    form = alice_client.get(_clear_url(cancer_history, "serious_pathology"))
    assert form.status_code == 200
    assert "confirmed_emergency" not in form.content.decode()  # urgent: no second confirmation
    response = alice_client.post(
        _clear_url(cancer_history),
        {"code": "serious_pathology", "evidence": "history_clarified", "note": NOTE},
    )
    assert response.status_code == 302
    clearance = RedFlagClearance.objects.get()
    assert (clearance.assessment, clearance.code, clearance.cleared_by) == (
        cancer_history,
        "serious_pathology",
        alice,
    )
    assert clearance.evidence == "history_clarified" and clearance.note == NOTE
    history = clearance.history.get()
    assert history.history_type == "+" and history.history_user == alice
    cancer_history.refresh_from_db()  # the signed record is untouched
    assert cancer_history.is_signed and cancer_history.version == signed_version
    assert cancer_history.ranking_at_signing == signed_ranking
    assert _codes(cancer_history) == ["serious_pathology"]

    page = alice_client.get(cancer_history.get_absolute_url()).content.decode()
    assert 'id="refer-first"' not in page
    assert f"Cleared by {_name(alice)} on" in page

    response = alice_client.post(reverse("plan_create", args=[cancer_history.pk]))
    plan = Plan.objects.get()
    assert response.url == plan.get_absolute_url()
    page = alice_client.get(plan.get_absolute_url()).content.decode()
    section = page[page.index('id="red-flag-clearances"') :]
    assert "Possible serious pathology (tumour or infection)" in section
    when = f"{timezone.localtime(clearance.cleared_at):%-d %b %Y}"
    assert f"cleared by {_name(alice)} on {when} because (history clarified)" in section
    assert NOTE in section


def test_a_clearance_without_evidence_or_note_is_refused_by_field(alice_client, cancer_history):
    response = alice_client.post(
        _clear_url(cancer_history), {"code": "serious_pathology", "evidence": "", "note": " "}
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"evidence", "note"}
    assert not RedFlagClearance.objects.exists()
    with pytest.raises(ValidationError) as caught:
        clear_red_flag(
            assessment=cancer_history,
            code="serious_pathology",
            evidence="a hunch",
            note="",
            cleared_by=cancer_history.clinician,
        )
    assert set(caught.value.message_dict) == {"evidence", "note"}
    assert not RedFlagClearance.objects.exists()


def test_a_flag_that_was_not_raised_cannot_be_cleared(alice_client, cancer_history):
    response = alice_client.post(
        _clear_url(cancer_history),
        {"code": "cauda_equina", "evidence": "imaging_result", "note": "MRI normal."},
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["code"]
    with pytest.raises(ValidationError) as caught:
        clear_red_flag(
            assessment=cancer_history,
            code="suspected_bone_stress_injury",
            evidence="imaging_result",
            note="MRI normal.",
            cleared_by=cancer_history.clinician,
        )
    assert list(caught.value.message_dict) == ["code"]
    assert "not raised" in caught.value.message_dict["code"][0]
    assert not RedFlagClearance.objects.exists()


def test_a_flag_is_cleared_once(cancer_history, alice):
    arguments = {
        "assessment": cancer_history,
        "code": "serious_pathology",
        "evidence": "medical_review",
        "note": "GP review: no concern.",
        "cleared_by": alice,
    }
    clear_red_flag(**arguments)
    with pytest.raises(ValidationError) as caught:
        clear_red_flag(**arguments)
    assert list(caught.value.message_dict) == ["code"]
    assert RedFlagClearance.objects.count() == 1


def test_an_emergency_flag_needs_the_second_confirmation(alice_client, saddle):
    urgent_form = alice_client.get(_clear_url(saddle, "serious_pathology")).content.decode()
    assert "confirmed_emergency" not in urgent_form
    emergency_form = alice_client.get(_clear_url(saddle, "cauda_equina")).content.decode()
    assert 'name="confirmed_emergency"' in emergency_form
    assert "I confirm the emergency has been ruled out" in emergency_form
    posted = {"code": "cauda_equina", "evidence": "imaging_result", "note": "MRI: no compression."}

    response = alice_client.post(_clear_url(saddle), posted)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["confirmed_emergency"]
    assert 'name="confirmed_emergency"' in response.content.decode()  # shown, with its error
    assert not RedFlagClearance.objects.exists()

    response = alice_client.post(_clear_url(saddle), {**posted, "confirmed_emergency": "on"})
    assert response.status_code == 302
    clearance = RedFlagClearance.objects.get()
    assert clearance.code == "cauda_equina" and clearance.confirmed_emergency is True
    # The urgent flag still stands: still no plan, now for the urgent reason only.
    alice_client.post(reverse("plan_create", args=[saddle.pk]))
    assert not Plan.objects.exists()
    page = alice_client.get(saddle.get_absolute_url()).content.decode()
    assert "refer first</strong> (urgent)" in page


def test_another_clinic_gets_a_404_and_saves_nothing(client, charlie, cancer_history):
    posted = {"code": "serious_pathology", "evidence": "history_clarified", "note": NOTE}
    assert client.get(_clear_url(cancer_history)).status_code == 302  # anonymous: to login
    client.force_login(charlie)
    assert client.get(_clear_url(cancer_history, "serious_pathology")).status_code == 404
    assert client.post(_clear_url(cancer_history), posted).status_code == 404
    assert not RedFlagClearance.objects.exists()
    assert not AccessEvent.objects.exists()


def test_opening_the_clearance_form_is_recorded_as_a_read(alice_client, alice, cancer_history):
    alice_client.get(_clear_url(cancer_history))
    event = AccessEvent.objects.get()
    assert (event.user, event.what, event.object_id) == (alice, "assessment", cancer_history.pk)


def test_the_export_holds_the_clearance(alice_client, alice, cancer_history):
    clear_red_flag(
        assessment=cancer_history,
        code="serious_pathology",
        evidence="history_clarified",
        note=NOTE,
        cleared_by=alice,
    )
    url = reverse("patient_export_json", args=[cancer_history.patient.pk])
    records = alice_client.get(url).json()["records"]
    assert [row["fields"]["note"] for row in records["assessments.redflagclearance"]] == [NOTE]


@pytest.mark.pdf
def test_the_printed_plan_says_who_cleared_the_flag_when_and_why(alice, cancer_history):
    clearance = clear_red_flag(
        assessment=cancer_history,
        code="serious_pathology",
        evidence="history_clarified",
        note=NOTE,
        cleared_by=alice,
    )
    plan = plan_create(assessment=cancer_history, clinician=alice)
    reader = pypdf.PdfReader(io.BytesIO(render_plan_pdf(plan=plan)))
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    expected = (
        f"cleared by {_name(alice)} on {timezone.localtime(clearance.cleared_at):%-d %b %Y} "
        f"because (history clarified): {NOTE}"
    )
    assert re.sub(r"\s+", "", expected) in text
    assert re.sub(r"\s+", "", "red flags cleared before this plan") in text


def test_erasure_blanks_the_clearance_note_and_its_history(alice, clinic, cancer_history):
    dana = UserFactory(username="dana", clinic=clinic, clinic__role="clinic_admin")
    clearance = clear_red_flag(
        assessment=cancer_history,
        code="serious_pathology",
        evidence="history_clarified",
        note="Rosa Runner's oncologist discharged her in 2010.",
        cleared_by=alice,
    )
    patient_anonymise(patient=cancer_history.patient, by=dana, reason="Asked to be forgotten.")
    clearance.refresh_from_db()
    assert clearance.note == "" and clearance.code == "serious_pathology"
    assert all("Rosa" not in row.note for row in clearance.history.all())


def test_the_runners_page_sends_an_emergency_sign_to_the_emergency_department(
    client, patient, alice
):
    """The page used to say "stop and call the clinic" for saddle numbness and bladder change."""
    plan = plan_for(patient=patient, clinician=alice)
    page = client.get(reverse("patient_plan_page", args=[plan.patient_link.token])).content.decode()
    emergency = page[page.index('id="call-emergency"') : page.index('id="call-same_day"')]
    assert "Go to an emergency department now" in emergency
    for flag in ("cauda_equina", "dvt_suspected"):
        for sign in red_flags().get(flag).signs:
            assert sign.text in emergency, sign.text
    same_day = page[page.index('id="call-same_day"') :]
    assert "saddle" not in same_day and "bladder" not in same_day


def test_a_double_clicked_clearance_makes_one_record(alice_client, cancer_history):
    posted = {"code": "serious_pathology", "evidence": "history_clarified", "note": NOTE}
    first = alice_client.post(_clear_url(cancer_history), posted)
    second = alice_client.post(_clear_url(cancer_history), posted)
    assert first.status_code == second.status_code == 302
    assert RedFlagClearance.objects.count() == 1


def test_the_admin_shows_a_clinics_clearances_to_its_admin_only_and_never_edits_them(
    client, clinic, other_clinic, alice, cancer_history
):
    clearance = clear_red_flag(
        assessment=cancer_history,
        code="serious_pathology",
        evidence="history_clarified",
        note=NOTE,
        cleared_by=alice,
    )
    permissions = Permission.objects.filter(content_type__app_label="assessments")
    own = UserFactory(username="dana", clinic=clinic, clinic__role="clinic_admin", is_staff=True)
    other = UserFactory(username="olga", clinic=other_clinic, clinic__role="clinic_admin")
    other.is_staff = True
    other.save()
    for user in (own, other):
        user.user_permissions.set(permissions)
    change = reverse("admin:assessments_redflagclearance_change", args=[clearance.pk])
    client.force_login(own)
    page = client.get(change).content.decode()
    assert NOTE in page and 'name="note"' not in page  # view only
    assert client.get(reverse("admin:assessments_redflagclearance_add")).status_code == 403
    client.force_login(other)
    changelist = client.get(reverse("admin:assessments_redflagclearance_changelist"))
    assert "serious_pathology" not in changelist.content.decode()
    assert client.get(change).status_code == 302  # Django's "no such object" redirect


def test_the_patients_history_page_shows_the_clearance(alice_client, alice, cancer_history):
    clear_red_flag(
        assessment=cancer_history,
        code="serious_pathology",
        evidence="history_clarified",
        note=NOTE,
        cleared_by=alice,
    )
    url = reverse("patient_history", args=[cancer_history.patient.pk])
    page = alice_client.get(url).content.decode()
    assert "Red flag clearance" in page and NOTE in page
