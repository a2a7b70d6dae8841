"""Writes to assessments: signing freezes the record and the ranking the PT saw; a red flag
is cleared by a record of its own."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.differential import rank, ranking_to_contract
from assessments.models import Assessment, RedFlagClearance, SignedAssessmentError
from assessments.vocabulary import load_vocabulary
from clinic.knowledge import red_flags


def assessment_ranking(*, assessment: Assessment) -> dict:
    """What the PT sees: the stored ranking once signed, a fresh one while drafting."""
    if assessment.is_signed and assessment.ranking_at_signing:
        return assessment.ranking_at_signing
    return ranking_to_contract(rank(assessment.to_findings()), case_id=assessment.pk)


def findings_ranking(*, findings: dict) -> dict:
    return ranking_to_contract(rank(findings))


@transaction.atomic
def assessment_update(
    *,
    assessment: Assessment,
    assessed_on: dt.date,
    side: str,
    findings: dict[str, object],
    version: int | None = None,
    note_subjective: str | None = None,
    note_plan: str | None = None,
) -> Assessment:
    """Save the PT's edit of a draft: the visit, the given findings (None: not asked) and the
    clinical note (None: left as it is).

    Raises ``ValidationError`` naming the field for a value the record refuses,
    ``clinic.integrity.StaleVersionError`` when someone else saved the draft after ``version``
    (the one the PT loaded; default: this copy's), and ``SignedAssessmentError`` once it is
    signed. Nothing is saved then.
    """
    unknown = sorted(set(findings) - {field.name for field in load_vocabulary().fields})
    if unknown:
        raise ValidationError(f"Not in the findings vocabulary: {', '.join(unknown)}.")
    if version is not None:
        assessment.version = version
    assessment.assessed_on = assessed_on
    assessment.side = side
    for name, value in findings.items():
        setattr(assessment, name, value)
    if note_subjective is not None:
        assessment.note_subjective = note_subjective
    if note_plan is not None:
        assessment.note_plan = note_plan
    assessment.full_clean(exclude=["patient", "clinician", "amends", "signed_by"])
    assessment.save()
    return assessment


def assessment_sign(
    *,
    assessment: Assessment,
    clinician,
    working_diagnosis: str | None = None,
    working_diagnosis_reason: str = "",
    red_flag_screen_reason: str = "",
) -> Assessment:
    """Sign with a working diagnosis (default: the top-ranked cause) and keep the ranking shown.

    Choosing another cause than the top-ranked one needs a reason, so the record explains it.
    So does a red-flag screen with questions left unasked: an unasked question raises no flag,
    and the record must say why it was not asked ("not screened, because …").
    """
    if assessment.is_signed:
        raise SignedAssessmentError("This assessment is already signed.")
    unanswered = assessment.unanswered_red_flag_questions()
    if unanswered and not red_flag_screen_reason.strip():
        raise ValidationError(
            {
                "red_flag_screen_reason": "Red-flag questions not asked: "
                + "; ".join(unanswered)
                + ". Ask them, or say why they were not screened."
            }
        )
    ranking = assessment_ranking(assessment=assessment)
    top_ranked = ranking["causes"][0]["code"]
    working_diagnosis = working_diagnosis or top_ranked
    if working_diagnosis != top_ranked and not working_diagnosis_reason.strip():
        raise ValidationError(
            {"working_diagnosis_reason": "Say why you chose a cause other than the top-ranked one."}
        )
    assessment.working_diagnosis = working_diagnosis
    assessment.working_diagnosis_reason = working_diagnosis_reason.strip()
    assessment.red_flag_screen_reason = red_flag_screen_reason.strip() if unanswered else ""
    assessment.ranking_at_signing = ranking
    assessment.status = Assessment.Status.SIGNED
    assessment.signed_by = clinician
    assessment.signed_at = timezone.now()
    assessment.full_clean(exclude=["patient", "clinician", "amends", "signed_by"])
    assessment.save()
    return assessment


@transaction.atomic
def assessment_discard(*, assessment: Assessment) -> None:
    """Delete a draft the PT no longer wants; its history keeps what it held and who deleted it.

    A signed assessment is part of the record and is never discarded (amend it instead).
    """
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.is_signed:
        raise SignedAssessmentError("A signed assessment cannot be discarded; amend it instead.")
    assessment.delete()


@transaction.atomic
def assessment_amend(*, assessment: Assessment, clinician) -> Assessment:
    """Start a draft that copies a signed assessment and points back to it.

    Idempotent: while a draft amendment of it is open, that draft is returned, so a double
    click or a resubmitted form never leaves two competing amendments. The signed row is
    locked (on PostgreSQL) so two requests at once cannot both create one.
    """
    if not assessment.is_signed:
        raise SignedAssessmentError("Only a signed assessment is amended; edit the draft instead.")
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    open_draft = assessment.amendments.filter(status=Assessment.Status.DRAFT).first()
    if open_draft is not None:
        return open_draft
    copied = {f.name: getattr(assessment, f.name) for f in load_vocabulary().fields}
    return Assessment.objects.create(
        patient=assessment.patient,
        clinician=clinician,
        assessed_on=timezone.localdate(),
        side=assessment.side,
        amends=assessment,
        note_subjective=assessment.note_subjective,
        note_plan=assessment.note_plan,
        **copied,
    )


@transaction.atomic
def clear_red_flag(
    *,
    assessment: Assessment,
    code: str,
    evidence: str,
    note: str,
    cleared_by,
    confirmed_emergency: bool = False,
) -> RedFlagClearance:
    """Record that a red flag raised on the signed assessment no longer applies, and why.

    The signed assessment is not touched: the clearance is its own record, and the plan
    refusal counts only flags without one. Refused, naming the field (nothing saved): a flag
    not raised on this assessment or already cleared, evidence not one of the kinds, an empty
    note, and an emergency flag without the second confirmation.
    """
    # One clearance per flag: a second request for the same assessment waits here.
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    errors: dict[str, str] = {}
    if not assessment.is_signed:
        errors["code"] = "Only a flag on a signed assessment can be cleared."
    elif code not in {flag["code"] for flag in assessment.raised_red_flags()}:
        errors["code"] = "This red flag was not raised on this assessment."
    elif assessment.red_flag_clearances.filter(code=code).exists():
        errors["code"] = "This red flag is already cleared."
    if evidence not in RedFlagClearance.Evidence.values:
        errors["evidence"] = "Say what cleared the flag: imaging, a medical review or the history."
    if not note.strip():
        errors["note"] = "Say what the evidence showed."
    if red_flags().get(code).is_emergency and not confirmed_emergency:
        errors["confirmed_emergency"] = (
            "This is an emergency flag: confirm that the emergency has been ruled out."
        )
    if errors:
        raise ValidationError(errors)
    return RedFlagClearance.objects.create(
        assessment=assessment,
        code=code,
        evidence=evidence,
        note=note.strip(),
        confirmed_emergency=confirmed_emergency,
        cleared_by=cleared_by,
    )
