"""The refer-first hand-over (issue 11): when the plan is refused, the PT prints a page for the
runner (what to do until seen) and a letter for the doctor, both read back here with pypdf.

Both exist only while the plan is refused: another clinic's assessment, one with no flag and
one whose flags were cleared are 404s.
"""

import io
import re

import pypdf
import pytest
from django.urls import reverse

from assessments.services import clear_red_flag
from clinic.knowledge import red_flags
from clinic.models import AccessEvent
from tests.rehab_factories import PHT_FINDINGS, signed_assessment


@pytest.fixture
def saddle(patient, alice):
    """Saddle numbness and a cancer history: cauda_equina (emergency) and serious_pathology."""
    return signed_assessment(
        patient=patient,
        clinician=alice,
        findings={**PHT_FINDINGS, "saddle_numbness": True, "cancer_history": True},
    )


@pytest.fixture
def bone(patient, alice):
    """Bony tenderness: suspected_bone_stress_injury (urgent, not an emergency)."""
    return signed_assessment(
        patient=patient, clinician=alice, findings={**PHT_FINDINGS, "bony_tenderness": True}
    )


def _url(name, assessment):
    return reverse(name, args=[assessment.pk])


def _read(response) -> tuple[pypdf.PdfReader, str]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, re.sub(r"\s+", " ", text)


def test_the_refusal_panel_links_both_documents(alice_client, saddle, patient):
    page = alice_client.get(saddle.get_absolute_url()).content.decode()
    refusal = page[page.index('id="refer-first"') :]
    assert _url("refer_runner_pdf", saddle) in refusal
    assert _url("refer_letter_pdf", saddle) in refusal


def test_a_plan_that_is_not_refused_shows_no_hand_over(alice_client, patient, alice):
    signed = signed_assessment(patient=patient, clinician=alice)
    page = alice_client.get(signed.get_absolute_url()).content.decode()
    assert "/refer/" not in page


@pytest.mark.pdf
def test_the_runners_page_is_one_page_first_name_emergency_signs_and_clinic_phone(
    alice_client, saddle, patient
):
    reader, text = _read(alice_client.get(_url("refer_runner_pdf", saddle)))
    assert len(reader.pages) == 1
    assert "Rosa" in text and "Runner" not in text  # first name only
    registry = red_flags()
    assert registry.referral.emergency in text
    for sign in registry.get("cauda_equina").signs:
        assert sign.text in text
    assert registry.get("cauda_equina").runner in text  # "Go to the emergency department now"
    assert registry.referral.stop in text
    for avoid in registry.get("cauda_equina").referral.avoid:
        assert avoid in text
    assert patient.clinic.name in text and patient.clinic.phone in text


@pytest.mark.pdf
def test_an_urgent_flag_lists_its_signs_for_today_not_as_an_emergency(alice_client, bone):
    _, text = _read(alice_client.get(_url("refer_runner_pdf", bone)))
    registry = red_flags()
    assert registry.get("suspected_bone_stress_injury").runner in text
    assert "Do not hop or jump on the leg." in text
    assert registry.referral.emergency not in text  # no emergency flag, none watched for


@pytest.mark.pdf
def test_the_runners_page_stays_one_page_with_every_flag_raised(alice_client, patient, alice):
    everything = {
        **PHT_FINDINGS,
        "saddle_numbness": True,
        "bladder_or_bowel_change": True,
        "leg_swelling_warmth": True,
        "cancer_history": True,
        "fever_or_unwell": True,
        "progressive_weakness": True,
        "palpable_defect": True,
        "bony_tenderness": True,
    }
    assessment = signed_assessment(patient=patient, clinician=alice, findings=everything)
    assert set(red_flags().flags) == {f["code"] for f in assessment.raised_red_flags()}
    reader, _ = _read(alice_client.get(_url("refer_runner_pdf", assessment)))
    assert len(reader.pages) == 1


@pytest.mark.pdf
def test_the_letter_names_the_patient_triggers_urgency_and_question(alice_client, saddle, alice):
    alice.first_name, alice.last_name = "Alice", "Physio"
    alice.save()
    reader, text = _read(alice_client.get(_url("refer_letter_pdf", saddle)))
    assert len(reader.pages) == 1  # two flags, fourteen findings: one page
    patient = saddle.patient
    assert "Rosa Runner" in text
    assert patient.date_of_birth.strftime("%-d %B %Y") in text
    assert patient.record_number in text
    assert "Emergency" in text and red_flags().referral.urgency["emergency"] in text
    cauda = red_flags().get("cauda_equina")
    assert cauda.name in text and cauda.referral.question in text
    assert red_flags().get("serious_pathology").referral.question in text
    # The triggers, in the vocabulary's words, from the ranking the PT signed.
    assert "numbness" in text.lower() and "cancer" in text.lower()
    assert saddle.ranking_at_signing["causes"][0]["name"] in text
    assert "Alice Physio" in text and saddle.patient.clinic.phone in text


@pytest.mark.pdf
def test_the_letter_for_an_urgent_flag_says_soon(alice_client, bone):
    _, text = _read(alice_client.get(_url("refer_letter_pdf", bone)))
    assert red_flags().referral.urgency["soon"] in text
    assert "femoral neck stress fracture" in text
    assert red_flags().referral.urgency["emergency"] not in text


@pytest.mark.parametrize("name", ["refer_runner_pdf", "refer_letter_pdf"])
def test_another_clinic_gets_404(client, charlie, saddle, name):
    client.force_login(charlie)
    assert client.get(_url(name, saddle)).status_code == 404


@pytest.mark.parametrize("name", ["refer_runner_pdf", "refer_letter_pdf"])
def test_an_assessment_whose_plan_is_not_refused_is_404(
    alice_client, patient, alice, assessment, name
):
    signed = signed_assessment(patient=patient, clinician=alice)
    assert alice_client.get(_url(name, signed)).status_code == 404
    assert alice_client.get(_url(name, assessment)).status_code == 404  # a draft


@pytest.mark.parametrize("name", ["refer_runner_pdf", "refer_letter_pdf"])
def test_once_the_flag_is_cleared_there_is_nothing_to_hand_over(alice_client, bone, alice, name):
    clear_red_flag(
        assessment=bone,
        code="suspected_bone_stress_injury",
        evidence="imaging_result",
        note="MRI: no bone stress injury.",
        cleared_by=alice,
    )
    assert alice_client.get(_url(name, bone)).status_code == 404


@pytest.mark.pdf
def test_printing_the_letter_is_recorded_as_a_read_of_the_assessment(alice_client, alice, saddle):
    alice_client.get(_url("refer_letter_pdf", saddle))
    event = AccessEvent.objects.get()
    assert (event.user, event.what, event.object_id) == (alice, "assessment", saddle.pk)
    assert event.view == "refer_letter_pdf"


@pytest.mark.pdf
def test_an_avulsion_working_diagnosis_without_a_flag_gets_the_avulsion_hand_over(
    alice_client, patient, alice
):
    """Refused by the diagnosis alone: the registry entry that speaks for it gives the words."""
    assessment = signed_assessment(
        patient=patient,
        clinician=alice,
        working_diagnosis="proximal_hamstring_avulsion",
        reason="Felt a pop at the sit bone sprinting; large bruise.",
    )
    assert assessment.raised_red_flags() == []
    avulsion = red_flags().for_diagnosis("proximal_hamstring_avulsion")
    _, runner = _read(alice_client.get(_url("refer_runner_pdf", assessment)))
    assert avulsion.runner in runner and "Do not stretch the leg." in runner
    _, letter = _read(alice_client.get(_url("refer_letter_pdf", assessment)))
    assert avulsion.referral.question in letter
    assert "Working diagnosis: Proximal hamstring avulsion" in letter
    assert red_flags().referral.urgency["soon"] in letter
