"""Each protocol's printed plan speaks only of its own tissue (issue 11: patient words).

The phase-1 PDF of every protocol that gives a plan is rendered and read back with pypdf; none
of another tissue's key words may appear in it. The key words are the ones that name a
tissue's problem; words every plan shares (hamstring, hip, pain, muscle) are left out.
"""

import io
import re

import pypdf
import pytest

from rehab import engine
from rehab.pdf import render_plan_pdf
from rehab.pdf.context import used_glossary
from tests.rehab_factories import plan_for

KEY_WORDS = {
    "tendon": ("tendon", "tendinopathy"),
    "strain": ("muscle tear", "strain"),
    "nerve": ("nerve", "sciatic"),
    "bone": ("bone stress", "fracture", "stress injury"),
    "joint": ("hip joint",),
}

PLANNED = [p.diagnosis for p in engine.knowledge().protocols.values() if not p.refer_first]


def leaked(text: str, tissue: str) -> dict[str, list[str]]:
    """Another tissue's key words found in ``text``, with a few words around each."""
    flat = re.sub(r"\s+", " ", text).lower()
    found: dict[str, list[str]] = {}
    for other, words in KEY_WORDS.items():
        if other == tissue:
            continue
        for word in words:
            for match in re.finditer(rf"\b{re.escape(word)}", flat):
                found.setdefault(word, []).append(
                    flat[max(0, match.start() - 60) : match.end() + 60]
                )
    return found


def test_every_tissue_of_the_knowledge_has_key_words():
    assert set(KEY_WORDS) == set(engine.knowledge().tissues)


def test_the_leak_check_finds_a_leak():
    assert leaked("Keep the tendon calm.", "bone") and not leaked("Keep the tendon calm.", "tendon")


@pytest.mark.pdf
@pytest.mark.parametrize("diagnosis", PLANNED)
def test_a_plan_pdf_uses_no_other_tissues_words(diagnosis, patient, alice):
    plan = plan_for(
        patient=patient, clinician=alice, working_diagnosis=diagnosis, reason="Test: this cause."
    )
    assert plan.diagnosis == diagnosis
    reader = pypdf.PdfReader(io.BytesIO(render_plan_pdf(plan=plan)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert text.strip()
    assert not leaked(text, engine.protocol(diagnosis).tissue), leaked(
        text, engine.protocol(diagnosis).tissue
    )


def test_the_glossary_keeps_only_the_terms_the_document_uses():
    text = "Rest the bone stress injury. Do 3 sets of 10 reps."
    kept = dict(used_glossary("bone_stress_injury", text))
    assert "Bone stress injury" in kept and "Set and repetition (rep)" in kept
    assert "Tendon" not in kept and "Cleared to run" not in kept
