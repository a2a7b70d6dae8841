import datetime
import re

from django.urls import reverse
from django.utils import timezone

from assessments.forms import AssessmentForm
from assessments.models import Assessment
from assessments.services import assessment_ranking
from assessments.vocabulary import load_vocabulary
from tests.factories import NOT_SCREENED, PatientFactory
from tests.rehab_factories import PHT_FINDINGS, as_posted

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


def _sign(client, assessment, **data):
    top_ranked = assessment_ranking(assessment=assessment)["causes"][0]["code"]
    return client.post(
        reverse("assessment_sign", args=[assessment.pk]),
        {"working_diagnosis": top_ranked, "red_flag_screen_reason": NOT_SCREENED, **data},
    )


def test_signing_freezes_the_assessment_and_edit_redirects(alice_client, assessment):
    _sign(alice_client, assessment)
    assessment.refresh_from_db()
    assert assessment.is_signed and assessment.signed_by.username == "alice"
    response = alice_client.post(reverse("assessment_edit", args=[assessment.pk]), {**VISIT})
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.side == "right"


def test_amend_creates_a_linked_draft(alice_client, assessment, alice):
    _sign(alice_client, assessment)
    response = alice_client.post(reverse("assessment_amend", args=[assessment.pk]))
    amendment = Assessment.objects.get(amends=assessment)
    assert response.url == reverse("assessment_edit", args=[amendment.pk])
    assert amendment.status == "draft"


def test_an_amendment_names_the_assessment_it_amends_on_its_pages(alice_client, assessment):
    _sign(alice_client, assessment)
    alice_client.post(reverse("assessment_amend", args=[assessment.pk]))
    amendment = Assessment.objects.get(amends=assessment)
    signed_on = f"{assessment.assessed_on.day} {assessment.assessed_on:%b %Y}"
    edit = alice_client.get(reverse("assessment_edit", args=[amendment.pk])).content.decode()
    assert f"Amends the signed assessment of {signed_on}." in edit
    detail = alice_client.get(reverse("assessment_detail", args=[amendment.pk])).content.decode()
    original = reverse("assessment_detail", args=[assessment.pk])
    assert f'Amends <a href="{original}">the assessment of {signed_on}</a>.' in detail


def test_each_form_has_its_own_fields_sharing_only_the_vocabularys_choices(assessment):
    first, second = AssessmentForm(instance=assessment), AssessmentForm(instance=assessment)
    for name in ("felt_pop", "onset", "pain_locations", "side"):
        mine, theirs = first.fields[name], second.fields[name]
        assert mine is not theirs and mine.widget is not theirs.widget
        assert mine.choices is AssessmentForm.base_fields[name].choices
        # What a form or its renderer changes of a field stays with that form.
        mine.widget.attrs["class"] = "changed"
        mine.label = "changed"
        mine.validators.append(lambda value: None)
        assert "class" not in theirs.widget.attrs and theirs.label != "changed"
        assert len(theirs.validators) == len(AssessmentForm.base_fields[name].validators)
        assert "class" not in AssessmentForm.base_fields[name].widget.attrs


def test_detail_page_shows_not_asked_distinctly_from_no(alice_client, assessment):
    assessment.felt_pop = False
    assessment.save()
    page = alice_client.get(reverse("assessment_detail", args=[assessment.pk])).content.decode()
    findings = page[page.index('id="findings"') : page.index('id="not-asked"')]
    assert "Felt or heard a pop at onset" in findings
    assert '<dd class="col-sm-5">No</dd>' in findings
    folded = page[page.index('id="not-asked"') :]
    assert "Felt or heard a pop at onset" not in folded and "Sex</li>" in folded


def _with_findings(assessment, findings):
    for name, value in findings.items():
        setattr(assessment, name, value)
    assessment.save()
    return assessment


def test_signing_defaults_to_the_top_cause_and_keeps_the_ranking_shown(alice_client, assessment):
    _with_findings(assessment, PHT_FINDINGS)
    shown = assessment_ranking(assessment=assessment)
    _sign(alice_client, assessment)
    assessment.refresh_from_db()
    assert assessment.working_diagnosis == "proximal_hamstring_tendinopathy"
    assert assessment.ranking_at_signing == shown
    page = alice_client.get(reverse("assessment_detail", args=[assessment.pk])).content.decode()
    assert "as shown at signing" in page


def test_choosing_another_cause_without_a_reason_is_refused_and_nothing_is_signed(
    alice_client, assessment
):
    _with_findings(assessment, PHT_FINDINGS)
    response = alice_client.post(
        reverse("assessment_sign", args=[assessment.pk]),
        {"working_diagnosis": "deep_gluteal_syndrome", "red_flag_screen_reason": NOT_SCREENED},
    )
    assert response.status_code == 200
    assert "working_diagnosis_reason" in response.context["sign_form"].errors
    assessment.refresh_from_db()
    assert not assessment.is_signed


def test_overriding_the_top_cause_with_a_reason_is_recorded(alice_client, assessment):
    _with_findings(assessment, PHT_FINDINGS)
    reason = "Burning into the calf at night; treat as nerve first."
    alice_client.post(
        reverse("assessment_sign", args=[assessment.pk]),
        {
            "working_diagnosis": "deep_gluteal_syndrome",
            "working_diagnosis_reason": reason,
            "red_flag_screen_reason": NOT_SCREENED,
        },
    )
    assessment.refresh_from_db()
    assert assessment.working_diagnosis == "deep_gluteal_syndrome"
    assert assessment.working_diagnosis_reason == reason


def test_the_preview_ranks_the_findings_typed_so_far_without_saving(alice_client, patient):
    data = {**as_posted(PHT_FINDINGS), "pain_run_nrs": "14"}
    response = alice_client.post(
        reverse("assessment_preview", args=[patient.pk]), data, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.index('data-cause="proximal_hamstring_tendinopathy"') < page.index(
        'data-cause="lumbar_referred_pain"'
    )
    assert "Not counted until corrected: Worst pain while running, 0-10." in page
    assert not Assessment.objects.exists()


def test_red_flag_shows_as_a_banner_with_its_action(alice_client, assessment):
    _with_findings(assessment, {"saddle_numbness": True, "back_pain": True})
    page = alice_client.get(reverse("assessment_detail", args=[assessment.pk])).content.decode()
    assert 'id="red-flags"' in page
    assert "Possible cauda equina syndrome" in page
    assert 'data-advice="stop_and_seek_care"' in page


def test_knowledge_page_lists_priors_and_sources(alice_client):
    page = alice_client.get(reverse("differential_knowledge")).content.decode()
    assert "Priors" in page
    assert "Cacchio2012" in page


def test_a_double_clicked_amend_makes_one_draft(alice_client, assessment, alice):
    _sign(alice_client, assessment)
    first = alice_client.post(reverse("assessment_amend", args=[assessment.pk]))
    second = alice_client.post(reverse("assessment_amend", args=[assessment.pk]))
    assert first.url == second.url
    assert Assessment.objects.filter(amends=assessment).count() == 1


RED_FLAG_QUESTIONS = [f.name for f in load_vocabulary().fields if f.section == "red_flags"]


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def test_a_new_assessment_takes_the_age_from_the_date_of_birth(alice_client, patient):
    patient.date_of_birth = _years_before(timezone.localdate(), 40)
    patient.save()
    form = alice_client.get(reverse("assessment_create", args=[patient.pk])).context["form"]
    assert form.initial["age"] == 40


def test_a_13_year_olds_sit_bone_pain_is_flagged_from_the_prefilled_age(alice_client, clinic):
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    child = PatientFactory(clinic=clinic, date_of_birth=_years_before(tomorrow, 14))  # 13 today
    form = alice_client.get(reverse("assessment_create", args=[child.pk])).context["form"]
    assert form.initial["age"] == 13
    data = {
        "assessed_on": today.isoformat(),
        "side": "right",
        "age": form.initial["age"],
        "onset": "gradual",
        "pain_locations": ["sit_bone"],
    }
    response = alice_client.post(reverse("assessment_create", args=[child.pk]), data)
    assessment = Assessment.objects.get(patient=child)
    assert response.status_code == 302
    codes = [flag["code"] for flag in assessment_ranking(assessment=assessment)["red_flags"]]
    assert codes == ["suspected_avulsion"]


def test_a_patient_too_young_for_the_age_question_gets_no_prefilled_age(alice_client, clinic):
    today = timezone.localdate()
    child = PatientFactory(clinic=clinic, date_of_birth=_years_before(today, 8))
    form = alice_client.get(reverse("assessment_create", args=[child.pk])).context["form"]
    assert form.initial["age"] is None


def test_signing_with_red_flag_questions_unasked_names_them_and_needs_a_reason(
    alice_client, assessment
):
    _with_findings(assessment, PHT_FINDINGS)
    page = alice_client.get(assessment.get_absolute_url()).content.decode()
    assert "Red-flag questions not asked" in page and "Numbness around the groin" in page
    response = alice_client.post(
        reverse("assessment_sign", args=[assessment.pk]),
        {"working_diagnosis": assessment_ranking(assessment=assessment)["causes"][0]["code"]},
    )
    assert response.status_code == 200
    assert "red_flag_screen_reason" in response.context["sign_form"].errors
    assessment.refresh_from_db()
    assert not assessment.is_signed


def test_the_reason_for_an_incomplete_screen_is_kept_and_shown(alice_client, assessment):
    _with_findings(assessment, PHT_FINDINGS)
    reason = "Seen between races; full screen booked for Monday."
    _sign(alice_client, assessment, red_flag_screen_reason=reason)
    assessment.refresh_from_db()
    assert assessment.is_signed and assessment.red_flag_screen_reason == reason
    page = alice_client.get(assessment.get_absolute_url()).content.decode()
    assert "Red-flag screen incomplete" in page and reason in page


def test_a_complete_screen_signs_without_a_reason(alice_client, assessment):
    screen = dict.fromkeys(RED_FLAG_QUESTIONS, False)
    _with_findings(assessment, {**PHT_FINDINGS, **screen})
    assert assessment.unanswered_red_flag_questions() == ()
    page = alice_client.get(assessment.get_absolute_url()).content.decode()
    assert "Red-flag questions not asked" not in page
    alice_client.post(
        reverse("assessment_sign", args=[assessment.pk]),
        {"working_diagnosis": assessment_ranking(assessment=assessment)["causes"][0]["code"]},
    )
    assessment.refresh_from_db()
    assert assessment.is_signed and assessment.red_flag_screen_reason == ""
