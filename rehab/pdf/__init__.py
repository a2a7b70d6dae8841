"""The patient's plan as a printable, accessible PDF (WeasyPrint over a Django template).

Public API:

* ``plan_pdf_context(*, plan, large_print=False, base_url=None) -> dict``: everything the
  template needs, in two database queries (``context``).
* ``render_plan_html(...) -> str``, ``render_plan_pdf(...) -> bytes`` and ``html_to_pdf(html)``:
  WeasyPrint alone, with the locked-down fetcher (``render``).
* ``StaticAssetFetcher`` and ``PdfAssetRefused``: the only URL fetcher the renderer uses, which
  serves the project's static files and refuses everything else (``fetcher``).

No clinical rule lives here: the decisions and their texts come from the plan engine
(``rehab.engine``) and its knowledge files.
"""

from .context import plan_pdf_context
from .fetcher import ASSET_BASE_URL, PdfAssetRefused, StaticAssetFetcher
from .render import TEMPLATE, html_to_pdf, render_plan_html, render_plan_pdf

__all__ = [
    "ASSET_BASE_URL",
    "TEMPLATE",
    "PdfAssetRefused",
    "StaticAssetFetcher",
    "html_to_pdf",
    "plan_pdf_context",
    "render_plan_html",
    "render_plan_pdf",
]
