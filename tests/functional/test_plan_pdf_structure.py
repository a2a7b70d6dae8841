"""The runner's handout is a tagged PDF a screen reader can follow (docs/accessibility.md).

WeasyPrint writes PDF/UA-1 (rehab/pdf/render.py); this reads the structure tree back with pypdf,
for the normal and the large-print handout: the language is set, headings start at H1 and never
skip a level, every figure has alternative text, and every table's data cell has its header
cells (the timeline and the pain scale are lists drawn as bands, not tables). Not checked yet
(docs/accessibility.md): reading order against the page.
"""

from __future__ import annotations

import io
import itertools

import pypdf
import pytest

from rehab.pdf import render_plan_pdf
from tests.rehab_factories import plan_for

pytestmark = pytest.mark.pdf


def _elements(node, found: list) -> list:
    """The structure elements depth-first, i.e. in the document's logical (reading) order."""
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, pypdf.generic.ArrayObject):
        for kid in node:
            _elements(kid, found)
    elif isinstance(node, pypdf.generic.DictionaryObject):
        if "/S" in node:
            found.append(node)
        if "/K" in node:
            _elements(node["/K"], found)
    return found


@pytest.mark.parametrize("large_print", [False, True], ids=["normal", "large-print"])
def test_the_handout_is_tagged_with_its_language_headings_in_order_and_figure_texts(
    patient, alice, large_print
):
    plan = plan_for(patient=patient, clinician=alice, phase=3)
    reader = pypdf.PdfReader(io.BytesIO(render_plan_pdf(plan=plan, large_print=large_print)))
    catalog = reader.trailer["/Root"]
    assert str(catalog.get("/Lang", "")).startswith("en")
    elements = _elements(catalog["/StructTreeRoot"]["/K"], [])
    kinds = [str(e["/S"]) for e in elements]
    headings = [int(kind[2]) for kind in kinds if kind in {f"/H{n}" for n in range(1, 7)}]
    assert headings and headings[0] == 1, kinds[:20]
    jumps = [(a, b) for a, b in itertools.pairwise(headings) if b > a + 1]
    assert not jumps, f"heading levels skipped: {jumps}"
    figures = [e for e in elements if str(e["/S"]) == "/Figure"]
    assert figures and all(str(figure.get("/Alt", "")).strip() for figure in figures)
    cells = [e for e in elements if str(e["/S"]) == "/TD"]
    headerless = [e for e in cells if not e.get("/A", {}).get("/Headers")]
    assert cells and not headerless, f"{len(headerless)} of {len(cells)} data cells have no header"
    lists = [e["/K"] for e in elements if str(e["/S"]) == "/L"]
    items = [
        sum(str(k.get_object()["/S"]) == "/LI" for k in kids)
        for kids in lists
        if isinstance(kids, pypdf.generic.ArrayObject)
    ]
    assert 11 in items  # the pain scale, 0 to 10, is read as a list
