"""Rendering: the plan template to HTML, and HTML to a tagged PDF with the locked-down fetcher.

The same plan renders to the same bytes: the PDF's dates come from the plan, never the clock,
and the document carries no random identifier. Issued PDFs are stored as bytes
(``IssuedDocument``), so a later re-render never changes what the patient was given.
"""

from __future__ import annotations

import weasyprint
from django.template.loader import render_to_string

from rehab.models import Plan

from .context import plan_pdf_context
from .fetcher import ASSET_BASE_URL, StaticAssetFetcher

TEMPLATE = "rehab/pdf/plan.html"
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1"}  # tagged, with the document language and title


def render_plan_html(
    *, plan: Plan, large_print: bool = False, base_url: str = "", for_link: bool = False
) -> str:
    context = plan_pdf_context(
        plan=plan, large_print=large_print, base_url=base_url, for_link=for_link
    )
    return render_to_string(TEMPLATE, context)


def render_plan_pdf(
    *, plan: Plan, large_print: bool = False, base_url: str = "", for_link: bool = False
) -> bytes:
    return html_to_pdf(
        render_plan_html(plan=plan, large_print=large_print, base_url=base_url, for_link=for_link)
    )


def html_to_pdf(html: str) -> bytes:
    """WeasyPrint on rendered plan HTML: tagged PDF/UA-1, static assets only."""
    return laid_out_plan(html).write_pdf(**PDF_OPTIONS)


def laid_out_plan(html: str) -> weasyprint.document.Document:
    """The plan HTML laid out in pages (what ``html_to_pdf`` writes), for measuring."""
    return weasyprint.HTML(
        string=html, base_url=ASSET_BASE_URL, url_fetcher=StaticAssetFetcher()
    ).render(**PDF_OPTIONS)


def split_cards(document: weasyprint.document.Document) -> list[str]:
    """The cards (exercise, activity, running, rules) laid out on more than one page, by their
    heading: a card is printed whole, so the runner never turns a page mid-exercise."""
    pages_of: dict[object, set[int]] = {}
    names: dict[object, str] = {}
    for number, page in enumerate(document.pages):
        for box in page._page_box.descendants():  # WeasyPrint's layout tree
            element = getattr(box, "element", None)
            if element is None or "card" not in (element.get("class") or "").split():
                continue
            pages_of.setdefault(element, set()).add(number)
            heading = element.find(".//h3")
            names[element] = "".join(heading.itertext()) if heading is not None else "card"
    return [names[element] for element, pages in pages_of.items() if len(pages) > 1]
