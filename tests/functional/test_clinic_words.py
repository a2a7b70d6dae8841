"""Issue 14: every page a person reads speaks the clinic's words, never the vocabulary's codes.

The scan reads what a person sees (text, and the title / aria-label / alt / placeholder a
browser shows or speaks), not attribute values a form posts, and fails on any code of the
vocabulary: a choice value, a field name or a cause code written with "_", or a knowledge
version hash. The patient's history of changes is scanned for vocabulary codes only: it is
the audit trail, and which knowledge made a plan is part of what it records.
"""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from assessments.vocabulary import load_vocabulary
from tests.factories import AssessmentFactory, UserFactory
from tests.rehab_factories import as_posted, plan_for, signed_assessment

VOCABULARY = load_vocabulary()
CHOICE_CODES = {v for f in VOCABULARY.fields for v in f.allowed_values if "_" in v}
CODES = (
    CHOICE_CODES
    | {f.name for f in VOCABULARY.fields if "_" in f.name}
    | {c.code for c in VOCABULARY.causes if "_" in c.code}
)
KNOWLEDGE_VERSION = re.compile(r"\d+(?:\.\d+)+\+[0-9a-f]{6,}")

# Every choice value with "_" recorded at once (a set holds several), tendinopathy-like enough
# to rank, with red flags answered so the signed page has a complete screen.
EVERY_CODE = {
    "onset": "sudden_sprint",
    "pain_locations": ["sit_bone", "deep_buttock", "mid_thigh", "posterior_knee_medial",
                       "posterior_knee_lateral", "lower_back"],
    "recent_load_changes": ["return_from_break", "new_surface_or_shoes"],
    "pain_qualities": ["deep_throb", "ache"],
    "run_response": "warms_up",
    "stretch_response": "no_change",
    "hop_test": "not_done_unsafe",
    "resisted_knee_flexion": "painful_and_weak",
    "aggravated_by_sitting": True,
    "sit_bone_tenderness": True,
    "bent_knee_stretch": "positive",
    "pain_run_nrs": 6,
}  # fmt: skip


class _ReadText(HTMLParser):
    SHOWN_ATTRIBUTES = {"title", "aria-label", "alt", "placeholder"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        self.parts += [v for k, v in attrs if k in self.SHOWN_ATTRIBUTES and v]

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def read_text(html: str) -> str:
    parser = _ReadText()
    parser.feed(html)
    return " ".join(parser.parts)


def codes_in(html: str, *, versions: bool = True) -> list[str]:
    text = read_text(html)
    found = sorted(code for code in CODES if re.search(rf"\b{re.escape(code)}\b", text))
    return found + (KNOWLEDGE_VERSION.findall(text) if versions else [])


def test_the_scan_finds_a_code_a_person_would_read_and_ignores_posted_values():
    assert codes_in('<p title="x">Onset: sudden_sprint</p>') == ["sudden_sprint"]
    assert codes_in('<abbr title="knowledge 1.1.1+d336f962ed">v</abbr>') == ["1.1.1+d336f962ed"]
    assert codes_in('<input name="pain_locations" value="sit_bone"><label>Sit bone</label>') == []


@pytest.fixture
def staff_client(client, clinic):
    user = UserFactory(username="dana", clinic=clinic, clinic__role="clinic_admin", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="assessments"))
    client.force_login(user)
    return client


def _get(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_no_page_of_the_assessment_shows_a_code(alice_client, staff_client, patient, alice):
    draft = AssessmentFactory(patient=patient, clinician=alice, **EVERY_CODE)
    signed = signed_assessment(patient=patient, clinician=alice, findings=EVERY_CODE)
    plan = plan_for(patient=patient, clinician=alice)  # its own (tendinopathy) assessment
    preview = alice_client.post(
        reverse("assessment_preview", args=[patient.pk]),
        {**as_posted(EVERY_CODE), "pain_run_nrs": "14"},  # a field in error is named too
        HTTP_HX_REQUEST="true",
    )
    pages = {
        "new form": _get(alice_client, reverse("assessment_create", args=[patient.pk])),
        "draft form": _get(alice_client, reverse("assessment_edit", args=[draft.pk])),
        "draft": _get(alice_client, reverse("assessment_detail", args=[draft.pk])),
        "signed": _get(alice_client, reverse("assessment_detail", args=[signed.pk])),
        "panel": preview.content.decode(),
        "plan": _get(alice_client, plan.get_absolute_url()),
        "patient": _get(alice_client, patient.get_absolute_url()),
        "history": _get(alice_client, reverse("patient_history", args=[patient.pk])),
        "admin draft": _get(
            staff_client, reverse("admin:assessments_assessment_change", args=[draft.pk])
        ),
        "admin signed": _get(
            staff_client, reverse("admin:assessments_assessment_change", args=[signed.pk])
        ),
    }
    # The pages really hold these findings, in words.
    assert "Suddenly, while sprinting" in read_text(pages["signed"])
    assert "Back of the knee, inner side" in read_text(pages["admin signed"])
    assert "Not done: unsafe" in read_text(pages["admin draft"])
    assert "Worst pain while running, 0-10" in read_text(pages["panel"])
    assert "Deep throbbing, Ache" in read_text(pages["history"])
    found = {name: codes_in(html, versions=name != "history") for name, html in pages.items()}
    assert found == {name: [] for name in pages}
