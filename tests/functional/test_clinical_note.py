"""The signed assessment printed as a clinical note for the chart, read back from the PDF."""

import io
import re

import pypdf
import pytest
from django.urls import reverse

from assessments.models import RedFlagClearance
from assessments.services import clear_red_flag
from rehab.services import plan_create
from tests.rehab_factories import PHT_FINDINGS, signed_assessment


def _text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


@pytest.fixture
def signed(patient, alice):
    assessment = signed_assessment(
        patient=patient, clinician=alice, findings={**PHT_FINDINGS, "cancer_history": True}
    )
    clear_red_flag(
        assessment=assessment,
        code="serious_pathology",
        evidence=RedFlagClearance.Evidence.HISTORY,
        note="Treated in 2005, discharged by oncology in 2010.",
        cleared_by=alice,
    )
    plan_create(assessment=assessment, clinician=alice)
    return assessment


@pytest.mark.pdf
def test_the_note_holds_what_the_chart_needs(alice_client, signed, patient):
    page = alice_client.get(signed.get_absolute_url()).content.decode()
    url = reverse("clinical_note_pdf", args=[signed.pk])
    assert url in page
    text = _text(alice_client.get(url))
    assert f"{patient.first_name} {patient.last_name}" in text
    assert patient.record_number in text
    assert "Pain when sitting" in text or "sitting" in text.lower()  # a finding, in words
    assert signed.get_working_diagnosis_display() in text
    top = signed.ranking_at_signing["causes"][0]["name"]
    assert top in text
    assert "Cleared by" in text and "discharged by oncology in 2010" in text
    assert "plan from" in text  # the plan built from it
    assert "Signed by" in text
    for code in ("serious_pathology", "proximal_hamstring_tendinopathy", "sit_bone"):
        assert code not in text  # the chart reads words, not codes


def test_a_draft_has_no_note_and_another_clinic_gets_404(client, alice_client, charlie, assessment):
    assert alice_client.get(reverse("clinical_note_pdf", args=[assessment.pk])).status_code == 404
    client.force_login(charlie)
    assert client.get(reverse("clinical_note_pdf", args=[assessment.pk])).status_code == 404
