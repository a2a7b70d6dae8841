"""The one-off clinical documents as PDFs: the refer-first hand-over (the runner's page and the
doctor's letter) and the signed assessment's clinical note.

Same renderer as the plan (``html_to_pdf``: tagged PDF/UA-1, static assets only); the words
come from ``rehab.referral``. Rendered on demand, never stored.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from rehab.clinical_note import clinical_note_context
from rehab.referral import Refusal, letter_context, runner_context

from .context import PAGE_SIZES
from .render import html_to_pdf

RUNNER_TEMPLATE = "rehab/pdf/refer_runner.html"
LETTER_TEMPLATE = "rehab/pdf/refer_letter.html"
CLINICAL_NOTE_TEMPLATE = "rehab/pdf/clinical_note.html"


def _page_size(context: dict) -> dict:
    return {**context, "page_size": PAGE_SIZES.get(context["page_size"], "A4")}


def render_clinical_note_pdf(*, assessment) -> bytes:
    return html_to_pdf(
        render_to_string(CLINICAL_NOTE_TEMPLATE, _page_size(clinical_note_context(assessment)))
    )


def render_refer_runner_pdf(*, refusal: Refusal) -> bytes:
    return html_to_pdf(render_to_string(RUNNER_TEMPLATE, _page_size(runner_context(refusal))))


def render_refer_letter_pdf(*, refusal: Refusal) -> bytes:
    return html_to_pdf(render_to_string(LETTER_TEMPLATE, _page_size(letter_context(refusal))))
