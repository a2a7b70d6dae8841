"""PDFs printed from a signed assessment: the clinical note for the chart (issue 14), and the
refer-first hand-over (issue 11) when its plan is refused. Login, clinic scope and the read
audit come from the middleware and the selectors; like the plan preview, nothing is stored, so
any method just renders."""

from django.http import HttpResponse

from rehab.clinical_note import get_signed_assessment_for_user
from rehab.pdf.referral import (
    render_clinical_note_pdf,
    render_refer_letter_pdf,
    render_refer_runner_pdf,
)
from rehab.referral import get_refusal_for_user


def _pdf(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def refer_runner_pdf(request, pk):
    """The runner's page: what to do until a doctor has seen them."""
    refusal = get_refusal_for_user(user=request.user, pk=pk)
    return _pdf(render_refer_runner_pdf(refusal=refusal), f"until-seen-{pk}.pdf")


def refer_letter_pdf(request, pk):
    """The referral letter for the doctor."""
    refusal = get_refusal_for_user(user=request.user, pk=pk)
    return _pdf(render_refer_letter_pdf(refusal=refusal), f"referral-{pk}.pdf")


def clinical_note_pdf(request, pk):
    """The signed assessment as a clinical note for the patient's chart."""
    assessment = get_signed_assessment_for_user(user=request.user, pk=pk)
    return _pdf(render_clinical_note_pdf(assessment=assessment), f"clinical-note-{pk}.pdf")
