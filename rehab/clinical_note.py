"""The signed assessment as a printable clinical note for the patient's chart (issue 14).

What a chart needs from one visit: the findings that matter (answered ones, by section), the
PT's note, the ranking shown at signing, the working diagnosis and its reason, the red flags with
their clearances, the plans built from it, and who signed when. It lives in ``rehab`` because the
plan summary is part of it; every word comes from the record, the vocabulary and the registry.
Rendered on demand, never stored: a signed assessment cannot change, so it prints the same.
"""

from __future__ import annotations

from django.http import Http404

from assessments.models import Assessment
from assessments.selectors import (
    answered_sections,
    get_assessment_for_user,
    leading_causes_at_signing,
    red_flag_statuses,
)
from rehab import engine


def get_signed_assessment_for_user(*, user, pk) -> Assessment:
    """The user's signed assessment ``pk``; a draft has no clinical note yet (404)."""
    assessment = get_assessment_for_user(user=user, pk=pk)
    if not assessment.is_signed:
        raise Http404("Only a signed assessment is printed as a clinical note.")
    return assessment


def clinical_note_context(assessment: Assessment) -> dict:
    plans = assessment.plans.prefetch_related("prescriptions").order_by("created_at")
    return {
        "assessment": assessment,
        "patient": assessment.patient,
        "clinic": assessment.patient.clinic,
        "signed_by": assessment.signed_by,
        "sections": answered_sections(assessment=assessment),
        "causes": leading_causes_at_signing(assessment=assessment),
        "red_flags": red_flag_statuses(assessment=assessment),
        "plans": [
            {
                "plan": plan,
                "items": [_item_words(p) for p in plan.prescriptions.all()],
            }
            for plan in plans
        ],
        "page_size": assessment.patient.clinic.pdf_page_size,
    }


def _item_words(prescription) -> str:
    """The step's name; an item the PT added outside the protocol says so, with their reason."""
    name = engine.step(prescription.step_code).name
    if prescription.outside_reason:
        return f"{name} (added outside the protocol: {prescription.outside_reason})"
    return name
