"""Reads of assessments, scoped to the user's clinics."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from assessments.models import Assessment
from clinic.audit import note_read


def assessments_for_user(*, user) -> QuerySet[Assessment]:
    return Assessment.objects.filter(patient__clinic__memberships__user=user).select_related(
        "patient", "patient__clinic", "clinician", "signed_by", "amends"
    )


def get_assessment_for_user(*, user, pk) -> Assessment:
    """The assessment, or 404 when its patient is not in one of the user's clinics."""
    assessment = get_object_or_404(assessments_for_user(user=user), pk=pk)
    note_read(assessment)  # the request's access record names it (clinic.audit)
    return assessment
