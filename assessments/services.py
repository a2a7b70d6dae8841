"""Writes to assessments: signing freezes the record; later changes become amendments."""

from django.db import transaction
from django.utils import timezone

from assessments.models import Assessment, SignedAssessmentError
from assessments.vocabulary import load_vocabulary


def assessment_sign(*, assessment: Assessment, clinician) -> Assessment:
    if assessment.is_signed:
        raise SignedAssessmentError("This assessment is already signed.")
    assessment.status = Assessment.Status.SIGNED
    assessment.signed_by = clinician
    assessment.signed_at = timezone.now()
    assessment.save()
    return assessment


@transaction.atomic
def assessment_amend(*, assessment: Assessment, clinician) -> Assessment:
    """Start a draft that copies a signed assessment and points back to it."""
    if not assessment.is_signed:
        raise SignedAssessmentError("Only a signed assessment is amended; edit the draft instead.")
    copied = {f.name: getattr(assessment, f.name) for f in load_vocabulary().fields}
    return Assessment.objects.create(
        patient=assessment.patient,
        clinician=clinician,
        assessed_on=timezone.localdate(),
        side=assessment.side,
        amends=assessment,
        **copied,
    )
