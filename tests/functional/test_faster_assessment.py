"""Issue 14 item 3, a faster assessment: a core screen with the other sections folded until
used, a free-text clinical note, weights said in words, the signed record showing answers
only, and the panel's summary within reach on narrow screens."""

import json
import math
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from assessments.differential.panel import weight_in_words
from assessments.models import Assessment, SignedAssessmentError
from assessments.services import assessment_amend
from assessments.vocabulary import load_vocabulary
from records.export import patient_record
from records.services import patient_anonymise
from tests.factories import UserFactory
from tests.rehab_factories import PHT_FINDINGS, as_posted, signed_assessment

VISIT = {"assessed_on": "2026-11-20", "side": "right"}
SUBJECTIVE = "Sore after the Sunday long run; sits all day at work."
PLAN = "Load the tendon, no hills for two weeks, review in 10 days."


def _opening_tags(page: str) -> dict[str, str]:
    """Each section's opening tag by its id, in page order (a <fieldset> is always open)."""
    tags = re.findall(r'(<(?:details|fieldset)[^>]*id="(section-[a-z_]+)"[^>]*>)', page)
    return {section: tag for tag, section in tags}


def _form(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- The core screen first, the rest on demand -------------------------------------------


def test_a_new_assessment_opens_on_the_core_screen_and_folds_the_rest(alice_client, patient):
    page = _form(alice_client, reverse("assessment_create", args=[patient.pk]))
    tags = _opening_tags(page)
    order = list(tags)
    assert order[:3] == ["section-core", "section-running", "section-red_flags"]
    for core in order[:3]:
        assert tags[core].startswith("<fieldset")
    for folded in ("section-runner", "section-history", "section-behaviour", "section-examination"):
        assert tags[folded].startswith("<details") and " open" not in tags[folded]
    # Onset and pain location sit on the core screen, not again in their folded section.
    core = page[page.index('id="section-core"') : page.index('id="section-running"')]
    assert 'name="onset"' in core and 'name="pain_locations"' in core
    assert page.count('name="onset" value="gradual"') == 1
    # The age prefilled from the date of birth is in the form, its section still folded.
    assert 'name="age" value="' in page and "2 of 8 answered" in page


def test_a_section_opens_when_it_holds_an_answer(alice_client, assessment):
    assessment.bent_knee_stretch = "positive"
    assessment.save()
    tags = _opening_tags(_form(alice_client, reverse("assessment_edit", args=[assessment.pk])))
    assert " open" in tags["section-examination"]
    assert " open" not in tags["section-behaviour"]


def test_a_section_opens_on_an_error_and_keeps_what_was_typed(alice_client, patient):
    data = {**VISIT, "weekly_distance_km": "9000", "onset": "gradual"}
    response = alice_client.post(reverse("assessment_create", args=[patient.pk]), data)
    page = response.content.decode()
    assert response.status_code == 200 and not Assessment.objects.exists()
    assert "weekly_distance_km" in response.context["form"].errors
    tags = _opening_tags(page)
    assert " open" in tags["section-runner"] and "1 to correct" in page
    assert 'value="9000"' in page


def test_folded_sections_are_still_saved_and_ranked(alice_client, patient):
    # A folded <details> keeps its inputs in the form: the POST and htmx's hx-include send them.
    data = {**VISIT, **as_posted(PHT_FINDINGS)}
    response = alice_client.post(reverse("assessment_create", args=[patient.pk]), data)
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.sit_bone_tenderness is True and assessment.bent_knee_stretch == "positive"
    preview = alice_client.post(
        reverse("assessment_preview", args=[patient.pk]), data, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert re.search(r'data-cause="(\w+)"', preview).group(1) == "proximal_hamstring_tendinopathy"


def test_the_live_panel_still_reads_the_whole_form(alice_client, patient):
    page = _form(alice_client, reverse("assessment_create", args=[patient.pk]))
    assert 'hx-include="#assessment-form"' in page
    assert page.count("<details") >= 4
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no script of our own: CSP holds


# --- The clinical note ---------------------------------------------------------------------


def test_the_note_is_saved_edited_and_kept_in_the_history(alice_client, patient):
    url = reverse("assessment_create", args=[patient.pk])
    alice_client.post(url, {**VISIT, "note_subjective": SUBJECTIVE})
    assessment = Assessment.objects.get()
    assert (assessment.note_subjective, assessment.note_plan) == (SUBJECTIVE, "")
    edit = alice_client.post(
        reverse("assessment_edit", args=[assessment.pk]),
        {**VISIT, "version": assessment.version, "note_subjective": SUBJECTIVE, "note_plan": PLAN},
    )
    assert edit.status_code == 302
    assessment.refresh_from_db()
    assert assessment.note_plan == PLAN
    notes = [(h.note_subjective, h.note_plan) for h in assessment.history.order_by("history_id")]
    assert notes == [(SUBJECTIVE, ""), (SUBJECTIVE, PLAN)]
    assert assessment.history.latest().history_user.username == "alice"


def test_a_note_too_long_is_named_and_nothing_is_saved(alice_client, patient):
    data = {**VISIT, "note_plan": "x" * 5001, "note_subjective": SUBJECTIVE}
    response = alice_client.post(reverse("assessment_create", args=[patient.pk]), data)
    assert "note_plan" in response.context["form"].errors
    assert not Assessment.objects.exists()
    assert SUBJECTIVE in response.content.decode()


def test_the_signed_record_shows_the_note_escaped_and_refuses_changes(alice_client, patient, alice):
    signed = signed_assessment(
        patient=patient, clinician=alice, note_subjective="<b>Pain</b>\nsince May", note_plan=PLAN
    )
    page = _form(alice_client, reverse("assessment_detail", args=[signed.pk]))
    note = page[page.index('id="clinical-note"') :]
    assert "&lt;b&gt;Pain&lt;/b&gt;\nsince May" in note and PLAN in note
    signed.note_plan = "Rewritten"
    with pytest.raises(SignedAssessmentError):
        signed.save()
    # An amendment starts from the signed note.
    assert assessment_amend(assessment=signed, clinician=alice).note_plan == PLAN


def test_the_note_is_exported_and_blanked_by_erasure(patient, alice, clinic):
    signed = signed_assessment(
        patient=patient, clinician=alice, note_subjective=SUBJECTIVE, note_plan=PLAN
    )
    exported = json.dumps(patient_record(patient=patient))
    assert SUBJECTIVE in exported and PLAN in exported
    admin = UserFactory(username="dana", clinic=clinic, clinic__role="clinic_admin")
    patient_anonymise(patient=patient, by=admin, reason="Written request")
    signed = Assessment.objects.get(pk=signed.pk)
    assert (signed.note_subjective, signed.note_plan) == ("", "")
    assert not signed.history.exclude(note_subjective="", note_plan="").exists()
    assert signed.bent_knee_stretch == "positive"  # the clinical findings stay


# --- Weights in words ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lr", "words"),
    [
        (4.0, "makes this cause about 4 times as likely"),
        (2.1, "makes this cause about twice as likely"),
        (1.4, "makes this cause a little more likely"),
        (1.1, "hardly changes how likely this cause is"),
        (0.5, "makes this cause about half as likely"),
        (0.26, "makes this cause about a quarter as likely"),
        (0.05, "makes this cause about 1/20 as likely"),
    ],
)
def test_a_weight_is_said_from_its_likelihood_ratio(lr, words):
    assert weight_in_words(math.log(lr)) == words


def test_the_panel_says_each_weight_in_words_with_its_source_on_tap(alice_client, patient):
    page = alice_client.post(
        reverse("assessment_preview", args=[patient.pk]),
        as_posted(PHT_FINDINGS),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert not re.search(r"\(-?\d+\.\d\d; ", page)  # the old "(1.39; EST: …)"
    reasons = re.findall(
        r'<details class="weight"><summary>(makes this cause [^<]+|hardly [^<]+)</summary>'
        r'<span class="text-muted">((?:Estimated here|Source)[^<]+)</span></details>',
        page,
    )
    assert len(reasons) >= 4
    assert "Palpation at the ischial tuberosity (sit bone) reproduces the familiar pain" in page


# --- The signed record: answers first, the not-asked folded --------------------------------


def test_the_signed_record_lists_answers_and_folds_what_was_not_asked(alice_client, patient, alice):
    signed = signed_assessment(patient=patient, clinician=alice, felt_pop=False)
    page = _form(alice_client, reverse("assessment_detail", args=[signed.pk]))
    findings = page[page.index('id="findings"') : page.index('id="not-asked"')]
    recorded = len(signed.to_findings())
    assert recorded >= len(PHT_FINDINGS) + 1
    assert findings.count("<dt ") == recorded
    assert "Not asked" not in findings and "Not tested" not in findings
    assert "Felt or heard a pop at onset" in findings
    folded = page[page.index('id="not-asked"') :]
    not_asked = len(load_vocabulary().fields) - recorded
    assert f"<summary>{not_asked} questions not asked</summary>" in folded
    assert "Slump test reproduces symptoms" in folded


# --- The panel within reach on a tablet or phone -------------------------------------------


def test_the_panel_carries_a_summary_that_jumps_to_it(alice_client, patient):
    page = alice_client.post(
        reverse("assessment_preview", args=[patient.pk]),
        {**as_posted(PHT_FINDINGS), "saddle_numbness": "True", "bladder_or_bowel_change": "True"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    summary = page[page.index('id="panel-summary"') : page.index("</a>")]
    assert 'href="#differential-heading"' in page[: page.index("</a>")]
    top = re.search(r'data-cause="\w+" data-band="(\w+)"', page).group(1)
    assert "Proximal hamstring tendinopathy (sit bone)" in summary and top in summary
    assert "1 red flag" in summary
    empty = alice_client.post(
        reverse("assessment_preview", args=[patient.pk]), {}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Not enough information yet" in empty[: empty.index("</a>")]


def test_the_summary_is_a_fixed_bar_only_below_the_large_breakpoint():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "app.css").read_text()
    narrow = css[css.index("@media (max-width: 991.98px)") :]
    assert re.search(r"\.panel-summary \{ display: none; \}", css)
    assert re.search(r"\.panel-summary \{[^}]*position: fixed;[^}]*bottom: 0;", narrow)


# --- The admin asks the findings as the app does -------------------------------------------


def test_the_admin_edits_a_draft_in_the_clinic_words(admin_client, assessment):
    url = reverse("admin:assessments_assessment_change", args=[assessment.pk])
    page = admin_client.get(url).content.decode()
    assert "Back of the knee, inner side" in page and "Posterior knee medial" not in page
    assert "Unknown" not in page and "Not asked" in page
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data |= {"pain_locations": ["sit_bone", "mid_thigh"], "felt_pop": "False", "slump_test": ""}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assessment.refresh_from_db()
    assert assessment.pain_locations == ["sit_bone", "mid_thigh"]
    assert (assessment.felt_pop, assessment.slump_test) == (False, None)
