"""The refer-first hand-over (issue 11): two PDFs under a signed assessment whose plan is
refused. Login, clinic scope and the read audit come from the middleware and the selector;
like the plan preview, nothing is stored, so any method just renders."""

from django.http import HttpResponse

from rehab.pdf.referral import render_refer_letter_pdf, render_refer_runner_pdf
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
