import re

from django.urls import reverse

from assessments.models import Assessment

VISIT = {"assessed_on": "2026-11-25", "side": "left"}


def test_new_assessment_saves_findings_and_leaves_unasked_ones_null(alice_client, patient):
    data = {
        **VISIT,
        "age": "41",
        "aggravated_by_sitting": "True",
        "felt_pop": "False",
        "pain_locations": ["sit_bone", "deep_buttock"],
        "pain_qualities": ["none_of_these"],
        "bent_knee_stretch": "positive",
        "onset": "gradual",
    }
    response = alice_client.post(reverse("assessment_create", args=[patient.pk]), data)
    assessment = Assessment.objects.get()
    assert response.status_code == 302
    assert assessment.to_findings() == {
        "age": 41,
        "aggravated_by_sitting": True,
        "felt_pop": False,
        "pain_locations": ["sit_bone", "deep_buttock"],
        "pain_qualities": [],
        "bent_knee_stretch": "positive",
        "onset": "gradual",
    }
    assert assessment.slump_test is None and assessment.back_pain is None


def test_out_of_range_value_is_named_at_the_field_and_nothing_typed_is_lost(alice_client, patient):
    data = {**VISIT, "age": "41", "pain_run_nrs": "12", "pain_locations": ["sit_bone"],
            "bent_knee_stretch": "positive"}  # fmt: skip
    response = alice_client.post(reverse("assessment_create", args=[patient.pk]), data)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["pain_run_nrs"]
    page = response.content.decode()
    assert "Worst pain while running, 0-10" in page
    assert "less than or equal to 10" in page
    assert 'value="41"' in page
    assert re.search(r'name="pain_locations" value="sit_bone"\s+id="[\w_]+" checked', page)
    assert re.search(r'name="bent_knee_stretch" value="positive"\s+id="[\w_]+" checked', page)
    assert not Assessment.objects.exists()


def test_none_of_these_cannot_be_ticked_with_a_location(alice_client, patient):
    data = {**VISIT, "pain_locations": ["sit_bone", "none_of_these"]}
    response = alice_client.post(reverse("assessment_create", args=[patient.pk]), data)
    assert "pain_locations" in response.context["form"].errors


def test_form_groups_questions_in_vocabulary_sections(alice_client, patient):
    page = alice_client.get(reverse("assessment_create", args=[patient.pk])).content.decode()
    for title in [
        "The runner",
        "Onset and course",
        "Screening for serious pathology",
        "Examination",
    ]:
        assert title in page
    assert "Not tested" in page and "Not asked" in page


def test_signing_freezes_the_assessment_and_edit_redirects(alice_client, assessment):
    alice_client.post(reverse("assessment_sign", args=[assessment.pk]))
    assessment.refresh_from_db()
    assert assessment.is_signed and assessment.signed_by.username == "alice"
    response = alice_client.post(reverse("assessment_edit", args=[assessment.pk]), {**VISIT})
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.side == "right"


def test_amend_creates_a_linked_draft(alice_client, assessment, alice):
    alice_client.post(reverse("assessment_sign", args=[assessment.pk]))
    response = alice_client.post(reverse("assessment_amend", args=[assessment.pk]))
    amendment = Assessment.objects.get(amends=assessment)
    assert response.url == reverse("assessment_edit", args=[amendment.pk])
    assert amendment.status == "draft"


def test_detail_page_shows_not_asked_distinctly_from_no(alice_client, assessment):
    assessment.felt_pop = False
    assessment.save()
    page = alice_client.get(reverse("assessment_detail", args=[assessment.pk])).content.decode()
    assert "Felt or heard a pop at onset" in page
    assert "Not asked" in page and "Not tested" in page
