"""The Assessment model holds every vocabulary field with the same name, type and values."""

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from assessments.models import Assessment, SignedAssessmentError
from assessments.services import assessment_amend, assessment_sign
from assessments.vocabulary import load_vocabulary
from tests.factories import NOT_SCREENED

MODEL_FIELD_FOR_TYPE = {
    "boolean": models.BooleanField,
    "integer": models.SmallIntegerField,
    "number": models.FloatField,
    "enum": models.CharField,
    "result": models.CharField,
    "set": models.JSONField,
}

VOCABULARY = load_vocabulary()


def _bounds(model_field):
    lower = [v.limit_value for v in model_field.validators if isinstance(v, MinValueValidator)]
    upper = [v.limit_value for v in model_field.validators if isinstance(v, MaxValueValidator)]
    return (lower or [None])[0], (upper or [None])[0]


@pytest.mark.parametrize("finding", VOCABULARY.fields, ids=lambda f: f.name)
def test_model_column_matches_vocabulary_field(finding):
    model_field = Assessment._meta.get_field(finding.name)
    assert type(model_field) is MODEL_FIELD_FOR_TYPE[finding.type]
    assert model_field.null, "not asked must be storable as NULL"
    if finding.type in ("enum", "result"):
        assert [value for value, _ in model_field.choices] == list(finding.allowed_values)
    if finding.type in ("integer", "number"):
        assert _bounds(model_field) == (finding.min, finding.max)


def test_model_has_no_finding_column_the_vocabulary_lacks():
    bookkeeping = {
        "id", "patient", "clinician", "assessed_on", "side", "status", "signed_by",
        "signed_at", "amends", "vocabulary_version", "created_at", "updated_at",
        "working_diagnosis", "working_diagnosis_reason", "ranking_at_signing", "version",
        "red_flag_screen_reason", "note_subjective", "note_plan",
    }  # fmt: skip
    columns = {f.name for f in Assessment._meta.concrete_fields} - bookkeeping
    assert columns == {f.name for f in VOCABULARY.fields}


def test_set_field_rejects_a_value_outside_the_vocabulary(assessment):
    assessment.pain_locations = ["sit_bone", "shoulder"]
    with pytest.raises(ValidationError) as error:
        assessment.full_clean()
    assert "pain_locations" in error.value.message_dict


def test_out_of_range_number_is_a_validation_error_naming_the_field(assessment):
    assessment.pain_run_nrs = 11
    with pytest.raises(ValidationError) as error:
        assessment.full_clean()
    assert list(error.value.message_dict) == ["pain_run_nrs"]


def test_not_asked_is_stored_as_null_and_left_out_of_the_findings(assessment):
    assessment.aggravated_by_sitting = False
    assessment.save()
    assessment.refresh_from_db()
    assert assessment.felt_pop is None
    assert assessment.to_findings() == {"aggravated_by_sitting": False}


def test_signed_assessment_cannot_be_saved_or_deleted(assessment, alice):
    assessment_sign(red_flag_screen_reason=NOT_SCREENED, assessment=assessment, clinician=alice)
    assessment.felt_pop = True
    with pytest.raises(SignedAssessmentError):
        assessment.save()
    with pytest.raises(SignedAssessmentError):
        assessment.delete()
    assessment.refresh_from_db()
    assert assessment.felt_pop is None


def test_amendment_copies_the_findings_and_points_to_the_signed_assessment(assessment, bob):
    assessment.sit_bone_tenderness = True
    assessment.pain_locations = ["sit_bone"]
    assessment.save()
    assessment_sign(
        red_flag_screen_reason=NOT_SCREENED, assessment=assessment, clinician=assessment.clinician
    )
    amendment = assessment_amend(assessment=assessment, clinician=bob)
    assert amendment.amends == assessment
    assert amendment.status == Assessment.Status.DRAFT
    assert amendment.clinician == bob
    assert amendment.to_findings() == assessment.to_findings()


def test_changes_to_an_assessment_are_attributed_in_its_history(assessment, alice):
    assessment.felt_pop = True
    assessment._history_user = alice
    assessment.save()
    latest = assessment.history.first()
    assert latest.history_user == alice
    assert latest.felt_pop is True


def test_amending_twice_returns_the_open_draft_instead_of_a_second_one(assessment, bob):
    assessment_sign(
        red_flag_screen_reason=NOT_SCREENED, assessment=assessment, clinician=assessment.clinician
    )
    first = assessment_amend(assessment=assessment, clinician=bob)
    again = assessment_amend(assessment=assessment, clinician=assessment.clinician)
    assert again == first
    assert assessment.amendments.count() == 1
    assessment_sign(red_flag_screen_reason=NOT_SCREENED, assessment=first, clinician=bob)
    later = assessment_amend(assessment=assessment, clinician=bob)
    assert later != first
    assert assessment.amendments.count() == 2


def test_signing_with_the_red_flag_screen_unasked_is_refused_naming_the_questions(assessment):
    with pytest.raises(ValidationError) as refused:
        assessment_sign(assessment=assessment, clinician=assessment.clinician)
    message = refused.value.message_dict["red_flag_screen_reason"][0]
    assert "Numbness around the groin" in message
    assessment.refresh_from_db()
    assert not assessment.is_signed
